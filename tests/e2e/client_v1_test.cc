// The C++ client's larder.v1 calls against the real binary: batches, conflicts as typed details,
// and retries that reuse the request id.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

#include "client/registry_client.h"
#include "tests/e2e/api_fixture.h"

namespace larder::testing {
namespace {

namespace v1 = ::larder::v1;

void ClientBatches(ScratchDatabase& db) {
  ApiServer api(db);
  client::ClientOptions options;
  options.addresses = {api.process().address()};
  auto made = client::RegistryClient::Create(options);
  REQUIRE(made.ok());
  client::RegistryClient& c = **made;

  v1::ApplyBatchRequest batch;
  batch.set_project("team");
  v1::Upsert* upsert = batch.add_upserts();
  *upsert->mutable_entity() = MakeEntity("driver", "driver_id");
  upsert->set_expected_version(0);  // must be new
  absl::StatusOr<v1::ApplyBatchResponse> applied = c.ApplyBatch(batch);
  REQUIRE(applied.ok());
  REQUIRE(applied->results_size() == 1);
  CHECK(applied->results(0).effect() == v1::CREATED);

  // The same expectation again: a conflict, with the object's actual version in the details.
  absl::StatusOr<v1::ApplyBatchResponse> conflict = c.ApplyBatch(batch);
  REQUIRE(absl::IsFailedPrecondition(conflict.status()));
  std::optional<v1::VersionConflicts> conflicts = client::VersionConflictsOf(conflict.status());
  REQUIRE(conflicts.has_value());
  REQUIRE(conflicts->conflicts_size() == 1);
  CHECK(conflicts->conflicts(0).name() == "driver");
  CHECK(conflicts->conflicts(0).expected_version() == 0);
  CHECK(conflicts->conflicts(0).actual_version() == 1);

  absl::StatusOr<v1::GetObjectHistoryResponse> history =
      c.GetObjectHistory("team", "entity", "driver");
  REQUIRE(history.ok());
  REQUIRE(history->changes_size() == 1);
  CHECK(history->changes(0).operation() == "create");
  // The client sent a request id with the batch; the change log recorded it.
  CHECK_FALSE(history->changes(0).request_id().empty());

  v1::ListChangesRequest all;
  absl::StatusOr<v1::ListChangesResponse> changes = c.ListChanges(all);
  REQUIRE(changes.ok());
  CHECK(changes->changes_size() == 2);  // the project, then the entity
}
LARDER_BACKEND_TEST("client: larder.v1 batches, typed conflicts, history and the change log",
                    ClientBatches)

// A watch that follows two replicas: one is stopped mid-stream, the client resumes on the other
// from the last revision it delivered, and every change arrives once, in order.
void ClientWatchFailsOver(ScratchDatabase& db) {
  auto first = std::make_unique<ApiServer>(db);
  ApiServer second(db.url());
  client::ClientOptions options;
  options.addresses = {first->process().address(), second.process().address()};
  options.initial_backoff = absl::Milliseconds(50);
  auto made = client::RegistryClient::Create(options);
  REQUIRE(made.ok());

  absl::Mutex mu;
  std::vector<int64_t> revisions;
  std::atomic<bool> stop{false};
  std::thread watcher([&] {
    v1::WatchChangesRequest request;
    request.set_heartbeat_seconds(1);
    absl::Status status = (*made)->Watch(
        request,
        [&](const v1::Change& change) {
          absl::MutexLock lock(&mu);
          revisions.push_back(change.revision());
          return true;
        },
        [&] { return stop.load(); });
    CHECK(status.ok());
  });
  auto wait_for = [&](size_t count) {
    const absl::Time give_up = absl::Now() + absl::Seconds(30);
    while (absl::Now() < give_up) {
      {
        absl::MutexLock lock(&mu);
        if (revisions.size() >= count) return true;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  };
  REQUIRE(Describe(first->Apply("team", MakeEntity("a", "a_id"))) == "OK");  // revisions 1, 2
  REQUIRE(wait_for(2));
  first.reset();  // the replica the watch is on goes away
  REQUIRE(Describe(second.Apply("team", MakeEntity("b", "b_id"))) == "OK");  // revision 3
  REQUIRE(Describe(second.Apply("team", MakeEntity("c", "c_id"))) == "OK");  // revision 4
  const bool all = wait_for(4);
  stop = true;
  // The watch notices `stop` at its next event: a heartbeat within a second.
  watcher.join();
  REQUIRE(all);
  absl::MutexLock lock(&mu);
  CHECK(revisions == std::vector<int64_t>{1, 2, 3, 4});
}
LARDER_BACKEND_TEST(
    "client: a watch resumes on another replica without losing or repeating "
    "a change",
    ClientWatchFailsOver)

}  // namespace
}  // namespace larder::testing
