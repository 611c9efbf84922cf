// The change follower: another replica's write reaches this replica's snapshot and subscribers.
#include "server/registry/change_follower.h"

#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "storage/open_store.h"
#include "tests/support/scratch_database.h"
#include "tests/support/temp_dir.h"

namespace larder::registry {
namespace {

// Two registries over one SQLite file, as two replicas over one database.
struct Replica {
  explicit Replica(const std::string& path)
      : store(testing::OpenPreparedStore("sqlite:///" + path)) {
    registry = std::make_unique<Registry>(*store, clock);
  }
  SystemClock clock;
  std::unique_ptr<storage::SqlStore> store;
  std::unique_ptr<Registry> registry;
};

feast::core::Entity Entity(const std::string& name) {
  feast::core::Entity e;
  e.mutable_spec()->set_name(name);
  return e;
}

TEST_CASE("change follower: a poll catches up with another replica's write and tells subscribers",
          "[follower]") {
  testing::TempDir dir;
  Replica writer(dir.File("shared.db"));
  Replica reader(dir.File("shared.db"));
  REQUIRE(reader.registry->Refresh().ok());  // loads the (empty) snapshot

  ChangeFollower follower(*reader.registry, nullptr, {.poll = absl::Hours(1)});
  std::vector<int64_t> seen;
  const int id = follower.Subscribe([&](int64_t revision) { seen.push_back(revision); });

  // Nothing is due and nothing woke it: no catch-up.
  CHECK_FALSE(follower.Step(absl::ZeroDuration(), /*poll_due=*/false));
  CHECK(seen.empty());

  REQUIRE(writer.registry->Apply("p", Entity("driver")).ok());  // project + entity: revision 2
  CHECK(reader.registry->SnapshotRevision() == 0);
  REQUIRE(follower.Step(absl::ZeroDuration(), /*poll_due=*/true));
  REQUIRE(seen == std::vector<int64_t>{2});
  CHECK(reader.registry->SnapshotRevision() == 2);
  CHECK(reader.registry->Get<feast::core::Entity>("p", "driver", /*allow_cache=*/true).ok());

  // A catch-up that finds nothing new tells subscribers the same revision (time passed).
  REQUIRE(follower.Step(absl::ZeroDuration(), /*poll_due=*/true));
  CHECK(seen == std::vector<int64_t>{2, 2});

  // A wake-up (a local write) catches up without waiting for the poll.
  follower.Wake();
  REQUIRE(follower.Step(absl::Seconds(5), /*poll_due=*/false));
  CHECK(seen.size() == 3);

  follower.Unsubscribe(id);
  REQUIRE(writer.registry->Apply("p", Entity("rider")).ok());
  REQUIRE(follower.Step(absl::ZeroDuration(), /*poll_due=*/true));
  CHECK(seen.size() == 3);
  CHECK(reader.registry->SnapshotRevision() == 3);
}

TEST_CASE("change follower: its thread follows writes by polling and stops promptly",
          "[follower]") {
  testing::TempDir dir;
  Replica writer(dir.File("shared.db"));
  Replica reader(dir.File("shared.db"));
  REQUIRE(reader.registry->Refresh().ok());
  ChangeFollower follower(*reader.registry, nullptr,
                          {.poll = absl::Milliseconds(5), .max_wait_slice = absl::Milliseconds(5)});
  absl::Notification reached;
  follower.Subscribe([&](int64_t revision) {
    if (revision >= 2 && !reached.HasBeenNotified()) reached.Notify();
  });
  follower.Start();
  REQUIRE(writer.registry->Apply("p", Entity("driver")).ok());
  CHECK(reached.WaitForNotificationWithTimeout(absl::Seconds(10)));
  const absl::Time stop_started = absl::Now();
  follower.Stop();
  CHECK(absl::Now() - stop_started < absl::Seconds(2));
}

}  // namespace
}  // namespace larder::registry
