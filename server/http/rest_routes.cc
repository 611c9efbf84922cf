#include "server/http/rest_routes.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"

#include "server/http/json_error.h"

namespace larder::http {

Router::Handler JsonRoute(const RestCaller& caller,
                          std::function<absl::StatusOr<Json>(const HttpRequest&)> answer) {
  return [&caller, answer = std::move(answer)](const HttpRequest& http) {
    absl::StatusOr<bool> allow_cache = BoolParam(http, "allow_cache", true);
    // Checked before the revision is read: a shareable answer is one of the snapshot's.
    const bool shareable = allow_cache.value_or(false) && caller.AnswersShareable();
    const std::string etag = caller.Etag(allow_cache.value_or(true));
    HttpResponse response;
    response.etag = etag;
    std::string key;
    if (shareable) {
      key = http.path;
      for (const auto& [name, value] : http.query) absl::StrAppend(&key, "\n", name, "=", value);
      if (std::shared_ptr<const std::string> kept = caller.answers().Find(key, etag)) {
        response.body = *kept;
        return response;
      }
    }
    absl::StatusOr<Json> json = answer(http);
    if (!json.ok()) return StatusToHttp(json.status());
    response.body = json->dump(-1, ' ', false, Json::error_handler_t::replace);
    if (shareable) {
      caller.answers().Keep(key, etag, std::make_shared<const std::string>(response.body));
    }
    return response;
  };
}

Json ObjectRelationships(const RestCaller& caller, const HttpRequest& http,
                         const std::string& object_type, const std::string& name,
                         const std::string& project, bool allow_cache) {
  auto request = caller.NewRequest("GetObjectRelationships");
  SetStringField(*request, "project", project);
  SetStringField(*request, "object_type", object_type);
  SetStringField(*request, "object_name", name);
  SetBoolField(*request, "include_indirect", true);
  SetBoolField(*request, "allow_cache", allow_cache);
  absl::StatusOr<Json> response = caller.Call(http, "GetObjectRelationships", *request);
  if (!response.ok() || !response->contains("relationships")) return Json::array();
  return (*response)["relationships"];
}

namespace {
std::string ObjectName(const Json& object) {
  for (const char* where : {"", "spec", "meta"}) {
    const Json* holder = &object;
    if (*where != '\0') {
      auto it = object.find(where);
      if (it == object.end() || !it->is_object()) continue;
      holder = &*it;
    }
    auto name = holder->find("name");
    if (name != holder->end() && name->is_string() && !name->get<std::string>().empty()) {
      return name->get<std::string>();
    }
  }
  return "";
}
}  // namespace

Json RelationshipsFor(const RestCaller& caller, const HttpRequest& http, const Json& objects,
                      const std::string& object_type, const std::string& project,
                      bool allow_cache) {
  Json map = Json::object();
  for (const Json& object : objects) {
    const std::string name = ObjectName(object);
    if (name.empty()) continue;
    map[name] = ObjectRelationships(caller, http, object_type, name, project, allow_cache);
  }
  return map;
}

absl::StatusOr<std::vector<std::string>> ProjectNames(const RestCaller& caller,
                                                      const HttpRequest& http, bool allow_cache) {
  auto request = caller.NewRequest("ListProjects");
  SetBoolField(*request, "allow_cache", allow_cache);
  absl::StatusOr<Json> response = caller.Call(http, "ListProjects", *request);
  if (!response.ok()) return response.status();
  std::vector<std::string> names;
  for (const Json& project : response->value("projects", Json::array())) {
    names.push_back(project.value("spec", Json::object()).value("name", ""));
  }
  return names;
}

absl::StatusOr<ListParams> ListParamsOf(const HttpRequest& http) {
  ListParams params;
  absl::StatusOr<int> page = IntParam(http, "page", 0, 1, INT32_MAX);
  if (!page.ok()) return page.status();
  absl::StatusOr<int> limit = IntParam(http, "limit", 0, 1, 100);
  if (!limit.ok()) return limit.status();
  params.page = *page;
  params.limit = *limit;
  if (const std::string* by = http.Query("sort_by")) params.sort_by = *by;
  if (const std::string* order = http.Query("sort_order")) {
    if (*order != "asc" && *order != "desc") {
      return absl::InvalidArgumentError(
          "query parameter 'sort_order': string should match pattern '^(asc|desc)$'");
    }
    params.sort_order = *order;
  }
  return params;
}

absl::StatusOr<ListParams> AllListParamsOf(const HttpRequest& http) {
  ListParams params;
  absl::StatusOr<int> page = IntParam(http, "page", 1, 1, INT32_MAX);
  if (!page.ok()) return page.status();
  absl::StatusOr<int> limit = IntParam(http, "limit", 50, 1, 100);
  if (!limit.ok()) return limit.status();
  params.page = *page;
  params.limit = *limit;
  if (const std::string* by = http.Query("sort_by")) params.sort_by = *by;
  if (const std::string* order = http.Query("sort_order")) params.sort_order = *order;
  return params;
}

void AddUnavailableRoutes(Router& router) {
  auto unavailable = [](const char* why) {
    return [why](const HttpRequest&) { return JsonError(501, why); };
  };
  const char* offline =
      "Larder serves the registry only: reading a saved dataset's data or its retrieval jobs "
      "needs Feast's offline store (use Feast's REST server for these)";
  router.Get("/api/v1/saved_datasets/data/{name}", unavailable(offline));
  router.Get("/api/v1/saved_datasets/jobs", unavailable(offline));
  router.Get("/api/v1/saved_datasets/jobs/{job_id}", unavailable(offline));
  const char* monitoring =
      "Larder serves the registry only: monitoring metrics are computed by Feast's feature "
      "server from offline data";
  for (const char* path :
       {"/api/v1/monitoring/{a}", "/api/v1/monitoring/{a}/{b}", "/api/v1/monitoring/{a}/{b}/{c}"}) {
    router.Get(path, unavailable(monitoring));
  }
}

}  // namespace larder::http
