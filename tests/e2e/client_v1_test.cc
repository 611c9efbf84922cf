// The C++ client's larder.v1 calls against the real binary: batches, conflicts as typed details,
// and retries that reuse the request id.
#include <catch2/catch.hpp>

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

}  // namespace
}  // namespace larder::testing
