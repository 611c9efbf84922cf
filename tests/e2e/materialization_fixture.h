#pragma once

// Shared pieces of the materialization end-to-end tests (materialization_test.cc, the REST
// endpoints in http_materialization_test.cc, job retention): a larder whose clock the test
// moves, the demo project's objects, and planning/leasing calls that must succeed.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "client/registry_client.h"
#include "larder/v1/materialization.pb.h"
#include "tests/e2e/api_fixture.h"
#include "tests/support/temp_dir.h"

namespace larder::testing {

inline constexpr int64_t kSecond = 1'000'000;
inline constexpr int64_t kHour = 3600 * kSecond;
inline constexpr int64_t kDay = 24 * kHour;
// The server's "now" at the start of every test.
inline constexpr int64_t kT0 = 1'700'000'000 * kSecond;

Timestamp AtMicros(int64_t micros);

// A larder on `db` whose clock the test sets, and a client of it.
struct MatServer {
  explicit MatServer(const ScratchDatabase& db, std::vector<std::string> extra = {})
      : clock(dir.File("clock")), api(db, WithClock(std::move(extra))) {
    client = MakeClient("");
  }
  std::vector<std::string> WithClock(std::vector<std::string> extra);
  void SetTime(int64_t micros);
  void Advance(int64_t micros) { SetTime(now + micros); }
  // A client sending `token` as its bearer token (empty: none).
  std::unique_ptr<client::RegistryClient> MakeClient(const std::string& token);

  TempDir dir;
  std::string clock;
  int64_t now = kT0;
  ApiServer api;
  std::unique_ptr<client::RegistryClient> client;
};

// A feature view of "driver" over the demo source; offline-only when not `online`.
core::FeatureView View(const std::string& name, int64_t ttl_seconds, bool online = true);
// The entity and source the demo views use, in project "p".
void ApplyDemo(ApiServer& api);
// The view's recorded materialization intervals, [start, end) in micros.
std::vector<std::pair<int64_t, int64_t>> IntervalsOf(client::RegistryClient& c,
                                                     const std::string& view);
// materialize [start, end) of `views` in project "p", in tasks of `span_seconds` (0: one each).
v1::PlanMaterializationRequest Range(int64_t start, int64_t end, std::vector<std::string> views,
                                     int64_t span_seconds = 0);
// Plans `q`; the plan must succeed.
v1::MaterializationJob Plan(client::RegistryClient& c, const v1::PlanMaterializationRequest& q);
// Leases exactly one task for `worker`.
v1::MaterializationTask LeaseOne(client::RegistryClient& c, const std::string& worker,
                                 int64_t ttl_seconds = 30);

}  // namespace larder::testing
