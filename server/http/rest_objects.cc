// Feast REST's per-kind object routes: entities, data sources, feature services, saved datasets,
// permissions and label views, each with a project list, a cross-project `/all` list and a get.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "server/http/rest_routes.h"

namespace larder::http {
namespace {

// One kind as Feast's REST server exposes it.
struct Kind {
  std::string path;           // "entities" -> /api/v1/entities
  std::string list_method;    // "ListEntities"
  std::string list_key;       // the response's list field, camelCase ("entities")
  std::string out_key;        // the REST answer's list key (label views answer "featureViews")
  std::string get_method;     // "GetEntity"
  std::string relation_type;  // GetObjectRelationships object_type ("entity")
  bool tags = false;          // the project list takes ?tags=
  std::vector<std::string> filters;  // string query parameters copied to the request
  std::string type;                  // set as "type" on every object (label views)
};

const std::vector<Kind>& Kinds() {
  static const std::vector<Kind> kinds = {
      {"entities", "ListEntities", "entities", "entities", "GetEntity", "entity", false, {}, ""},
      {"data_sources",
       "ListDataSources",
       "dataSources",
       "dataSources",
       "GetDataSource",
       "dataSource",
       true,
       {},
       ""},
      {"feature_services",
       "ListFeatureServices",
       "featureServices",
       "featureServices",
       "GetFeatureService",
       "featureService",
       true,
       {"feature_view"},
       ""},
      {"saved_datasets",
       "ListSavedDatasets",
       "savedDatasets",
       "savedDatasets",
       "GetSavedDataset",
       "savedDataset",
       true,
       {"namespace", "collection"},
       ""},
      {"permissions",
       "ListPermissions",
       "permissions",
       "permissions",
       "GetPermission",
       "permission",
       false,
       {},
       ""},
      {"label_views",
       "ListLabelViews",
       "labelViews",
       "featureViews",
       "GetLabelView",
       "featureView",
       true,
       {},
       "labelView"},
  };
  return kinds;
}

void SetFilters(google::protobuf::Message& request, const HttpRequest& http, const Kind& kind) {
  for (const std::string& filter : kind.filters) {
    if (const std::string* value = http.Query(filter)) SetStringField(request, filter, *value);
  }
}

absl::StatusOr<Json> ListInProject(const RestCaller& caller, const HttpRequest& http,
                                   const Kind& kind) {
  absl::StatusOr<std::string> project = RequiredParam(http, "project");
  if (!project.ok()) return project.status();
  absl::StatusOr<bool> allow_cache = BoolParam(http, "allow_cache", true);
  if (!allow_cache.ok()) return allow_cache.status();
  absl::StatusOr<bool> relationships = BoolParam(http, "include_relationships", false);
  if (!relationships.ok()) return relationships.status();
  absl::StatusOr<ListParams> list = ListParamsOf(http);
  if (!list.ok()) return list.status();

  auto request = caller.NewRequest(kind.list_method);
  SetStringField(*request, "project", *project);
  SetBoolField(*request, "allow_cache", *allow_cache);
  if (kind.tags) SetTagsField(*request, TagsParam(http));
  SetFilters(*request, http, kind);
  SetPageAndSort(*request, list->page, list->limit, list->sort_by, list->sort_order);
  absl::StatusOr<Json> response = caller.Call(http, kind.list_method, *request);
  if (!response.ok()) return response.status();

  Json objects = response->value(kind.list_key, Json::array());
  if (!kind.type.empty()) {
    for (Json& object : objects) object["type"] = kind.type;
  }
  Json result = Json::object();
  result[kind.out_key] = objects;
  result["pagination"] = response->value("pagination", Json::object());
  if (*relationships) {
    result["relationships"] =
        RelationshipsFor(caller, http, objects, kind.relation_type, *project, *allow_cache);
  }
  return result;
}

// Feast's aggregate_across_projects: every project's list, each object tagged with its
// project, then sorted and paged here.
absl::StatusOr<Json> ListAcrossProjects(const RestCaller& caller, const HttpRequest& http,
                                        const Kind& kind) {
  absl::StatusOr<bool> allow_cache = BoolParam(http, "allow_cache", true);
  if (!allow_cache.ok()) return allow_cache.status();
  absl::StatusOr<bool> relationships = BoolParam(http, "include_relationships", false);
  if (!relationships.ok()) return relationships.status();
  absl::StatusOr<ListParams> list = AllListParamsOf(http);
  if (!list.ok()) return list.status();
  absl::StatusOr<std::vector<std::string>> projects = ProjectNames(caller, http, *allow_cache);
  if (!projects.ok()) return projects.status();

  Json all = Json::array();
  Json relationship_map = Json::object();
  for (const std::string& project : *projects) {
    auto request = caller.NewRequest(kind.list_method);
    SetStringField(*request, "project", project);
    SetBoolField(*request, "allow_cache", *allow_cache);
    SetFilters(*request, http, kind);
    absl::StatusOr<Json> response = caller.Call(http, kind.list_method, *request);
    if (!response.ok()) return response.status();
    Json objects = response->value(kind.list_key, Json::array());
    for (Json& object : objects) {
      if (!kind.type.empty()) object["type"] = kind.type;
      object["project"] = project;
    }
    if (*relationships) {
      relationship_map.update(
          RelationshipsFor(caller, http, objects, kind.relation_type, project, *allow_cache));
    }
    for (Json& object : objects) all.push_back(std::move(object));
  }
  auto [paged, pagination] =
      PaginateAndSort(std::move(all), list->page, list->limit, list->sort_by, list->sort_order);
  Json result = Json::object();
  result[kind.out_key] = std::move(paged);
  result["pagination"] = std::move(pagination);
  if (*relationships) result["relationships"] = std::move(relationship_map);
  return result;
}

absl::StatusOr<Json> GetOne(const RestCaller& caller, const HttpRequest& http, const Kind& kind) {
  const std::string& name = http.path_params.at("name");
  absl::StatusOr<std::string> project = RequiredParam(http, "project");
  if (!project.ok()) return project.status();
  absl::StatusOr<bool> allow_cache = BoolParam(http, "allow_cache", true);
  if (!allow_cache.ok()) return allow_cache.status();
  absl::StatusOr<bool> relationships = BoolParam(http, "include_relationships", false);
  if (!relationships.ok()) return relationships.status();

  auto request = caller.NewRequest(kind.get_method);
  SetStringField(*request, "name", name);
  SetStringField(*request, "project", *project);
  SetBoolField(*request, "allow_cache", *allow_cache);
  absl::StatusOr<Json> result = caller.Call(http, kind.get_method, *request);
  if (!result.ok()) return result.status();
  if (!kind.type.empty()) (*result)["type"] = kind.type;

  Json related;
  if (kind.path == "entities" || *relationships) {
    related = ObjectRelationships(caller, http, kind.relation_type, name, *project, *allow_cache);
  }
  if (kind.path == "entities") {
    // Feast's entity page lists the data sources the entity is related to, in relationship order.
    auto sources_request = caller.NewRequest("ListDataSources");
    SetStringField(*sources_request, "project", *project);
    SetBoolField(*sources_request, "allow_cache", *allow_cache);
    absl::StatusOr<Json> sources = caller.Call(http, "ListDataSources", *sources_request);
    if (!sources.ok()) return sources.status();
    Json by_name = Json::object();
    for (const Json& source : sources->value("dataSources", Json::array())) {
      by_name[source.value("name", "")] = source;
    }
    Json data_sources = Json::array();
    std::set<std::string> seen;
    for (const Json& relationship : related) {
      const Json target = relationship.value("target", Json::object());
      if (target.value("type", "") != "dataSource") continue;
      const std::string source_name = target.value("name", "");
      if (source_name.empty() || seen.count(source_name) > 0 || !by_name.contains(source_name)) {
        continue;
      }
      seen.insert(source_name);
      data_sources.push_back(by_name[source_name]);
    }
    (*result)["dataSources"] = std::move(data_sources);
  }
  if (*relationships) (*result)["relationships"] = std::move(related);
  return result;
}

}  // namespace

void AddObjectRoutes(Router& router, const RestCaller& caller) {
  for (const Kind& kind : Kinds()) {
    const std::string base = "/api/v1/" + kind.path;
    router.Get(base, JsonRoute(caller, [&caller, &kind](const HttpRequest& http) {
                 return ListInProject(caller, http, kind);
               }));
    router.Get(base + "/all", JsonRoute(caller, [&caller, &kind](const HttpRequest& http) {
                 return ListAcrossProjects(caller, http, kind);
               }));
    router.Get(base + "/{name}", JsonRoute(caller, [&caller, &kind](const HttpRequest& http) {
                 return GetOne(caller, http, kind);
               }));
  }
}

}  // namespace larder::http
