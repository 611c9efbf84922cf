// Hostile input to the REST routes that compute more than one list per request (search, complete
// lineage, metrics, materialization jobs): malformed, out-of-range, huge and repeated parameters
// get Feast's clear 4xx (or a well-formed answer), never a crash, and the server keeps serving.
#include <string>

#include "tests/e2e/api_fixture.h"
#include "tests/e2e/http_client.h"

namespace larder::testing {
namespace {

void HostileRestParameters(ScratchDatabase& db) {
  ApiServer api(db);
  const int port = api.process().http_port();
  ApplyDemoRepo(api, MakeDemoRepo("demo"));

  auto status_of = [port](const std::string& path) {
    HttpResult result = HttpGet(port, path);
    INFO(path << " -> " << result.status << " " << result.body.substr(0, 300));
    // Every answer, refusal or not, is well-formed JSON.
    CHECK_FALSE(result.json().is_discarded());
    return result.status;
  };

  // Search: Feast's 400s for sort and page values, 422 for what does not parse or is missing.
  CHECK(status_of("/api/v1/search") == 422);
  CHECK(status_of("/api/v1/search?query=x&sort_by=__class__") == 400);
  CHECK(status_of("/api/v1/search?query=x&sort_order=sideways") == 400);
  CHECK(status_of("/api/v1/search?query=x&page=0") == 400);
  CHECK(status_of("/api/v1/search?query=x&limit=101") == 400);
  CHECK(status_of("/api/v1/search?query=x&limit=-1") == 400);
  CHECK(status_of("/api/v1/search?query=x&page=abc") == 422);
  CHECK(status_of("/api/v1/search?query=x&page=99999999999999999999") == 422);
  CHECK(HttpGet(port, "/api/v1/search?query=x&sort_by=__class__").json()["error_type"] ==
        "HTTPException");
  // Odd but valid: empty, invalid UTF-8, very long and repeated values.
  CHECK(status_of("/api/v1/search?query=") == 200);
  CHECK(status_of("/api/v1/search?query=%ff%fe%00") == 200);
  CHECK(status_of("/api/v1/search?query=" + std::string(7000, 'd')) == 200);
  std::string many = "/api/v1/search?query=driver";
  for (int i = 0; i < 500; ++i) many += "&projects=p" + std::to_string(i);
  HttpResult missing = HttpGet(port, many);
  CHECK(missing.status == 200);
  CHECK(missing.json()["projects_searched"].empty());
  CHECK(missing.json()["errors"][0].get<std::string>().find("Following projects do not exist") ==
        0);
  std::string tags = "/api/v1/search?query=driver";
  for (int i = 0; i < 500; ++i) tags += "&tags=k" + std::to_string(i) + ":v";
  CHECK(status_of(tags) == 200);

  // Complete lineage, metrics and materialization jobs.
  CHECK(status_of("/api/v1/lineage/complete") == 422);
  CHECK(status_of("/api/v1/lineage/complete?project=demo&limit=0") == 422);
  CHECK(status_of("/api/v1/lineage/complete?project=nope") == 200);
  CHECK(status_of("/api/v1/lineage/complete/all?allow_cache=maybe") == 422);
  CHECK(status_of("/api/v1/lineage/objects/__proto__/x?project=demo") == 422);
  CHECK(status_of("/api/v1/metrics/popular_tags?limit=-3") == 200);
  CHECK(status_of("/api/v1/metrics/popular_tags?limit=abc") == 422);
  CHECK(status_of("/api/v1/metrics/resource_counts?project=%2e%2e") == 200);
  CHECK(status_of("/api/v1/metrics/recently_visited?page=0") == 422);
  CHECK(status_of("/api/v1/materialization_jobs") == 422);
  CHECK(status_of("/api/v1/materialization_jobs?project=demo&page=-1") == 422);
  CHECK(status_of("/api/v1/materialization_jobs?project=demo&page=2147483647&limit=100") == 200);
  CHECK(status_of("/api/v1/compute_engines?project=demo") == 501);

  CHECK(HttpGet(port, "/healthz").status == 200);
  CHECK(HttpGet(port, "/api/v1/search?query=driver").json()["results"].size() > 0);
}
LARDER_BACKEND_TEST("http: hostile parameters to search, lineage and metrics get a clear 4xx",
                    HostileRestParameters)

}  // namespace
}  // namespace larder::testing
