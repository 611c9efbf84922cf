// Feast REST's feature and label routes: the features of feature views (kind "feature") and the
// labels of label views (kind "label"), per project, across projects, and one feature.
#include <string>
#include <utility>
#include <vector>

#include "server/http/rest_routes.h"

namespace larder::http {
namespace {

absl::StatusOr<Json> ListInProject(const RestCaller& caller, const HttpRequest& http,
                                   const std::string& kind) {
  absl::StatusOr<std::string> project = RequiredParam(http, "project");
  if (!project.ok()) return project.status();
  absl::StatusOr<bool> allow_cache = BoolParam(http, "allow_cache", true);
  if (!allow_cache.ok()) return allow_cache.status();
  absl::StatusOr<bool> relationships = BoolParam(http, "include_relationships", false);
  if (!relationships.ok()) return relationships.status();
  absl::StatusOr<ListParams> list = ListParamsOf(http);
  if (!list.ok()) return list.status();
  auto request = caller.NewRequest("ListFeatures");
  SetStringField(*request, "project", *project);
  SetBoolField(*request, "allow_cache", *allow_cache);
  SetStringField(*request, "kind", kind);
  for (const char* filter : {"feature_view", "name"}) {
    if (const std::string* value = http.Query(filter)) SetStringField(*request, filter, *value);
  }
  SetPageAndSort(*request, list->page, list->limit, list->sort_by, list->sort_order);
  absl::StatusOr<Json> response = caller.Call(http, "ListFeatures", *request);
  if (!response.ok()) return response.status();
  // Feast answers the gRPC dict itself, with both keys present.
  if (!response->contains("features")) (*response)["features"] = Json::array();
  if (!response->contains("pagination")) (*response)["pagination"] = Json::object();
  if (kind == "label") {
    // Feast renames the list for labels (moving it after the pagination).
    Json labels = std::move((*response)["features"]);
    response->erase("features");
    (*response)["labels"] = std::move(labels);
  }
  const std::string key = kind == "label" ? "labels" : "features";
  if (*relationships) {
    (*response)["relationships"] =
        RelationshipsFor(caller, http, (*response)[key], "feature", *project, *allow_cache);
  }
  return response;
}

absl::StatusOr<Json> ListAcrossProjects(const RestCaller& caller, const HttpRequest& http,
                                        const std::string& kind) {
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
    auto request = caller.NewRequest("ListFeatures");
    SetStringField(*request, "project", project);
    SetBoolField(*request, "allow_cache", *allow_cache);
    SetStringField(*request, "kind", kind);
    absl::StatusOr<Json> response = caller.Call(http, "ListFeatures", *request);
    if (!response.ok()) return response.status();
    Json features = response->value("features", Json::array());
    for (Json& feature : features) feature["project"] = project;
    if (*relationships) {
      relationship_map.update(
          RelationshipsFor(caller, http, features, "feature", project, *allow_cache));
    }
    for (Json& feature : features) all.push_back(std::move(feature));
  }
  auto [paged, pagination] =
      PaginateAndSort(std::move(all), list->page, list->limit, list->sort_by, list->sort_order);
  Json result = Json::object();
  // Feast renames the list for labels (moving it after the pagination).
  if (kind != "label") result["features"] = std::move(paged);
  result["pagination"] = std::move(pagination);
  if (kind == "label") result["labels"] = std::move(paged);
  if (*relationships) result["relationships"] = std::move(relationship_map);
  return result;
}

absl::StatusOr<Json> GetOne(const RestCaller& caller, const HttpRequest& http) {
  absl::StatusOr<std::string> project = RequiredParam(http, "project");
  if (!project.ok()) return project.status();
  absl::StatusOr<bool> allow_cache = BoolParam(http, "allow_cache", true);
  if (!allow_cache.ok()) return allow_cache.status();
  absl::StatusOr<bool> relationships = BoolParam(http, "include_relationships", false);
  if (!relationships.ok()) return relationships.status();
  const std::string& name = http.path_params.at("name");
  auto request = caller.NewRequest("GetFeature");
  SetStringField(*request, "project", *project);
  SetStringField(*request, "feature_view", http.path_params.at("feature_view"));
  SetStringField(*request, "name", name);
  SetBoolField(*request, "allow_cache", *allow_cache);
  absl::StatusOr<Json> response = caller.Call(http, "GetFeature", *request);
  if (!response.ok()) return response.status();
  if (*relationships) {
    (*response)["relationships"] =
        ObjectRelationships(caller, http, "feature", name, *project, *allow_cache);
  }
  return response;
}

}  // namespace

void AddFeatureRoutes(Router& router, const RestCaller& caller) {
  for (const auto& [path, kind] :
       {std::pair<std::string, std::string>{"features", "feature"}, {"labels", "label"}}) {
    router.Get("/api/v1/" + path, JsonRoute(caller, [&caller, kind](const HttpRequest& http) {
                 return ListInProject(caller, http, kind);
               }));
    router.Get("/api/v1/" + path + "/all",
               JsonRoute(caller, [&caller, kind](const HttpRequest& http) {
                 return ListAcrossProjects(caller, http, kind);
               }));
  }
  router.Get(
      "/api/v1/features/{feature_view}/{name}",
      JsonRoute(caller, [&caller](const HttpRequest& http) { return GetOne(caller, http); }));
}

}  // namespace larder::http
