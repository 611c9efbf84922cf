// History retention through the real binary on every backend: the change log's old entries are
// compacted in the background, as-of reads inside the retained window stay exactly what they
// were, and a reader asking for a compacted revision is told to re-list.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "larder/v1/registry.grpc.pb.h"
#include "tests/e2e/api_fixture.h"
#include "tests/support/temp_dir.h"

namespace larder::testing {
namespace {

namespace v1 = ::larder::v1;

void RetentionKeepsAsOfReadsExact(ScratchDatabase& db) {
  TempDir dir;
  const std::string clock = dir.File("clock");
  auto set_server_time = [&](int64_t micros) { std::ofstream(clock) << micros << "\n"; };
  const int64_t t0 = 1'750'000'000'000'000;
  set_server_time(t0);
  ApiServer api(
      db, {"--clock-file=" + clock, "--history-retention=1h", "--history-compact-interval-s=1"});
  auto v1stub = v1::Registry::NewStub(
      grpc::CreateChannel(api.process().address(), grpc::InsecureChannelCredentials()));
  auto info = [&] {
    grpc::ClientContext context;
    v1::GetServerInfoResponse response;
    REQUIRE(Describe(v1stub->GetServerInfo(&context, v1::GetServerInfoRequest(), &response)) ==
            "OK");
    return response;
  };
  auto registry_at = [&](int64_t revision, grpc::Status* status = nullptr) {
    grpc::ClientContext context;
    v1::GetRegistryAtRequest request;
    request.set_revision(revision);
    v1::GetRegistryAtResponse response;
    const grpc::Status s = v1stub->GetRegistryAt(&context, request, &response);
    if (status != nullptr) {
      *status = s;
    } else {
      REQUIRE(Describe(s) == "OK");
    }
    return Bytes(response.registry());
  };
  auto changes_after = [&](int64_t after, grpc::Status* status) {
    grpc::ClientContext context;
    v1::ListChangesRequest request;
    request.set_after_revision(after);
    v1::ListChangesResponse response;
    *status = v1stub->ListChanges(&context, request, &response);
    return response;
  };

  // An hour's worth of history at t0: creations, updates, deletions, a project that comes and
  // goes.
  core::Entity driver = MakeEntity("driver", "driver_id");
  REQUIRE_OK(api.Apply("shop", driver));
  REQUIRE_OK(api.Apply("shop", MakeEntity("rider", "rider_id")));
  REQUIRE_OK(api.Apply("shop", MakeEntity("store", "store_id")));
  driver.mutable_spec()->set_description("second version");
  REQUIRE_OK(api.Apply("shop", driver));
  REQUIRE_OK(api.Status(&Stub::DeleteEntity, Named<reg::DeleteEntityRequest>("shop", "rider")));
  REQUIRE_OK(api.Apply("scratch", MakeEntity("tmp", "tmp_id")));
  reg::DeleteProjectRequest drop;
  drop.set_name("scratch");
  REQUIRE_OK(api.Status(&Stub::DeleteProject, drop));
  driver.mutable_spec()->set_description("third version");
  REQUIRE_OK(api.Apply("shop", driver));
  const int64_t old_end = info().current_revision();
  CHECK(info().retained_after_revision() == 0);  // nothing is older than an hour yet

  // Two hours later one more change; everything before it is now past retention.
  set_server_time(t0 + int64_t{2} * 3600 * 1'000'000);
  REQUIRE_OK(api.Apply("shop", MakeEntity("courier", "courier_id")));
  const int64_t now = info().current_revision();
  std::map<int64_t, std::string> before;
  for (int64_t r = 1; r <= now; ++r) before[r] = registry_at(r);
  grpc::Status status;
  const v1::ListChangesResponse tail_before = changes_after(old_end, &status);
  REQUIRE(Describe(status) == "OK");
  const Empty empty;
  const std::string proto_before = Bytes(api.Ok(&Stub::Proto, empty));

  // The background compaction (every second here) moves the horizon to the last old revision.
  v1::GetServerInfoResponse compacted;
  for (int i = 0; i < 100; ++i) {
    compacted = info();
    if (compacted.retained_after_revision() == old_end) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(compacted.retained_after_revision() == old_end);
  CHECK(compacted.current_revision() == now);

  // As-of reads inside the window are exactly what they were; older ones are refused.
  for (int64_t r = old_end; r <= now; ++r) CHECK(registry_at(r) == before[r]);
  registry_at(old_end - 1, &status);
  CHECK(status.error_code() == grpc::StatusCode::OUT_OF_RANGE);
  CHECK_THAT(status.error_message(), Catch::Contains("re-list"));
  CHECK(Bytes(api.Ok(&Stub::Proto, empty)) == proto_before);

  // The change feed: after the horizon, unchanged; before it, a clear error to re-list.
  const v1::ListChangesResponse tail_after = changes_after(old_end, &status);
  REQUIRE(Describe(status) == "OK");
  CHECK(Bytes(tail_after) == Bytes(tail_before));
  changes_after(0, &status);
  CHECK(status.error_code() == grpc::StatusCode::OUT_OF_RANGE);
  CHECK_THAT(status.error_message(), Catch::Contains("older than the retained change log"));

  // One object's history keeps its last state before the horizon.
  grpc::ClientContext context;
  v1::GetObjectHistoryRequest history_request;
  history_request.set_project("shop");
  history_request.set_kind("entity");
  history_request.set_name("driver");
  v1::GetObjectHistoryResponse history;
  REQUIRE(Describe(v1stub->GetObjectHistory(&context, history_request, &history)) == "OK");
  REQUIRE(history.changes_size() == 1);
  core::Entity kept;
  REQUIRE(kept.ParseFromString(history.changes(0).object()));
  CHECK(kept.spec().description() == "third version");
}
LARDER_BACKEND_TEST("history retention compacts old changes, as-of reads in the window stay exact",
                    RetentionKeepsAsOfReadsExact)

}  // namespace
}  // namespace larder::testing
