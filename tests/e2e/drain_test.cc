// Graceful drain through the real binary on PostgreSQL: after SIGTERM health reports
// NOT_SERVING while calls are still answered for --drain-seconds; then new calls are refused,
// a call in flight still completes, and a watch stream ends with UNAVAILABLE and resumes on
// another replica without losing or repeating a change.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/registry_client.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/e2e/api_fixture.h"

namespace larder::testing {
namespace {

using grpc::health::v1::HealthCheckResponse;

HealthCheckResponse::ServingStatus HealthOf(const std::string& address) {
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  HealthCheckResponse response;
  if (!health->Check(&context, grpc::health::v1::HealthCheckRequest(), &response).ok()) {
    return HealthCheckResponse::UNKNOWN;
  }
  return response.status();
}

// A GetEntity on a fresh channel (so it cannot ride a connection opened before the drain).
grpc::Status FreshGet(const std::string& address, const std::string& name) {
  auto stub = reg::RegistryServer::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  core::Entity entity;
  return stub->GetEntity(&context, Named<reg::GetEntityRequest>("team", name), &entity);
}

// Polls `done` (a cheap check) every 20 ms until it holds or `timeout` passes.
template <typename Done>
bool Eventually(Done done, absl::Duration timeout = absl::Seconds(20)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return done();
}

// Whether some PostgreSQL session waits for a lock (the blocked write).
bool SomeoneWaitsForALock(storage::SqlStore& store) {
  absl::StatusOr<storage::ConnectionPool::Lease> lease = store.pool().Acquire();
  if (!lease.ok() || !(*lease)->Begin(storage::TxMode::kReadOnly).ok()) return false;
  absl::StatusOr<storage::SqlResult> result = (*lease)->Execute(
      {"drain_test_waiting", "SELECT count(*) FROM pg_locks WHERE NOT granted"}, {});
  (*lease)->Commit().IgnoreError();
  return result.ok() && !result->rows.empty() && result->rows[0][0].value_or("0") != "0";
}

TEST_CASE(
    "Drain: NOT_SERVING at SIGTERM, served through the window, then new calls refused "
    "while the call in flight completes",
    "[e2e]") {
  auto db = ScratchDatabase::Create(TestBackend::kPostgres);
  if (db == nullptr) return;
  ApiServer api(*db, {"--drain-seconds=2", "--shutdown-grace-seconds=30"});
  REQUIRE(Describe(api.Apply("team", MakeEntity("driver", "driver_id"))) == "OK");
  const std::string address = api.process().address();
  REQUIRE(HealthOf(address) == HealthCheckResponse::SERVING);

  // Another session holds a write lock on the entities table, so the next apply waits on it.
  std::unique_ptr<storage::SqlStore> locker = OpenPreparedStore(db->url());
  absl::StatusOr<storage::ConnectionPool::Lease> lock = locker->pool().Acquire();
  REQUIRE(lock.ok());
  REQUIRE((*lock)->Begin(storage::TxMode::kReadWrite).ok());
  REQUIRE((*lock)->ExecuteScript("LOCK TABLE entities IN EXCLUSIVE MODE").ok());
  grpc::Status in_flight;
  std::thread writer([&] {
    reg::ApplyEntityRequest request;
    request.set_project("team");
    *request.mutable_entity() = MakeEntity("rider", "rider_id");
    request.set_commit(true);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    Empty empty;
    in_flight = api.stub().ApplyEntity(&context, request, &empty);
  });
  std::unique_ptr<storage::SqlStore> watcher = OpenPreparedStore(db->url());
  REQUIRE(Eventually([&] { return SomeoneWaitsForALock(*watcher); }));

  api.process().Signal(SIGTERM);
  // Health turns NOT_SERVING at once, while calls are still answered (load balancers move away).
  CHECK(Eventually([&] { return HealthOf(address) == HealthCheckResponse::NOT_SERVING; },
                   absl::Seconds(1)));
  CHECK(Describe(FreshGet(address, "driver")) == "OK");

  // After the window the server stops accepting calls...
  REQUIRE(api.process().WaitForOutput("\"msg\":\"stopping\""));
  // (A call racing gRPC's own shutdown may be CANCELLED by it; once the listener is closed
  // every new call is UNAVAILABLE, which clients retry on another replica.)
  CHECK(FreshGet(address, "driver").error_code() != grpc::StatusCode::OK);
  CHECK(Eventually(
      [&] { return FreshGet(address, "driver").error_code() == grpc::StatusCode::UNAVAILABLE; },
      absl::Seconds(2)));
  // ...but the call in flight is finished once its lock is released.
  REQUIRE((*lock)->Commit().ok());
  writer.join();
  CHECK(Describe(in_flight) == "OK");
  CHECK(api.process().WaitForExit() == 0);

  // The write it answered OK for is in the database.
  ApiServer next(db->url());
  CHECK(Describe(next.Status(&Stub::GetEntity, Named<reg::GetEntityRequest>("team", "rider"))) ==
        "OK");
}

TEST_CASE("Drain: a watch resumes on another replica without losing or repeating a change",
          "[e2e]") {
  auto db = ScratchDatabase::Create(TestBackend::kPostgres);
  if (db == nullptr) return;
  ApiServer first(*db, {"--drain-seconds=1"});
  ApiServer second(db->url());
  REQUIRE(Describe(first.Apply("team", MakeEntity("e0", "id"))) == "OK");  // revisions 1, 2

  client::ClientOptions options;
  options.addresses = {first.process().address(), second.process().address()};
  options.deadline = absl::Seconds(120);  // a watch attempt's deadline: longer than the test
  options.initial_backoff = absl::Milliseconds(10);
  auto client = client::RegistryClient::Create(options);
  REQUIRE(client.ok());

  absl::Mutex mu;
  std::vector<int64_t> revisions;
  bool stop = false;
  absl::Status watch_status;
  std::thread watch([&] {
    larder::v1::WatchChangesRequest request;
    request.set_heartbeat_seconds(1);
    watch_status = (*client)->Watch(
        request,
        [&](const larder::v1::Change& change) {
          absl::MutexLock lock(&mu);
          revisions.push_back(change.revision());
          return true;
        },
        [&] {
          absl::MutexLock lock(&mu);
          return stop;
        });
  });
  auto seen = [&](size_t n) {
    absl::MutexLock lock(&mu);
    return revisions.size() >= n;
  };
  REQUIRE(Eventually([&] { return seen(2); }));
  CHECK((*client)->current_address() == first.process().address());

  // The first replica drains; changes keep coming through the second, before and after the
  // first ends its streams.
  first.process().Signal(SIGTERM);
  REQUIRE(Describe(second.Apply("team", MakeEntity("e1", "id"))) == "OK");  // 3
  REQUIRE(first.process().WaitForOutput("\"msg\":\"stopping\""));
  REQUIRE(Describe(second.Apply("team", MakeEntity("e2", "id"))) == "OK");  // 4
  REQUIRE(Describe(second.Apply("team", MakeEntity("e3", "id"))) == "OK");  // 5
  CHECK(Eventually([&] { return seen(5); }));
  {
    absl::MutexLock lock(&mu);
    stop = true;
  }
  // The stop check runs as events arrive; heartbeats arrive every second.
  watch.join();
  CHECK(watch_status.ok());
  CHECK(revisions == std::vector<int64_t>{1, 2, 3, 4, 5});
  CHECK((*client)->current_address() == second.process().address());
  CHECK(first.process().WaitForExit() == 0);
  // The first replica logged its watch stream ending with UNAVAILABLE.
  const std::string& log = first.process().output();
  INFO(log);
  bool stream_ended_unavailable = false;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    stream_ended_unavailable =
        stream_ended_unavailable ||
        (line.find("\"msg\":\"stream\",\"method\":\"larder.v1.Registry/WatchChanges\"") !=
             std::string::npos &&
         line.find("\"code\":\"UNAVAILABLE\"") != std::string::npos);
  }
  CHECK(stream_ended_unavailable);
}

}  // namespace
}  // namespace larder::testing
