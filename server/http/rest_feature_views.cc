// Feast REST's feature view routes: every kind of feature view (AnyFeatureView) in one list,
// each object flattened to {"type": <kind>, ...its fields}.
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "server/http/rest_routes.h"

namespace larder::http {
namespace {

absl::StatusOr<Json> ListInProject(const RestCaller& caller, const HttpRequest& http) {
  absl::StatusOr<std::string> project = RequiredParam(http, "project");
  if (!project.ok()) return project.status();
  absl::StatusOr<bool> allow_cache = BoolParam(http, "allow_cache", true);
  if (!allow_cache.ok()) return allow_cache.status();
  absl::StatusOr<bool> relationships = BoolParam(http, "include_relationships", false);
  if (!relationships.ok()) return relationships.status();
  absl::StatusOr<ListParams> list = ListParamsOf(http);
  if (!list.ok()) return list.status();

  auto request = caller.NewRequest("ListAllFeatureViews");
  SetStringField(*request, "project", *project);
  SetBoolField(*request, "allow_cache", *allow_cache);
  SetTagsField(*request, TagsParam(http));
  for (const char* filter : {"entity", "feature", "feature_service", "data_source"}) {
    if (const std::string* value = http.Query(filter)) SetStringField(*request, filter, *value);
  }
  if (const std::string* since = http.Query("updated_since")) {
    absl::Time time;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, *since, &time, &error)) {
      return absl::InvalidArgumentError("Invalid 'updated_since' value '" + *since +
                                        "'; expected an ISO-8601 timestamp (e.g. "
                                        "2024-01-01T00:00:00Z).");
    }
    google::protobuf::Timestamp stamp;
    const absl::Duration since_epoch = time - absl::UnixEpoch();
    stamp.set_seconds(absl::ToInt64Seconds(since_epoch));
    stamp.set_nanos(static_cast<int32_t>(
        absl::ToInt64Nanoseconds(since_epoch - absl::Seconds(stamp.seconds()))));
    const auto* field = request->GetDescriptor()->FindFieldByName("updated_since");
    request->GetReflection()->MutableMessage(request.get(), field)->CopyFrom(stamp);
  }
  SetPageAndSort(*request, list->page, list->limit, list->sort_by, list->sort_order);
  absl::StatusOr<Json> response = caller.Call(http, "ListAllFeatureViews", *request);
  if (!response.ok()) return response.status();

  Json views = Json::array();
  for (const Json& any : response->value("featureViews", Json::array())) {
    Json flat = FlattenAny(any);
    if (!flat.empty()) views.push_back(std::move(flat));
  }
  Json result = Json::object();
  result["featureViews"] = views;
  result["pagination"] = response->value("pagination", Json::object());
  if (*relationships) {
    result["relationships"] =
        RelationshipsFor(caller, http, views, "featureView", *project, *allow_cache);
  }
  return result;
}

absl::StatusOr<Json> ListAcrossProjects(const RestCaller& caller, const HttpRequest& http) {
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
    auto request = caller.NewRequest("ListAllFeatureViews");
    SetStringField(*request, "project", project);
    SetBoolField(*request, "allow_cache", *allow_cache);
    absl::StatusOr<Json> response = caller.Call(http, "ListAllFeatureViews", *request);
    if (!response.ok()) return response.status();
    Json views = Json::array();
    for (const Json& any : response->value("featureViews", Json::array())) {
      Json flat = FlattenAny(any);
      if (flat.empty()) continue;
      flat["project"] = project;
      views.push_back(std::move(flat));
    }
    if (*relationships) {
      relationship_map.update(
          RelationshipsFor(caller, http, views, "featureView", project, *allow_cache));
    }
    for (Json& view : views) all.push_back(std::move(view));
  }
  auto [paged, pagination] =
      PaginateAndSort(std::move(all), list->page, list->limit, list->sort_by, list->sort_order);
  Json result = Json::object();
  result["featureViews"] = std::move(paged);
  result["pagination"] = std::move(pagination);
  if (*relationships) result["relationships"] = std::move(relationship_map);
  return result;
}

absl::StatusOr<Json> GetOne(const RestCaller& caller, const HttpRequest& http) {
  const std::string& name = http.path_params.at("name");
  absl::StatusOr<std::string> project = RequiredParam(http, "project");
  if (!project.ok()) return project.status();
  absl::StatusOr<bool> allow_cache = BoolParam(http, "allow_cache", true);
  if (!allow_cache.ok()) return allow_cache.status();
  absl::StatusOr<bool> relationships = BoolParam(http, "include_relationships", false);
  if (!relationships.ok()) return relationships.status();

  auto request = caller.NewRequest("GetAnyFeatureView");
  SetStringField(*request, "name", name);
  SetStringField(*request, "project", *project);
  SetBoolField(*request, "allow_cache", *allow_cache);
  absl::StatusOr<Json> response = caller.Call(http, "GetAnyFeatureView", *request);
  if (!response.ok()) return response.status();
  Json result = FlattenAny(response->value("anyFeatureView", Json::object()));
  if (*relationships) {
    result["relationships"] =
        ObjectRelationships(caller, http, "featureView", name, *project, *allow_cache);
  }
  return result;
}

}  // namespace

void AddFeatureViewRoutes(Router& router, const RestCaller& caller) {
  router.Get("/api/v1/feature_views", JsonRoute(caller, [&caller](const HttpRequest& http) {
               return ListInProject(caller, http);
             }));
  router.Get("/api/v1/feature_views/all", JsonRoute(caller, [&caller](const HttpRequest& http) {
               return ListAcrossProjects(caller, http);
             }));
  router.Get("/api/v1/feature_views/{name}", JsonRoute(caller, [&caller](const HttpRequest& http) {
               return GetOne(caller, http);
             }));
}

}  // namespace larder::http
