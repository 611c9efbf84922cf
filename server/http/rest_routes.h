#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/http/http_message.h"
#include "server/http/proto_json.h"
#include "server/http/rest_call.h"
#include "server/http/router.h"

namespace larder::http {

// Shared pieces of the Feast REST route groups (rest_*.cc): one file per resource group, each
// adding its routes under /api/v1 with these helpers.

// A route handler from `answer`: an error becomes Feast's error response (StatusToHttp); an
// answer is sent as JSON with the registry revision as its ETag.
Router::Handler JsonRoute(const RestCaller& caller,
                          std::function<absl::StatusOr<Json>(const HttpRequest&)> answer);

// Feast's get_object_relationships: the direct and indirect relationships of one object, or []
// when they cannot be read.
Json ObjectRelationships(const RestCaller& caller, const HttpRequest& http,
                         const std::string& object_type, const std::string& name,
                         const std::string& project, bool allow_cache);
// Feast's get_relationships_for_objects: {name: relationships} for each object of `objects`.
Json RelationshipsFor(const RestCaller& caller, const HttpRequest& http, const Json& objects,
                      const std::string& object_type, const std::string& project, bool allow_cache);

// The names of every project the caller may see (ListProjects).
absl::StatusOr<std::vector<std::string>> ProjectNames(const RestCaller& caller,
                                                      const HttpRequest& http, bool allow_cache);

// Pagination and sorting of a project-scoped list: page/limit absent -> 0 (no paging), else
// page >= 1 and 1 <= limit <= 100; sort_order asc|desc.
struct ListParams {
  int page = 0;
  int limit = 0;
  std::string sort_by;
  std::string sort_order = "asc";
};
absl::StatusOr<ListParams> ListParamsOf(const HttpRequest& http);
// The same for the cross-project `/all` lists: page defaults to 1, limit to 50.
absl::StatusOr<ListParams> AllListParamsOf(const HttpRequest& http);

// Feast's get_all_project_resources: the objects of every kind in `project` under the keys
// entities, dataSources, featureViews (AnyFeatureView objects, as ListAllFeatureViews answers
// them), labelViews, featureServices, savedDatasets, features and labels; each list's gRPC
// pagination under the same key; and Feast's message for each list that could not be read.
// `tags` filters the kinds that take tags; `list`, when given, pages and sorts each list.
struct ProjectResources {
  Json objects = Json::object();
  Json pagination = Json::object();
  std::vector<std::string> errors;
};
ProjectResources AllProjectResources(const RestCaller& caller, const HttpRequest& http,
                                     const std::string& project, bool allow_cache,
                                     const std::map<std::string, std::string>& tags,
                                     const ListParams* list);

// Adds each route group.
void AddObjectRoutes(Router& router, const RestCaller& caller);
void AddFeatureViewRoutes(Router& router, const RestCaller& caller);
void AddProjectRoutes(Router& router, const RestCaller& caller);
void AddLineageRoutes(Router& router, const RestCaller& caller);
void AddFeatureRoutes(Router& router, const RestCaller& caller);
void AddSearchRoutes(Router& router, const RestCaller& caller);
void AddMetricsRoutes(Router& router, const RestCaller& caller);
void AddUnavailableRoutes(Router& router);

}  // namespace larder::http
