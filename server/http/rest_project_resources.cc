// Feast REST's get_all_project_resources: every kind of registry object in one project, as the
// complete-lineage and search routes read them. A list that fails is left empty and named in
// `errors`, so one refused kind does not hide the others (as Feast does).
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/http/rest_routes.h"

namespace larder::http {
namespace {

// One list the resource set is made of.
struct ResourceList {
  const char* key;          // the answer's key ("entities")
  const char* method;       // "ListEntities"
  const char* list_key;     // the gRPC answer's list field, camelCase
  const char* kind;         // ListFeatures' kind ("" for lists that have none)
  bool tags;                // the request takes the tag filter
  const char* error_label;  // Feast's error message names the kind so
};

constexpr ResourceList kLists[] = {
    {"entities", "ListEntities", "entities", "", true, "entities"},
    {"dataSources", "ListDataSources", "dataSources", "", true, "data sources"},
    {"featureViews", "ListAllFeatureViews", "featureViews", "", true, "feature views"},
    {"labelViews", "ListLabelViews", "labelViews", "", true, "label views"},
    {"featureServices", "ListFeatureServices", "featureServices", "", true, "feature services"},
    {"savedDatasets", "ListSavedDatasets", "savedDatasets", "", true, "saved datasets"},
    {"features", "ListFeatures", "features", "", false, "features"},
    {"labels", "ListFeatures", "features", "label", false, "labels"},
};

}  // namespace

ProjectResources AllProjectResources(const RestCaller& caller, const HttpRequest& http,
                                     const std::string& project, bool allow_cache,
                                     const std::map<std::string, std::string>& tags,
                                     const ListParams* list) {
  ProjectResources resources;
  for (const ResourceList& kind : kLists) {
    Json objects = Json::array();
    Json pagination = Json::object();
    auto request = caller.NewRequest(kind.method);
    SetStringField(*request, "project", project);
    SetBoolField(*request, "allow_cache", allow_cache);
    if (kind.tags) SetTagsField(*request, tags);
    if (*kind.kind != '\0') SetStringField(*request, "kind", kind.kind);
    if (list != nullptr) {
      SetPageAndSort(*request, list->page, list->limit, list->sort_by, list->sort_order);
    }
    absl::StatusOr<Json> response = caller.Call(http, kind.method, *request);
    if (response.ok()) {
      objects = response->value(kind.list_key, Json::array());
      pagination = response->value("pagination", Json::object());
    } else {
      resources.errors.push_back(
          absl::StrCat("Error searching ", kind.error_label, " in project '", project, "'"));
    }
    resources.objects[kind.key] = std::move(objects);
    resources.pagination[kind.key] = std::move(pagination);
  }
  return resources;
}

}  // namespace larder::http
