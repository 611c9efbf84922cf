// Feast REST's lineage routes: the registry's relationship graph, per project, across
// projects, and around one object.
#include <string>
#include <utility>
#include <vector>

#include "server/http/rest_routes.h"

namespace larder::http {
namespace {

absl::StatusOr<Json> RegistryLineage(const RestCaller& caller, const HttpRequest& http,
                                     const std::string& project, bool allow_cache,
                                     const ListParams* list) {
  auto request = caller.NewRequest("GetRegistryLineage");
  SetStringField(*request, "project", project);
  SetBoolField(*request, "allow_cache", allow_cache);
  for (const char* filter : {"filter_object_type", "filter_object_name"}) {
    if (const std::string* value = http.Query(filter)) SetStringField(*request, filter, *value);
  }
  if (list != nullptr) {
    SetPageAndSort(*request, list->page, list->limit, list->sort_by, list->sort_order);
  }
  return caller.Call(http, "GetRegistryLineage", *request);
}

// The keys of Feast's complete-registry `objects`, in its order.
constexpr const char* kObjectKeys[] = {"entities",   "dataSources",     "featureViews",
                                       "labelViews", "featureServices", "features",
                                       "labels",     "savedDatasets"};

// Feast's /lineage/complete: every object of the project with the lineage and each list's
// pagination. Feast pages and sorts each kind separately with the same parameters.
absl::StatusOr<Json> CompleteRegistry(const RestCaller& caller, const HttpRequest& http) {
  absl::StatusOr<std::string> project = RequiredParam(http, "project");
  if (!project.ok()) return project.status();
  absl::StatusOr<bool> allow_cache = BoolParam(http, "allow_cache", true);
  if (!allow_cache.ok()) return allow_cache.status();
  absl::StatusOr<ListParams> list = ListParamsOf(http);
  if (!list.ok()) return list.status();
  // Feast's lineage request takes no object filter here, so the query's are not passed on.
  auto request = caller.NewRequest("GetRegistryLineage");
  SetStringField(*request, "project", *project);
  SetBoolField(*request, "allow_cache", *allow_cache);
  SetPageAndSort(*request, list->page, list->limit, list->sort_by, list->sort_order);
  absl::StatusOr<Json> lineage = caller.Call(http, "GetRegistryLineage", *request);
  if (!lineage.ok()) return lineage.status();
  ProjectResources resources =
      AllProjectResources(caller, http, *project, *allow_cache, {}, &*list);

  Json result = Json::object();
  result["project"] = *project;
  Json objects = Json::object();
  Json pagination = Json::object();
  for (const char* key : kObjectKeys) {
    objects[key] = std::move(resources.objects[key]);
    pagination[key] = std::move(resources.pagination[key]);
  }
  pagination["relationships"] = lineage->value("relationshipsPagination", Json::object());
  pagination["indirectRelationships"] =
      lineage->value("indirectRelationshipsPagination", Json::object());
  result["objects"] = std::move(objects);
  result["relationships"] = lineage->value("relationships", Json::array());
  result["indirectRelationships"] = lineage->value("indirectRelationships", Json::array());
  result["pagination"] = std::move(pagination);
  return result;
}

// Feast's /lineage/complete/all: the same for every project (no paging), each object tagged
// with its project.
absl::StatusOr<Json> CompleteRegistryAll(const RestCaller& caller, const HttpRequest& http) {
  absl::StatusOr<bool> allow_cache = BoolParam(http, "allow_cache", true);
  if (!allow_cache.ok()) return allow_cache.status();
  absl::StatusOr<std::vector<std::string>> projects = ProjectNames(caller, http, *allow_cache);
  if (!projects.ok()) return projects.status();
  Json all = Json::array();
  for (const std::string& project : *projects) {
    auto request = caller.NewRequest("GetRegistryLineage");
    SetStringField(*request, "project", project);
    SetBoolField(*request, "allow_cache", *allow_cache);
    absl::StatusOr<Json> lineage = caller.Call(http, "GetRegistryLineage", *request);
    if (!lineage.ok()) return lineage.status();
    ProjectResources resources =
        AllProjectResources(caller, http, project, *allow_cache, {}, nullptr);
    Json objects = Json::object();
    for (const char* key : kObjectKeys) {
      Json list = std::move(resources.objects[key]);
      for (Json& object : list) object["project"] = project;
      objects[key] = std::move(list);
    }
    Json entry = Json::object();
    entry["project"] = project;
    entry["objects"] = std::move(objects);
    entry["relationships"] = lineage->value("relationships", Json::array());
    entry["indirectRelationships"] = lineage->value("indirectRelationships", Json::array());
    all.push_back(std::move(entry));
  }
  Json result = Json::object();
  result["projects"] = std::move(all);
  return result;
}

}  // namespace

void AddLineageRoutes(Router& router, const RestCaller& caller) {
  router.Get("/api/v1/lineage/registry",
             JsonRoute(caller, [&caller](const HttpRequest& http) -> absl::StatusOr<Json> {
               absl::StatusOr<std::string> project = RequiredParam(http, "project");
               if (!project.ok()) return project.status();
               absl::StatusOr<bool> allow_cache = BoolParam(http, "allow_cache", true);
               if (!allow_cache.ok()) return allow_cache.status();
               absl::StatusOr<ListParams> list = ListParamsOf(http);
               if (!list.ok()) return list.status();
               absl::StatusOr<Json> lineage =
                   RegistryLineage(caller, http, *project, *allow_cache, &*list);
               if (!lineage.ok()) return lineage.status();
               Json result = Json::object();
               result["relationships"] = lineage->value("relationships", Json::array());
               result["indirect_relationships"] =
                   lineage->value("indirectRelationships", Json::array());
               result["relationships_pagination"] =
                   lineage->value("relationshipsPagination", Json::object());
               result["indirect_relationships_pagination"] =
                   lineage->value("indirectRelationshipsPagination", Json::object());
               return result;
             }));
  router.Get("/api/v1/lineage/registry/all",
             JsonRoute(caller, [&caller](const HttpRequest& http) -> absl::StatusOr<Json> {
               absl::StatusOr<bool> allow_cache = BoolParam(http, "allow_cache", true);
               if (!allow_cache.ok()) return allow_cache.status();
               absl::StatusOr<std::vector<std::string>> projects =
                   ProjectNames(caller, http, *allow_cache);
               if (!projects.ok()) return projects.status();
               Json direct = Json::array();
               Json indirect = Json::array();
               for (const std::string& project : *projects) {
                 absl::StatusOr<Json> lineage =
                     RegistryLineage(caller, http, project, *allow_cache, nullptr);
                 if (!lineage.ok()) return lineage.status();
                 for (Json relationship : lineage->value("relationships", Json::array())) {
                   relationship["project"] = project;
                   direct.push_back(std::move(relationship));
                 }
                 for (Json relationship : lineage->value("indirectRelationships", Json::array())) {
                   relationship["project"] = project;
                   indirect.push_back(std::move(relationship));
                 }
               }
               Json result = Json::object();
               result["relationships"] = std::move(direct);
               result["indirect_relationships"] = std::move(indirect);
               return result;
             }));
  router.Get("/api/v1/lineage/complete", JsonRoute(caller, [&caller](const HttpRequest& http) {
               return CompleteRegistry(caller, http);
             }));
  router.Get("/api/v1/lineage/complete/all", JsonRoute(caller, [&caller](const HttpRequest& http) {
               return CompleteRegistryAll(caller, http);
             }));
  router.Get("/api/v1/lineage/objects/{object_type}/{object_name}",
             JsonRoute(caller, [&caller](const HttpRequest& http) -> absl::StatusOr<Json> {
               const std::string& type = http.path_params.at("object_type");
               static constexpr const char* kTypes[] = {"dataSource",  "entity",
                                                        "featureView", "featureService",
                                                        "feature",     "savedDataset"};
               bool valid = false;
               for (const char* known : kTypes) valid = valid || type == known;
               if (!valid) {
                 return absl::InvalidArgumentError(
                     "Invalid object_type. Must be one of: dataSource, entity, featureView, "
                     "featureService, feature, savedDataset");
               }
               absl::StatusOr<std::string> project = RequiredParam(http, "project");
               if (!project.ok()) return project.status();
               absl::StatusOr<bool> indirect = BoolParam(http, "include_indirect", false);
               if (!indirect.ok()) return indirect.status();
               absl::StatusOr<bool> allow_cache = BoolParam(http, "allow_cache", true);
               if (!allow_cache.ok()) return allow_cache.status();
               absl::StatusOr<ListParams> list = ListParamsOf(http);
               if (!list.ok()) return list.status();
               auto request = caller.NewRequest("GetObjectRelationships");
               SetStringField(*request, "project", *project);
               SetStringField(*request, "object_type", type);
               SetStringField(*request, "object_name", http.path_params.at("object_name"));
               SetBoolField(*request, "include_indirect", *indirect);
               SetBoolField(*request, "allow_cache", *allow_cache);
               SetPageAndSort(*request, list->page, list->limit, list->sort_by, list->sort_order);
               return caller.Call(http, "GetObjectRelationships", *request);
             }));
}

}  // namespace larder::http
