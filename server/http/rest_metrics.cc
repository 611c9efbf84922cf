// Feast REST's registry metrics and materialization routes: resource counts, popular tags,
// recently visited objects and materialization jobs, all derived from registry reads. The
// compute-engine routes describe Feast's feature_store.yaml, which Larder does not have: 501.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "server/http/json_error.h"
#include "server/http/rest_routes.h"

namespace larder::http {
namespace {

// The list `key` of method `method`'s answer for `project`, or [] when it cannot be read
// (Feast's metrics ignore a failed list).
Json ListOrEmpty(const RestCaller& caller, const HttpRequest& http, const char* method,
                 const char* key, const std::string& project, bool allow_cache) {
  auto request = caller.NewRequest(method);
  SetStringField(*request, "project", project);
  SetBoolField(*request, "allow_cache", allow_cache);
  absl::StatusOr<Json> response = caller.Call(http, method, *request);
  if (!response.ok()) return Json::array();
  return response->value(key, Json::array());
}

Json SpecOf(const Json& object) {
  auto it = object.find("spec");
  return it != object.end() && it->is_object() ? *it : Json::object();
}

// The registry's last update time as MessageToDict renders it, or null.
Json RegistryLastUpdated(const RestCaller& caller, const HttpRequest& http) {
  auto request = caller.NewRequest("Proto");
  absl::StatusOr<Json> registry = caller.Call(http, "Proto", *request);
  if (!registry.ok() || !registry->contains("lastUpdated")) return nullptr;
  return (*registry)["lastUpdated"];
}

// Feast's collect_resources_for_project: counts plus feature view and service summaries.
Json ProjectCounts(const RestCaller& caller, const HttpRequest& http, const std::string& project,
                   bool allow_cache) {
  const size_t entities =
      ListOrEmpty(caller, http, "ListEntities", "entities", project, allow_cache).size();
  const size_t sources =
      ListOrEmpty(caller, http, "ListDataSources", "dataSources", project, allow_cache).size();
  const size_t datasets =
      ListOrEmpty(caller, http, "ListSavedDatasets", "savedDatasets", project, allow_cache).size();
  const size_t features =
      ListOrEmpty(caller, http, "ListFeatures", "features", project, allow_cache).size();
  Json views = Json::array();
  for (const Json& any :
       ListOrEmpty(caller, http, "ListAllFeatureViews", "featureViews", project, allow_cache)) {
    const Json view = FlattenAny(any);
    if (view.empty()) continue;
    const Json spec = SpecOf(view);
    Json summary = Json::object();
    summary["name"] = spec.value("name", "");
    summary["project"] = project;
    summary["type"] = view.value("type", "featureView");
    const Json fields = spec.value("features", Json::array());
    summary["featureCount"] = fields.is_array() ? fields.size() : 0;
    views.push_back(std::move(summary));
  }
  Json services = Json::array();
  for (const Json& service :
       ListOrEmpty(caller, http, "ListFeatureServices", "featureServices", project, allow_cache)) {
    Json summary = Json::object();
    summary["name"] = SpecOf(service).value("name", "");
    summary["project"] = project;
    services.push_back(std::move(summary));
  }
  Json counts = Json::object();
  counts["entities"] = entities;
  counts["dataSources"] = sources;
  counts["savedDatasets"] = datasets;
  counts["features"] = features;
  counts["featureViews"] = views.size();
  counts["featureServices"] = services.size();
  Json result = Json::object();
  result["counts"] = std::move(counts);
  result["featureServices"] = std::move(services);
  result["featureViews"] = std::move(views);
  return result;
}

absl::StatusOr<Json> ResourceCounts(const RestCaller& caller, const HttpRequest& http) {
  absl::StatusOr<bool> allow_cache = BoolParam(http, "allow_cache", true);
  if (!allow_cache.ok()) return allow_cache.status();
  const std::string* project = http.Query("project");
  if (project != nullptr && !project->empty()) {
    Json resources = ProjectCounts(caller, http, *project, *allow_cache);
    Json result = Json::object();
    result["project"] = *project;
    result["counts"] = std::move(resources["counts"]);
    result["featureServices"] = std::move(resources["featureServices"]);
    result["featureViews"] = std::move(resources["featureViews"]);
    Json only = Json::object();
    only["name"] = *project;
    result["projects"] = Json::array({only});
    result["registryLastUpdated"] = RegistryLastUpdated(caller, http);
    return result;
  }
  auto request = caller.NewRequest("ListProjects");
  SetBoolField(*request, "allow_cache", *allow_cache);
  absl::StatusOr<Json> projects = caller.Call(http, "ListProjects", *request);
  if (!projects.ok()) return projects.status();
  Json total = Json::object();
  for (const char* key : {"entities", "dataSources", "savedDatasets", "features", "featureViews",
                          "featureServices"}) {
    total[key] = 0;
  }
  Json per_project = Json::object();
  Json services = Json::array();
  Json views = Json::array();
  Json summaries = Json::array();
  for (const Json& info : projects->value("projects", Json::array())) {
    if (!info.contains("spec")) continue;
    const Json spec = SpecOf(info);
    const std::string name = spec.value("name", "");
    Json resources = ProjectCounts(caller, http, name, *allow_cache);
    for (auto& [key, count] : total.items()) {
      count = count.get<int64_t>() + resources["counts"][key].get<int64_t>();
    }
    per_project[name] = resources["counts"];
    for (Json& service : resources["featureServices"]) services.push_back(std::move(service));
    for (Json& view : resources["featureViews"]) views.push_back(std::move(view));
    Json summary = Json::object();
    summary["name"] = name;
    summary["description"] = spec.value("description", "");
    summaries.push_back(std::move(summary));
  }
  Json result = Json::object();
  result["total"] = std::move(total);
  result["perProject"] = std::move(per_project);
  result["featureServices"] = std::move(services);
  result["featureViews"] = std::move(views);
  result["projects"] = std::move(summaries);
  result["registryLastUpdated"] = RegistryLastUpdated(caller, http);
  return result;
}

// Feast's popular_tags: the tag key/value pairs set on the most feature views.
absl::StatusOr<Json> PopularTags(const RestCaller& caller, const HttpRequest& http, int limit,
                                 bool allow_cache) {
  std::vector<std::string> projects;
  const std::string* project = http.Query("project");
  if (project != nullptr && !project->empty()) {
    projects.push_back(*project);
  } else {
    absl::StatusOr<std::vector<std::string>> names = ProjectNames(caller, http, allow_cache);
    if (!names.ok()) return names.status();
    projects = std::move(*names);
  }
  Json views = Json::array();
  for (const std::string& name : projects) {
    auto request = caller.NewRequest("ListAllFeatureViews");
    SetStringField(*request, "project", name);
    SetBoolField(*request, "allow_cache", allow_cache);
    absl::StatusOr<Json> response = caller.Call(http, "ListAllFeatureViews", *request);
    if (!response.ok()) return response.status();
    for (const Json& any : response->value("featureViews", Json::array())) {
      Json view = FlattenAny(any);
      if (view.empty()) continue;
      view["project"] = name;
      views.push_back(std::move(view));
    }
  }
  // Tag key -> value -> the views carrying it, each level in first-seen order.
  struct Tag {
    std::string key;
    Json value;
    Json views = Json::array();
  };
  std::vector<Tag> tags;
  for (const Json& view : views) {
    // Held here: items() of a temporary would outlive it.
    const Json view_tags = SpecOf(view).value("tags", Json::object());
    for (const auto& [key, value] : view_tags.items()) {
      auto it = std::find_if(tags.begin(), tags.end(),
                             [&](const Tag& tag) { return tag.key == key && tag.value == value; });
      if (it == tags.end()) {
        // Feast groups values under their key in first-seen key order.
        auto last_of_key = std::find_if(tags.rbegin(), tags.rend(),
                                        [&](const Tag& tag) { return tag.key == key; });
        it = tags.insert(last_of_key == tags.rend() ? tags.end() : last_of_key.base(),
                         Tag{key, value});
      }
      Json info = Json::object();
      info["name"] = SpecOf(view).value("name", "unknown");
      info["project"] = view.value("project", "unknown");
      it->views.push_back(std::move(info));
    }
  }
  std::stable_sort(tags.begin(), tags.end(), [](const Tag& a, const Tag& b) {
    if (a.views.size() != b.views.size()) return a.views.size() > b.views.size();
    return a.key > b.key;
  });
  const int64_t count = static_cast<int64_t>(tags.size());
  // Python's tags[:limit], where a negative limit counts from the end.
  const int64_t take = std::clamp<int64_t>(limit < 0 ? count + limit : limit, 0, count);
  Json popular = Json::array();
  for (int64_t i = 0; i < take; ++i) {
    Json entry = Json::object();
    entry["tag_key"] = tags[i].key;
    entry["tag_value"] = tags[i].value;
    entry["feature_views"] = tags[i].views;
    entry["total_feature_views"] = tags[i].views.size();
    popular.push_back(std::move(entry));
  }
  Json metadata = Json::object();
  metadata["totalFeatureViews"] = views.size();
  metadata["totalTags"] = count;
  metadata["limit"] = limit;
  Json result = Json::object();
  result["popular_tags"] = std::move(popular);
  result["metadata"] = std::move(metadata);
  return result;
}

// Feast logs each object page a user opens into the project's metadata and lists them here.
// Larder keeps no such log, so the list is empty, shaped as Feast shapes it.
absl::StatusOr<Json> RecentlyVisited(const HttpRequest& http) {
  absl::StatusOr<ListParams> list = ListParamsOf(http);
  if (!list.ok()) return list.status();
  Json result = Json::object();
  result["visits"] = Json::array();
  if (list->page == 0 && list->limit == 0) {
    result["pagination"] = Json::object({{"totalCount", 0}});
    return result;
  }
  auto [paged, pagination] =
      PaginateAndSort(Json::array(), list->page == 0 ? 1 : list->page,
                      list->limit == 0 ? 50 : list->limit, list->sort_by, list->sort_order);
  result["visits"] = std::move(paged);
  result["pagination"] = std::move(pagination);
  return result;
}

// Python's items[start:end] bounds for a list of `size`.
std::pair<int64_t, int64_t> PySlice(int64_t size, int64_t start, int64_t end) {
  auto bound = [size](int64_t at) { return std::clamp<int64_t>(at < 0 ? at + size : at, 0, size); };
  return {bound(start), bound(end)};
}

// Feast's list_materialization_jobs: one SUCCEEDED job per materialization interval of each
// feature view, newest first.
absl::StatusOr<Json> MaterializationJobs(const RestCaller& caller, const HttpRequest& http) {
  absl::StatusOr<std::string> project = RequiredParam(http, "project");
  if (!project.ok()) return project.status();
  absl::StatusOr<bool> allow_cache = BoolParam(http, "allow_cache", true);
  if (!allow_cache.ok()) return allow_cache.status();
  absl::StatusOr<ListParams> list = ListParamsOf(http);
  if (!list.ok()) return list.status();
  auto request = caller.NewRequest("ListFeatureViews");
  SetStringField(*request, "project", *project);
  SetBoolField(*request, "allow_cache", *allow_cache);
  absl::StatusOr<Json> response = caller.Call(http, "ListFeatureViews", *request);
  if (!response.ok()) return response.status();
  std::vector<Json> jobs;
  for (const Json& view : response->value("featureViews", Json::array())) {
    const Json spec = view.contains("spec") ? view["spec"] : view;
    const std::string name = spec.value("name", "unknown");
    const Json meta = view.value("meta", Json::object());
    int index = 0;
    for (const Json& interval : meta.value("materializationIntervals", Json::array())) {
      Json job = Json::object();
      job["id"] = name + "-" + std::to_string(index++);
      job["featureView"] = name;
      job["status"] = "SUCCEEDED";
      job["startTime"] = interval.value("startTime", Json(nullptr));
      job["endTime"] = interval.value("endTime", Json(nullptr));
      jobs.push_back(std::move(job));
    }
  }
  auto text = [](const Json& job) {
    const Json& start = job["startTime"];
    return start.is_string() ? start.get<std::string>() : std::string();
  };
  std::stable_sort(jobs.begin(), jobs.end(),
                   [&](const Json& a, const Json& b) { return text(a) > text(b); });
  if (const std::string* status = http.Query("status"); status != nullptr && !status->empty()) {
    const std::string wanted = absl::AsciiStrToUpper(*status);
    jobs.erase(std::remove_if(jobs.begin(), jobs.end(),
                              [&](const Json& job) { return job["status"] != wanted; }),
               jobs.end());
  }
  if (const std::string* view = http.Query("feature_view"); view != nullptr && !view->empty()) {
    jobs.erase(std::remove_if(jobs.begin(), jobs.end(),
                              [&](const Json& job) { return job["featureView"] != *view; }),
               jobs.end());
  }
  // Feast pages with the raw parameters, which are 0 when absent: without page and limit the
  // slice is empty, as in Feast.
  const int64_t total = static_cast<int64_t>(jobs.size());
  const int64_t start = static_cast<int64_t>(list->page - 1) * list->limit;
  auto [from, to] = PySlice(total, start, start + list->limit);
  Json paged = Json::array();
  for (int64_t i = from; i < to; ++i) paged.push_back(std::move(jobs[i]));
  Json pagination = Json::object();
  pagination["page"] = list->page;
  pagination["limit"] = list->limit;
  pagination["total"] = total;
  Json result = Json::object();
  result["jobs"] = std::move(paged);
  result["pagination"] = std::move(pagination);
  return result;
}

}  // namespace

void AddMetricsRoutes(Router& router, const RestCaller& caller) {
  router.Get("/api/v1/metrics/resource_counts",
             JsonRoute(caller, [&caller](const HttpRequest& http) {
               return ResourceCounts(caller, http);
             }));
  router.Get("/api/v1/metrics/popular_tags", [&caller](const HttpRequest& http) {
    absl::StatusOr<int> limit = IntParam(http, "limit", 4, INT32_MIN, INT32_MAX);
    if (!limit.ok()) return StatusToHttp(limit.status());
    absl::StatusOr<bool> allow_cache = BoolParam(http, "allow_cache", true);
    if (!allow_cache.ok()) return StatusToHttp(allow_cache.status());
    const std::string etag = caller.Etag(*allow_cache);
    absl::StatusOr<Json> json = PopularTags(caller, http, *limit, *allow_cache);
    // Feast answers any failure past its parameters as a 500 HTTPException naming it.
    if (!json.ok()) {
      return JsonError(500,
                       "Failed to generate popular tags: " + std::string(json.status().message()),
                       "HTTPException");
    }
    HttpResponse response;
    response.body = json->dump(-1, ' ', false, Json::error_handler_t::replace);
    response.etag = etag;
    return response;
  });
  router.Get("/api/v1/metrics/recently_visited",
             JsonRoute(caller, [](const HttpRequest& http) { return RecentlyVisited(http); }));
  router.Get("/api/v1/materialization_jobs", JsonRoute(caller, [&caller](const HttpRequest& http) {
               return MaterializationJobs(caller, http);
             }));
  const char* engines =
      "Larder serves the registry only: the compute engine is configured in a Feast "
      "deployment's feature_store.yaml, which Larder does not read (use Feast's REST server "
      "for this)";
  for (const char* path : {"/api/v1/compute_engines", "/api/v1/compute_engines/all"}) {
    router.Get(path, [engines](const HttpRequest&) { return JsonError(501, engines); });
  }
}

}  // namespace larder::http
