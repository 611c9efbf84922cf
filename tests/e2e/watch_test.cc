// larder.v1 WatchChanges through the real binary: backlog, live changes from this and another
// replica, heartbeats when idle, and resumption without duplicates.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "larder/v1/registry.grpc.pb.h"
#include "tests/e2e/api_fixture.h"

namespace larder::testing {
namespace {

namespace v1 = ::larder::v1;

// One watch stream with a deadline, read event by event.
class Watch {
 public:
  Watch(ApiServer& api, int64_t after_revision, const std::string& project = "") {
    stub_ = v1::Registry::NewStub(
        grpc::CreateChannel(api.process().address(), grpc::InsecureChannelCredentials()));
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    v1::WatchChangesRequest request;
    request.set_after_revision(after_revision);
    request.set_project(project);
    request.set_heartbeat_seconds(1);
    reader_ = stub_->WatchChanges(&context_, request);
  }
  ~Watch() {
    context_.TryCancel();
    v1::WatchChangesResponse drain;
    while (reader_->Read(&drain)) {
    }
    reader_->Finish().IgnoreError();
  }
  // The next change event, skipping heartbeats; fails the test when the stream ends first.
  v1::Change NextChange() {
    v1::WatchChangesResponse event;
    while (reader_->Read(&event)) {
      if (event.has_change()) return event.change();
    }
    FAIL("the watch stream ended: " << Describe(reader_->Finish()));
    return {};
  }
  // The next heartbeat, skipping changes.
  v1::Heartbeat NextHeartbeat() {
    v1::WatchChangesResponse event;
    while (reader_->Read(&event)) {
      if (event.has_heartbeat()) return event.heartbeat();
    }
    FAIL("the watch stream ended: " << Describe(reader_->Finish()));
    return {};
  }

 private:
  std::unique_ptr<v1::Registry::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::WatchChangesResponse>> reader_;
};

void WatchFollowsTheLog(ScratchDatabase& db) {
  ApiServer api(db);
  REQUIRE(Describe(api.Apply("team", MakeEntity("driver", "driver_id"))) == "OK");  // rev 1, 2

  // The backlog first, in order.
  Watch watch(api, 0);
  v1::Change first = watch.NextChange();
  CHECK(first.revision() == 1);
  CHECK(first.kind() == "project");
  v1::Change second = watch.NextChange();
  CHECK(second.revision() == 2);
  CHECK(second.name() == "driver");

  // Caught up: a heartbeat says how far.
  CHECK(watch.NextHeartbeat().revision() == 2);

  // A live write on this replica arrives promptly.
  const absl::Time written = absl::Now();
  REQUIRE(Describe(api.Apply("team", MakeEntity("rider", "rider_id"))) == "OK");
  v1::Change live = watch.NextChange();
  const absl::Duration latency = absl::Now() - written;
  CHECK(live.revision() == 3);
  CHECK(live.name() == "rider");
  INFO("delivery took " << absl::FormatDuration(latency));
  CHECK(latency < absl::Seconds(3));

  // A write on another replica (another larder on the same database) arrives too.
  ApiServer other(db.url());
  REQUIRE(Describe(other.Apply("team", MakeEntity("passenger", "passenger_id"))) == "OK");
  v1::Change remote = watch.NextChange();
  CHECK(remote.revision() == 4);
  CHECK(remote.name() == "passenger");

  // Resuming after revision 2 delivers 3 and 4 once each, nothing before.
  Watch resumed(api, 2, "team");
  CHECK(resumed.NextChange().revision() == 3);
  CHECK(resumed.NextChange().revision() == 4);
  CHECK(resumed.NextHeartbeat().revision() == 4);
}
LARDER_BACKEND_TEST(
    "larder.v1: WatchChanges streams the backlog, live and remote changes, "
    "heartbeats, and resumes without duplicates",
    WatchFollowsTheLog)

TEST_CASE("larder.v1: WatchChanges is refused when the server does not follow the log", "[e2e]") {
  auto db = ScratchDatabase::Create(TestBackend::kSqlite);
  REQUIRE(db != nullptr);
  ApiServer api(*db, {"--cache-poll-ms=0"});
  auto stub = v1::Registry::NewStub(
      grpc::CreateChannel(api.process().address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto reader = stub->WatchChanges(&context, v1::WatchChangesRequest());
  v1::WatchChangesResponse event;
  CHECK_FALSE(reader->Read(&event));
  CHECK(reader->Finish().error_code() == grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace larder::testing
