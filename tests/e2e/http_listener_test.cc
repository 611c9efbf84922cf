// The HTTP listener through the real binary: the probes and /metrics, --http-addr off and
// taken, CORS, and hostile input (unknown paths, huge or malformed query strings, path
// traversal, garbage requests, slow clients): a clear 4xx, and the server keeps serving.
#include <thread>

#include "tests/e2e/api_fixture.h"
#include "tests/e2e/http_client.h"

namespace larder::testing {
namespace {

TEST_CASE("http: /healthz, /readyz and /metrics answer", "[sqlite]") {
  auto db = ScratchDatabase::Create(TestBackend::kSqlite);
  ApiServer api(*db);
  const int port = api.process().http_port();
  REQUIRE(port > 0);
  HttpResult health = HttpGet(port, "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");
  CHECK(HttpGet(port, "/readyz").status == 200);
  HttpResult metrics = HttpGet(port, "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.Header("content-type") == "text/plain; version=0.0.4");
  // Feast's REST server's security headers.
  CHECK(health.Header("x-content-type-options") == "nosniff");
  CHECK(health.Header("x-frame-options") == "DENY");
  // HEAD works like GET without a body.
  HttpResult head = HttpRequestOf(port, "HEAD", "/healthz");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
}

TEST_CASE("http: --http-addr= turns HTTP off; a taken port fails start-up clearly", "[sqlite]") {
  auto db = ScratchDatabase::Create(TestBackend::kSqlite);
  ApiServer off(*db, {"--http-addr="});
  CHECK(off.process().http_port() == 0);
  CHECK(off.process().output().find("HTTP listening") == std::string::npos);

  ApiServer first(*db);
  const std::string taken = "--http-addr=127.0.0.1:" + std::to_string(first.process().http_port());
  ServerProcess second({"serve", "--addr=127.0.0.1:0", "--db=" + db->url(), taken});
  CHECK(second.RunToExit() == 1);
  CHECK(second.output().find("cannot listen on 127.0.0.1:") != std::string::npos);
}

TEST_CASE("http: CORS headers only for configured origins", "[sqlite]") {
  auto db = ScratchDatabase::Create(TestBackend::kSqlite);
  ApiServer api(*db, {"--http-cors-origins=https://ui.example"});
  const int port = api.process().http_port();
  HttpResult allowed = HttpGet(port, "/api/v1/projects", {{"Origin", "https://ui.example"}});
  CHECK(allowed.Header("access-control-allow-origin") == "https://ui.example");
  CHECK(allowed.Header("access-control-expose-headers") == "ETag");
  HttpResult other = HttpGet(port, "/api/v1/projects", {{"Origin", "https://evil.example"}});
  CHECK(other.status == 200);
  CHECK(other.Header("access-control-allow-origin").empty());
  HttpResult preflight =
      HttpRequestOf(port, "OPTIONS", "/api/v1/projects",
                    {{"Origin", "https://ui.example"}, {"Access-Control-Request-Method", "GET"}});
  CHECK(preflight.status == 204);
  CHECK(preflight.Header("access-control-allow-headers").find("Authorization") !=
        std::string::npos);
}

TEST_CASE("http: hostile input gets a clear 4xx and the server keeps serving", "[sqlite]") {
  auto db = ScratchDatabase::Create(TestBackend::kSqlite);
  ApiServer api(*db);
  const int port = api.process().http_port();
  REQUIRE_OK(api.Apply("demo", MakeEntity("driver", "driver_id")));

  // Unknown paths and methods.
  CHECK(HttpGet(port, "/api/v2/entities").status == 404);
  CHECK(HttpGet(port, "/api/v1/entities/a/b/c/d").status == 404);
  CHECK(HttpRequestOf(port, "PUT", "/api/v1/entities").status == 405);
  // A huge query string: refused as too long (414), no crash.
  const std::string huge = "/api/v1/entities?project=demo&x=" + std::string(20000, 'a');
  HttpResult too_long = HttpGet(port, huge);
  CHECK(too_long.status == 414);
  CHECK(too_long.json()["status_code"] == 414);
  // Many parameters that are still within the limit, repeated ones, and malformed escapes.
  std::string many = "/api/v1/entities?project=demo";
  for (int i = 0; i < 500; ++i) many += "&tags=k" + std::to_string(i) + ":v";
  CHECK(HttpGet(port, many).status == 200);
  CHECK(HttpGet(port, "/api/v1/entities?project=demo&&&==&%zz=%&limit=%41").status == 422);
  CHECK(HttpGet(port, "/api/v1/entities?project=%ff%fe").status == 200);
  CHECK(HttpGet(port, "/api/v1/entities?project=demo&page=99999999999999999999").status == 422);
  // Path traversal: never a file, however it is spelled.
  for (const std::string path :
       {"/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/api/v1/../../etc/passwd",
        "/..%2f..%2fetc%2fpasswd", "/api/v1/entities/..%2f..%2fetc%2fpasswd?project=demo"}) {
    HttpResult result = HttpGet(port, path);
    INFO(path << " -> " << result.status << " " << result.body);
    CHECK(result.status >= 400);
    CHECK(result.status < 500);
    CHECK(result.body.find("root:") == std::string::npos);
  }
  // Garbage instead of HTTP: 400.
  CHECK(RawStatus(RawExchange(port, {"NOT HTTP AT ALL\r\n\r\n"})) == 400);

  // Slow clients: connections that dribble a request (or send nothing) are cut off after the
  // read timeout, and meanwhile everyone else is served.
  std::vector<std::thread> slow;
  for (int i = 0; i < 8; ++i) {
    slow.emplace_back([port] {
      RawExchange(port, {"GET /healthz HTTP/1.1\r\n", "Host: x\r\n", "X-Slow: 1\r\n"}, 1500, 12000);
    });
  }
  for (int i = 0; i < 20; ++i) {
    HttpResult result = HttpGet(port, "/api/v1/entities?project=demo");
    REQUIRE(result.status == 200);
  }
  const auto started = std::chrono::steady_clock::now();
  const std::string idle = RawExchange(port, {"GET /healthz HTTP/1.1\r\n"}, 0, 15000);
  const auto waited = std::chrono::steady_clock::now() - started;
  CHECK(waited < std::chrono::seconds(12));  // closed by the server's read timeout
  for (std::thread& t : slow) t.join();
  CHECK(HttpGet(port, "/healthz").status == 200);
}

}  // namespace
}  // namespace larder::testing
