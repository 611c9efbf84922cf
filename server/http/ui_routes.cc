#include "server/http/ui_routes.h"

#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "server/http/json_error.h"
#include "server/http/rest_routes.h"

namespace larder::http {
namespace {

// Feast's display name of a project: "credit_scoring" -> "Credit Scoring" (Python's title()).
std::string TitleOf(const std::string& name) {
  std::string out;
  bool start = true;
  for (char c : name) {
    if (c == '_') c = ' ';
    const bool letter = absl::ascii_isalpha(static_cast<unsigned char>(c));
    out += letter ? (start ? absl::ascii_toupper(c) : absl::ascii_tolower(c)) : c;
    start = !letter;
  }
  return out;
}

}  // namespace

void AddUiRoutes(Router& router, const RestCaller& caller, const StaticFiles* ui) {
  router.Get("/projects-list.json", [&caller](const HttpRequest& http) {
    Json projects = Json::array();
    auto request = caller.NewRequest("ListProjects");
    SetBoolField(*request, "allow_cache", true);
    absl::StatusOr<Json> listed = caller.Call(http, "ListProjects", *request);
    if (listed.ok()) {
      for (const Json& project : listed->value("projects", Json::array())) {
        const Json spec = project.value("spec", Json::object());
        const std::string name = spec.value("name", "");
        const std::string description = spec.value("description", "");
        projects.push_back({{"name", TitleOf(name)},
                            {"description", description.empty() ? "Project: " + name : description},
                            {"id", name},
                            {"registryPath", "/api/v1"}});
      }
    }
    if (projects.empty()) {
      projects.push_back({{"name", "Project"},
                          {"description", "Test project"},
                          {"id", "default"},
                          {"registryPath", "/api/v1"}});
    }
    if (projects.size() > 1) {
      projects.insert(projects.begin(), Json{{"name", "All Projects"},
                                             {"description", "View data across all projects"},
                                             {"id", "all"},
                                             {"registryPath", "/api/v1"}});
    }
    HttpResponse response;
    response.body =
        Json{{"projects", projects}}.dump(-1, ' ', false, Json::error_handler_t::replace);
    return response;
  });
  // Feast's UI server answers its MLflow endpoints with "not configured" when the feature store
  // has no MLflow; Larder has none, so the UI's pages that ask get the same empty answers
  // instead of a 404 (which the UI logs as an error).
  const auto fixed = [](Json body) {
    return [body = std::move(body)](const HttpRequest&) {
      HttpResponse response;
      response.body = body.dump();
      return response;
    };
  };
  router.Get("/api/mlflow-runs", fixed({{"runs", Json::array()}, {"mlflow_uri", nullptr}}));
  router.Get("/api/mlflow-feature-usage",
             fixed({{"feature_usage", Json::object()}, {"mlflow_enabled", false}}));
  router.Get("/api/mlflow-feature-models", fixed({{"feature_models", Json::object()}}));
  // Feast's UI server also answers the label view page's reads of label rows (POSTs under
  // /api/v1) from the feature store's offline and online stores, which Larder does not have:
  // 501 saying so, which the page shows, rather than the 405 of a write.
  const auto no_label_data = [](const HttpRequest&) {
    return JsonError(501,
                     "Larder serves the registry only: label data is read from Feast's offline "
                     "and online stores (Feast's UI server, feast ui, answers this)");
  };
  for (const char* path :
       {"/api/v1/list-labels", "/api/v1/label-quality", "/api/v1/get-online-labels",
        "/api/v1/active-learning/candidates", "/api/v1/training-dataset/export"}) {
    router.Post(path, no_label_data);
  }
  router.SetFallback([ui](const HttpRequest& http) {
    if (absl::StartsWith(http.path, "/api/")) return JsonError(404, "Not Found");
    if (ui == nullptr) {
      return JsonError(404,
                       "Not Found (the web UI is not installed: build it with ui/build.sh, or "
                       "point --ui-dir at its build folder)");
    }
    return ui->Serve(http.path);
  });
}

}  // namespace larder::http
