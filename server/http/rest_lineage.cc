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
