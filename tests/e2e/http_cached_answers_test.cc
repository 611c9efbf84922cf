// Larder keeps the rendered JSON of cached REST reads per registry revision (AnswerCache). What
// a user must never see: an answer older than a write this replica acknowledged, an answer of a
// revision other than its ETag's once the snapshot moved, or one caller's permission-filtered
// answer given to another.
#include <fstream>

#include "tests/e2e/api_fixture.h"
#include "tests/e2e/http_client.h"
#include "tests/support/temp_dir.h"

namespace larder::testing {
namespace {

std::vector<std::string> EntityNames(const HttpResult& result) {
  std::vector<std::string> names;
  const Json body = result.json();  // kept alive: a range-for over a temporary's member dangles
  for (const Json& entity : body["entities"]) names.push_back(entity["spec"]["name"]);
  return names;
}

void CachedAnswersFollowWrites(ScratchDatabase& db) {
  // The default poller keeps the snapshot current, so answers are kept and reused here.
  ApiServer api(db);
  ApiServer replica(db, {"--cache-poll-ms=0"});
  const int port = api.process().http_port();
  REQUIRE_OK(api.Apply("demo", MakeEntity("driver", "driver_id")));
  const std::string path = "/api/v1/entities?project=demo";

  // Repeated requests (the later ones answered from what was kept) give the same answer.
  HttpResult first = HttpGet(port, path);
  REQUIRE(first.status == 200);
  CHECK(EntityNames(first) == std::vector<std::string>{"driver"});
  for (int i = 0; i < 3; ++i) CHECK(HttpGet(port, path).body == first.body);

  // A write through this replica shows at once (read-your-writes), whatever was kept before.
  REQUIRE_OK(api.Apply("demo", MakeEntity("rider", "rider_id")));
  for (int i = 0; i < 3; ++i) {
    CHECK(EntityNames(HttpGet(port, path)) == std::vector<std::string>{"driver", "rider"});
  }

  // Another replica's write: cached reads see it once the snapshot catches up (Refresh here,
  // the poller in production), and then on every endpoint, not only the one asked before.
  REQUIRE_OK(replica.Apply("demo", MakeEntity("car", "car_id")));
  reg::RefreshRequest refresh;
  refresh.set_project("demo");
  api.Ok(&Stub::Refresh, refresh);
  HttpResult fresh = HttpGet(port, path);
  CHECK(EntityNames(fresh) == std::vector<std::string>{"car", "driver", "rider"});
  CHECK(fresh.Header("etag") != first.Header("etag"));
  CHECK(HttpGet(port, path).body == fresh.body);
  CHECK(
      HttpGet(port, "/api/v1/metrics/resource_counts?project=demo").json()["counts"]["entities"] ==
      3);
  CHECK(HttpGet(port, "/api/v1/search?query=car").json()["results"].size() == 1);
}
LARDER_BACKEND_TEST("http: kept answers of cached reads follow local and replica writes",
                    CachedAnswersFollowWrites)

void CachedAnswersArePerCallerWithAuth(ScratchDatabase& db) {
  TempDir dir;
  const std::string tokens = dir.File("tokens");
  std::ofstream(tokens) << "tok-admin admin roles=admin\ntok-reader reader roles=reader\n";
  ApiServer api(db, {"--auth-tokens=" + tokens, "--default-project=demo"});
  const int port = api.process().http_port();
  api.set_authorization("Bearer tok-admin");
  ApplyReaderAndAdminPolicy(api);

  // The same cached requests by two callers, each twice, in both orders: the admin's answers
  // must never reach the reader (whose list Feast refuses whole, and who may not see "secret").
  const std::string list = "/api/v1/entities?project=demo";
  const std::string secret = "/api/v1/entities/secret?project=demo";
  for (int round = 0; round < 2; ++round) {
    INFO("round " << round);
    const bool admin_first = round == 0;
    auto as_admin = [&] {
      CHECK(EntityNames(HttpGet(port, list, {{"Authorization", "Bearer tok-admin"}})) ==
            std::vector<std::string>{"driver", "secret"});
      CHECK(HttpGet(port, secret, {{"Authorization", "Bearer tok-admin"}}).status == 200);
    };
    auto as_reader = [&] {
      CHECK(HttpGet(port, list, {{"Authorization", "Bearer tok-reader"}}).status == 403);
      CHECK(HttpGet(port, secret, {{"Authorization", "Bearer tok-reader"}}).status == 403);
      CHECK(HttpGet(port, secret).status == 401);
    };
    if (admin_first) {
      as_admin();
      as_reader();
    } else {
      as_reader();
      as_admin();
    }
  }
}
LARDER_BACKEND_TEST("http: with auth, cached reads are answered per caller",
                    CachedAnswersArePerCallerWithAuth)

}  // namespace
}  // namespace larder::testing
