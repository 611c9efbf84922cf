// Many writers at once on every backend: nothing acknowledged is ever lost.
#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include "server/registry/registry.h"
#include "tests/storage/store_fixture.h"

namespace larder::testing {
namespace {

std::vector<storage::ChangeRecord> AllChanges(storage::Store& store) {
  std::vector<storage::ChangeRecord> changes;
  MustRead(store, [&](storage::Transaction& tx) {
    auto listed = tx.ListChanges(0, 1'000'000);
    if (listed.ok()) changes = *listed;
    return listed.status();
  });
  return changes;
}

void ConcurrentMaterializations(ScratchDatabase& db) {
  auto store = OpenMigratedStore(db);
  registry::SystemClock clock;
  registry::Registry registry(*store, clock);
  feast::core::FeatureView view;
  view.mutable_spec()->set_name("driver_hourly_stats");
  view.mutable_spec()->add_entities("driver");
  REQUIRE(registry.Apply("demo", view).ok());

  constexpr int kThreads = 8, kCalls = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        google::protobuf::Timestamp start, end;
        start.set_seconds(t * 1'000'000 + i);  // unique per call, to check exactly-once
        end.set_seconds(start.seconds() + 1);
        if (!registry.ApplyMaterialization("demo", "driver_hourly_stats", start, end).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  REQUIRE(failures == 0);

  auto stored = registry.Get<feast::core::FeatureView>("demo", "driver_hourly_stats");
  REQUIRE(stored.ok());
  REQUIRE(stored->meta().materialization_intervals_size() == kThreads * kCalls);
  std::set<int64_t> starts;
  for (const auto& interval : stored->meta().materialization_intervals()) {
    starts.insert(interval.start_time().seconds());
  }
  CHECK(starts.size() == static_cast<size_t>(kThreads * kCalls));
  CHECK(stored->meta().state() == feast::core::AVAILABLE_ONLINE);

  // One change-log entry per acknowledged call, versions 2..1601, revisions without gaps.
  std::vector<storage::ChangeRecord> changes = AllChanges(*store);
  int64_t expected_revision = 0, last_view_version = 0, view_changes = 0;
  for (const auto& c : changes) {
    CHECK(c.revision == ++expected_revision);
    if (c.kind != storage::ObjectKind::kFeatureView) continue;
    CHECK(c.object_version == last_view_version + 1);
    last_view_version = c.object_version;
    ++view_changes;
  }
  CHECK(view_changes == 1 + kThreads * kCalls);
}
LARDER_BACKEND_TEST("8 threads x 200 ApplyMaterialization on one view keep all 1600 intervals",
                    ConcurrentMaterializations)

void ConcurrentCreators(ScratchDatabase& db) {
  auto store = OpenMigratedStore(db);
  registry::SystemClock clock;
  registry::Registry registry(*store, clock);
  // Every thread creates the same new project (implicitly) and the same new entity with its own
  // description: the project/entity creation race Feast loses writes in.
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      feast::core::Entity e;
      e.mutable_spec()->set_name("driver");
      e.mutable_spec()->set_description("writer " + std::to_string(t));
      results[t] = registry.Apply("race", e);
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& status : results) {
    INFO(status.ToString());
    CHECK(status.ok());
  }
  auto entity = registry.Get<feast::core::Entity>("race", "driver");
  REQUIRE(entity.ok());
  REQUIRE(registry.GetProject("race").ok());

  std::vector<storage::ChangeRecord> changes = AllChanges(*store);
  int projects = 0;
  std::vector<storage::ChangeRecord> entity_changes;
  for (const auto& c : changes) {
    if (c.kind == storage::ObjectKind::kProject) ++projects;
    if (c.kind == storage::ObjectKind::kEntity) entity_changes.push_back(c);
  }
  CHECK(projects == 1);
  // Every writer's content was applied once, as its own version, and the last one is stored.
  REQUIRE(entity_changes.size() == kThreads);
  for (size_t i = 0; i < entity_changes.size(); ++i) {
    CHECK(entity_changes[i].object_version == static_cast<int64_t>(i + 1));
  }
  feast::core::Entity last;
  REQUIRE(last.ParseFromString(entity_changes.back().proto));
  CHECK(last.spec().description() == entity->spec().description());
}
LARDER_BACKEND_TEST("Concurrent first creates of one entity are all applied, none swallowed",
                    ConcurrentCreators)

// Regression: creators took the project row shared, then upgraded it for the uniqueness check,
// and two creators deadlocked on PostgreSQL (1 s each, then an unretried error).
void ConcurrentViewCreations(ScratchDatabase& db) {
  auto store = OpenMigratedStore(db);
  registry::SystemClock clock;
  registry::Registry registry(*store, clock);
  constexpr int kThreads = 8, kViews = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kViews; ++i) {
        feast::core::FeatureView view;
        view.mutable_spec()->set_name("fv_" + std::to_string(t) + "_" + std::to_string(i));
        view.mutable_spec()->add_entities("driver");
        if (!registry.Apply("views", view).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
  auto listed = registry.List<feast::core::FeatureView>("views", {});
  REQUIRE(listed.ok());
  CHECK(listed->items.size() == static_cast<size_t>(kThreads * kViews));
}
LARDER_BACKEND_TEST("Concurrent feature-view creations in one project all succeed",
                    ConcurrentViewCreations)

}  // namespace
}  // namespace larder::testing
