// The web UI over HTTP through the real binary: static files from --ui-dir and never from
// outside it, index.html for deep links, /projects-list.json from the registry's projects. (The
// real UI in a real browser is http_browser_test.cc.)
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "tests/e2e/api_fixture.h"
#include "tests/e2e/http_client.h"
#include "tests/support/temp_dir.h"

namespace larder::testing {
namespace {

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST_CASE("http: the UI folder is served, deep links load the app, nothing outside leaks",
          "[sqlite]") {
  TempDir dir;
  const std::string ui = dir.File("ui");
  mkdir(ui.c_str(), 0755);
  mkdir((ui + "/assets").c_str(), 0755);
  Write(ui + "/index.html", "<html>feast ui</html>");
  Write(ui + "/assets/app-1234.js", "console.log('app')");
  std::string big_script;
  for (int i = 0; big_script.size() < (1 << 20); ++i) {
    big_script += "console.log('line " + std::to_string(i) + "');\n";
  }
  Write(ui + "/assets/big-5678.js", big_script);
  Write(dir.File("secret.txt"), "TOP-SECRET");
  REQUIRE(symlink(dir.File("secret.txt").c_str(), (ui + "/leak.txt").c_str()) == 0);

  auto db = ScratchDatabase::Create(TestBackend::kSqlite);
  ApiServer api(*db, {"--ui-dir=" + ui});
  const int port = api.process().http_port();
  REQUIRE_OK(api.Apply(MakeProject("credit_scoring", "Scores")));
  REQUIRE_OK(api.Apply(MakeProject("fraud")));

  HttpResult index = HttpGet(port, "/");
  CHECK(index.status == 200);
  CHECK(index.body == "<html>feast ui</html>");
  CHECK(index.Header("content-type") == "text/html; charset=utf-8");
  HttpResult deep = HttpGet(port, "/p/credit_scoring/feature-view/driver_stats");
  CHECK(deep.status == 200);
  CHECK(deep.body == index.body);
  CHECK(HttpGet(port, "/changes").body == index.body);  // Larder's Changes page
  CHECK(HttpGet(port, "/changes/x").status == 404);
  // Larder's History page, for every kind.
  CHECK(HttpGet(port, "/history?project=p&kind=permission&name=readers").body == index.body);
  CHECK(HttpGet(port, "/history/x").status == 404);
  HttpResult script = HttpGet(port, "/assets/app-1234.js");
  CHECK(script.status == 200);
  CHECK(script.Header("content-type") == "application/javascript");
  CHECK(script.Header("cache-control").find("immutable") != std::string::npos);
  CHECK(HttpGet(port, "/assets/missing.js").status == 404);
  // A browser accepts Brotli too, but gets gzip (httplib's Brotli takes seconds per megabyte).
  HttpResult zipped =
      HttpGet(port, "/assets/big-5678.js", {{"Accept-Encoding", "gzip, deflate, br"}});
  CHECK(zipped.status == 200);
  CHECK(zipped.Header("content-encoding") == "gzip");
  CHECK(zipped.body == big_script);
  CHECK(HttpGet(port, "/api/v1/projects", {{"Accept-Encoding", "br;q=1.0, gzip;q=0.8"}})
            .Header("content-encoding") == "gzip");
  // API paths never fall through to the UI.
  CHECK(HttpGet(port, "/api/v1/nothing").json()["detail"] == "Not Found");

  for (const std::string path :
       {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt",
        "/assets/..%2f..%2fsecret.txt", "/leak.txt", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/assets/%5c..%5c..%5csecret.txt", "/index.html%00.js"}) {
    HttpResult result = HttpGet(port, path);
    INFO(path << " -> " << result.status << " " << result.body);
    CHECK(result.status >= 400);
    CHECK(result.status < 500);
    CHECK(result.body.find("TOP-SECRET") == std::string::npos);
  }

  // Feast's ui_server.py list: display names, descriptions, "All Projects" first when several.
  const Json list = HttpGet(port, "/projects-list.json").json();
  Json want = Json::array();
  want.push_back({{"name", "All Projects"},
                  {"description", "View data across all projects"},
                  {"id", "all"},
                  {"registryPath", "/api/v1"}});
  want.push_back({{"name", "Credit Scoring"},
                  {"description", "Scores"},
                  {"id", "credit_scoring"},
                  {"registryPath", "/api/v1"}});
  want.push_back({{"name", "Fraud"},
                  {"description", "Project: fraud"},
                  {"id", "fraud"},
                  {"registryPath", "/api/v1"}});
  CHECK(list["projects"] == want);

  // Feast's UI server answers its MLflow endpoints as "not configured" without MLflow.
  CHECK(HttpGet(port, "/api/mlflow-feature-usage").json() ==
        Json{{"feature_usage", Json::object()}, {"mlflow_enabled", false}});
  CHECK(HttpGet(port, "/api/mlflow-runs").json() ==
        Json{{"runs", Json::array()}, {"mlflow_uri", nullptr}});
  CHECK(HttpGet(port, "/api/mlflow-feature-models").json() ==
        Json{{"feature_models", Json::object()}});
  // Its label-data reads (POSTs the label view page sends) need Feast's stores: 501 saying so,
  // while other POSTs stay the read-only API's 405, and a GET there is told the path takes POST.
  HttpResult labels = HttpRequestOf(port, "POST", "/api/v1/list-labels");
  CHECK(labels.status == 501);
  CHECK(labels.json()["detail"].get<std::string>().find("offline") != std::string::npos);
  CHECK(HttpRequestOf(port, "POST", "/api/v1/label-quality").status == 501);
  CHECK(HttpRequestOf(port, "POST", "/api/v1/push").status == 405);
  CHECK(HttpRequestOf(port, "POST", "/").status == 405);
  HttpResult get_labels = HttpGet(port, "/api/v1/list-labels");
  CHECK(get_labels.status == 405);
  CHECK(get_labels.Header("allow") == "POST");
}

TEST_CASE("http: without a UI folder / says how to get one; a bad --ui-dir fails start-up",
          "[sqlite]") {
  auto db = ScratchDatabase::Create(TestBackend::kSqlite);
  ApiServer api(*db, {"--ui-dir=" LARDER_SOURCE_DIR "/tests"});  // a folder without index.html
  CHECK(HttpGet(api.process().http_port(), "/").status == 404);
  ServerProcess bad({"serve", "--addr=127.0.0.1:0", "--db=" + db->url(), "--ui-dir=/nonexistent"});
  CHECK(bad.RunToExit() == 1);
  CHECK(bad.output().find("--ui-dir /nonexistent is not a folder") != std::string::npos);
}

}  // namespace
}  // namespace larder::testing
