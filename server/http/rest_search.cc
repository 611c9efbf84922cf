// Feast REST's /search: every object of the chosen projects as a {type, name, description,
// project} summary, kept when the query matches its name, description or tags (exactly or by
// Feast's character-overlap score), then sorted and paged.
#include <algorithm>
#include <climits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/http/json_error.h"
#include "server/http/rest_routes.h"

namespace larder::http {
namespace {

// Feast's MATCH_SCORE_* constants: the score of a match by name, description or exact tag, and
// the least character-overlap score that counts as a fuzzy match.
constexpr int kNameScore = 100;
constexpr int kDescriptionScore = 80;
constexpr int kTagScore = 60;
constexpr double kFuzzyThreshold = 0.75;

// Feast's fuzzy_match: the Jaccard similarity of the two texts' character sets.
double FuzzyMatch(const std::string& query, const std::string& text) {
  if (query.empty() || text.empty()) return 0.0;
  const std::set<char> a(query.begin(), query.end());
  const std::set<char> b(text.begin(), text.end());
  std::vector<char> both;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
  std::set<char> either = a;
  either.insert(b.begin(), b.end());
  return static_cast<double>(both.size()) / static_cast<double>(either.size());
}

std::string Text(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

Json Child(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : Json::object();
}

std::string Lower(const std::string& text) { return absl::AsciiStrToLower(text); }

// One summary: {type, name, description, project, [extra], tags}.
Json Summary(const char* type, const Json& holder, const std::string& project) {
  Json summary = Json::object();
  summary["type"] = type;
  summary["name"] = Text(holder, "name");
  summary["description"] = Text(holder, "description");
  summary["project"] = project;
  summary["tags"] = Child(holder, "tags");
  return summary;
}

// The summaries of one project's objects, in Feast's order of kinds.
void AddSummaries(const ProjectResources& resources, const std::string& project, Json& out) {
  const Json& objects = resources.objects;
  for (const Json& entity : objects["entities"]) {
    out.push_back(Summary("entity", Child(entity, "spec"), project));
  }
  for (const Json& source : objects["dataSources"]) {
    out.push_back(Summary("dataSource", source, project));
  }
  for (const Json& any : objects["featureViews"]) {
    // Feast takes the first member whose name says feature view, whatever its kind.
    for (const auto& [key, value] : any.items()) {
      const std::string lower = Lower(key);
      if (!value.is_object() || lower.find("feature") == std::string::npos ||
          lower.find("view") == std::string::npos) {
        continue;
      }
      out.push_back(Summary("featureView", Child(value, "spec"), project));
      break;
    }
  }
  for (const Json& view : objects["labelViews"]) {
    out.push_back(Summary("labelView", Child(view, "spec"), project));
  }
  for (const char* kind : {"features", "labels"}) {
    const bool label = std::string(kind) == "labels";
    for (const Json& feature : objects[kind]) {
      Json summary = Json::object();
      summary["type"] = label ? "label" : "feature";
      summary["name"] = Text(feature, "name");
      summary["description"] = Text(feature, "description");
      summary["project"] = project;
      summary[label ? "labelView" : "featureView"] = Text(feature, "featureView");
      summary["tags"] = Child(feature, "tags");
      out.push_back(std::move(summary));
    }
  }
  for (const Json& service : objects["featureServices"]) {
    out.push_back(Summary("featureService", Child(service, "spec"), project));
  }
  for (const Json& dataset : objects["savedDatasets"]) {
    out.push_back(Summary("savedDataset", Child(dataset, "spec"), project));
  }
}

// Feast's filter_search_results_and_match_score.
Json FilterAndScore(Json results, const std::string& query) {
  if (query.empty()) {
    for (Json& result : results) result["matched_tags"] = result["tags"];
    return results;
  }
  const std::string q = Lower(query);
  Json kept = Json::array();
  for (Json& result : results) {
    Json matched = Json::object();
    double best_tag = 0.0;
    bool exact_tag = false;
    for (const auto& [key, value] : result["tags"].items()) {
      const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
      const std::string combined = Lower(key) + "=" + Lower(text);
      if (combined.find(q) != std::string::npos) {
        exact_tag = true;
        matched[key] = value;
        continue;
      }
      const double score = FuzzyMatch(q, combined);
      if (score >= kFuzzyThreshold) {
        matched[key] = value;
        best_tag = std::max(best_tag, score);
      }
    }
    result["matched_tags"] = std::move(matched);
    const std::string name = Lower(result.value("name", ""));
    if (name.find(q) != std::string::npos) {
      result["match_score"] = kNameScore;
    } else if (Lower(result.value("description", "")).find(q) != std::string::npos) {
      result["match_score"] = kDescriptionScore;
    } else if (exact_tag) {
      result["match_score"] = kTagScore;
    } else if (best_tag >= kFuzzyThreshold) {
      result["match_score"] = best_tag * 100;
    } else if (const double score = FuzzyMatch(q, name); score >= kFuzzyThreshold) {
      result["match_score"] = score * 100;
    } else {
      continue;
    }
    kept.push_back(std::move(result));
  }
  return kept;
}

// Feast's search sorting and paging checks answer 400 (HTTPException), not FastAPI's 422.
struct SearchParams {
  std::string sort_by = "match_score";
  std::string sort_order = "desc";
  int page = 1;
  int limit = 50;
};

// The 400 answer for an invalid sort or page parameter, or nullopt when they are valid; a
// page or limit that is not an integer is left to the caller's 422.
std::optional<HttpResponse> CheckSearchParams(const HttpRequest& http, SearchParams& params) {
  if (const std::string* by = http.Query("sort_by"); by != nullptr && !by->empty()) {
    if (*by != "match_score" && *by != "name" && *by != "type") {
      return JsonError(400,
                       absl::StrCat("Invalid sort_by parameter: '", *by,
                                    "'. Valid options are: ['match_score', 'name', 'type']"),
                       "HTTPException");
    }
    params.sort_by = *by;
  }
  if (const std::string* order = http.Query("sort_order"); order != nullptr && !order->empty()) {
    if (*order != "asc" && *order != "desc") {
      return JsonError(400,
                       absl::StrCat("Invalid sort_order parameter: '", *order,
                                    "'. Valid options are: ['asc', 'desc']"),
                       "HTTPException");
    }
    params.sort_order = *order;
  }
  absl::StatusOr<int> page = IntParam(http, "page", 1, INT_MIN, INT_MAX);
  absl::StatusOr<int> limit = IntParam(http, "limit", 50, INT_MIN, INT_MAX);
  if (page.ok() && *page < 1) {
    return JsonError(
        400,
        absl::StrCat("Invalid page parameter: '", *page, "'. Must be greater than or equal to 1"),
        "HTTPException");
  }
  if (limit.ok() && *limit < 1) {
    return JsonError(
        400,
        absl::StrCat("Invalid limit parameter: '", *limit, "'. Must be greater than or equal to 1"),
        "HTTPException");
  }
  if (limit.ok() && *limit > 100) {
    return JsonError(
        400,
        absl::StrCat("Invalid limit parameter: '", *limit, "'. Must be less than or equal to 100"),
        "HTTPException");
  }
  if (page.ok()) params.page = *page;
  if (limit.ok()) params.limit = *limit;
  return std::nullopt;
}

absl::StatusOr<Json> Search(const RestCaller& caller, const HttpRequest& http,
                            const SearchParams& params) {
  for (const char* name : {"page", "limit"}) {
    absl::StatusOr<int> value = IntParam(http, name, 1, INT_MIN, INT_MAX);
    if (!value.ok()) return value.status();
  }
  absl::StatusOr<std::string> query = RequiredParam(http, "query");
  if (!query.ok()) return query.status();
  absl::StatusOr<bool> allow_cache = BoolParam(http, "allow_cache", true);
  if (!allow_cache.ok()) return allow_cache.status();
  const std::map<std::string, std::string> tags = TagsParam(http);

  // Feast's _validate_projects: the asked-for projects that exist (every project when none
  // is asked for), and one message naming what went wrong.
  std::vector<std::string> wanted;
  for (const std::string& project : http.QueryAll("projects")) {
    if (!absl::StripAsciiWhitespace(project).empty()) wanted.push_back(project);
  }
  std::string problem;
  std::set<std::string> searched;
  absl::StatusOr<std::vector<std::string>> existing = ProjectNames(caller, http, *allow_cache);
  if (!existing.ok() || existing->empty()) {
    problem = existing.ok() ? "No projects found" : "Error searching all projects";
  } else {
    const std::set<std::string> names(existing->begin(), existing->end());
    std::vector<std::string> missing;
    if (wanted.empty()) searched = names;
    for (const std::string& project : wanted) {
      if (names.count(project) > 0) {
        searched.insert(project);
      } else {
        missing.push_back(project);
      }
    }
    if (!missing.empty()) {
      problem = "Following projects do not exist: " + absl::StrJoin(missing, ", ");
    }
  }
  Json errors = Json::array();
  if (!problem.empty()) errors.push_back(problem);

  Json result = Json::object();
  result["query"] = *query;
  result["projects_searched"] = Json(std::vector<std::string>(searched.begin(), searched.end()));
  if (searched.empty()) {
    result["results"] = Json::array();
    result["pagination"] = Json::object();
    result["errors"] = std::move(errors);
    return result;
  }
  ListParams sorting;
  sorting.sort_by = params.sort_by;
  sorting.sort_order = params.sort_order;
  Json summaries = Json::array();
  for (const std::string& project : searched) {
    ProjectResources resources =
        AllProjectResources(caller, http, project, *allow_cache, tags, &sorting);
    for (std::string& error : resources.errors) errors.push_back(std::move(error));
    AddSummaries(resources, project, summaries);
  }
  auto [paged, pagination] =
      PaginateAndSort(FilterAndScore(std::move(summaries), *query), params.page, params.limit,
                      params.sort_by, params.sort_order);
  for (Json& item : paged) item.erase("tags");
  result["results"] = std::move(paged);
  result["pagination"] = std::move(pagination);
  result["errors"] = std::move(errors);
  return result;
}

}  // namespace

void AddSearchRoutes(Router& router, const RestCaller& caller) {
  router.Get("/api/v1/search", [&caller](const HttpRequest& http) {
    SearchParams params;
    if (std::optional<HttpResponse> refused = CheckSearchParams(http, params)) return *refused;
    return JsonRoute(caller, [&caller, params](const HttpRequest& request) {
      return Search(caller, request, params);
    })(http);
  });
}

}  // namespace larder::http
