// Feast REST's project routes.
#include <string>

#include "server/http/rest_routes.h"

namespace larder::http {

void AddProjectRoutes(Router& router, const RestCaller& caller) {
  router.Get("/api/v1/projects",
             JsonRoute(caller, [&caller](const HttpRequest& http) -> absl::StatusOr<Json> {
               absl::StatusOr<bool> allow_cache = BoolParam(http, "allow_cache", true);
               if (!allow_cache.ok()) return allow_cache.status();
               absl::StatusOr<ListParams> list = ListParamsOf(http);
               if (!list.ok()) return list.status();
               auto request = caller.NewRequest("ListProjects");
               SetBoolField(*request, "allow_cache", *allow_cache);
               SetPageAndSort(*request, list->page, list->limit, list->sort_by, list->sort_order);
               absl::StatusOr<Json> response = caller.Call(http, "ListProjects", *request);
               Json result = Json::object();
               if (!response.ok()) {
                 // Feast's list_projects answers a failed listing with 200 and this body.
                 result["error"] = "Error searching all projects";
                 return result;
               }
               result["projects"] = response->value("projects", Json::array());
               result["pagination"] = response->value("pagination", Json::object());
               return result;
             }));
  router.Get("/api/v1/projects/{name}",
             JsonRoute(caller, [&caller](const HttpRequest& http) -> absl::StatusOr<Json> {
               absl::StatusOr<bool> allow_cache = BoolParam(http, "allow_cache", true);
               if (!allow_cache.ok()) return allow_cache.status();
               auto request = caller.NewRequest("GetProject");
               SetStringField(*request, "name", http.path_params.at("name"));
               SetBoolField(*request, "allow_cache", *allow_cache);
               return caller.Call(http, "GetProject", *request);
             }));
}

}  // namespace larder::http
