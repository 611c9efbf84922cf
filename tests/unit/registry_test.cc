// The registry slice (projects, entities) over a real SQLite store.
#include "server/registry/registry.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "server/registry/coalesced_appends.h"
#include "server/registry/feast_errors.h"
#include "server/registry/registry_internal.h"
#include "storage/open_store.h"
#include "tests/support/faulty_connection.h"
#include "tests/support/scratch_database.h"
#include "tests/support/temp_dir.h"

namespace larder::registry {
namespace {

// A clock the test moves by hand.
class ManualClock : public Clock {
 public:
  absl::Time Now() override { return now; }
  absl::Time now = absl::FromUnixSeconds(1'700'000'000) + absl::Microseconds(123456);
};

// Each test case runs once per backend (a Catch2 generator): SQLite, then PostgreSQL and MariaDB
// when tests/run-all.sh has started them (without them those runs use SQLite again, unless
// LARDER_TEST_REQUIRE_ALL_BACKENDS makes a missing server a failure).
struct Fixture {
  // `wrap` wraps each connection, e.g. in a FaultyConnection.
  explicit Fixture(
      std::function<std::unique_ptr<storage::Connection>(std::unique_ptr<storage::Connection>)>
          wrap = nullptr) {
    const testing::TestBackend backend =
        GENERATE(testing::TestBackend::kSqlite, testing::TestBackend::kPostgres,
                 testing::TestBackend::kMysql);
    db = testing::ScratchDatabase::Create(backend);
    if (db == nullptr) db = testing::ScratchDatabase::Create(testing::TestBackend::kSqlite);
    REQUIRE(db != nullptr);
    INFO("backend " << testing::BackendName(db->backend()));
    auto url = storage::ParseDatabaseUrl(db->url());
    REQUIRE(url.ok());
    auto opened = storage::OpenStore(*url, {}, std::move(wrap));
    REQUIRE(opened.ok());
    store = *std::move(opened);
    REQUIRE(storage::PrepareStoreSchema(*store, false).ok());
    registry = std::make_unique<Registry>(*store, clock);
  }

  std::unique_ptr<testing::ScratchDatabase> db;
  ManualClock clock;
  std::unique_ptr<storage::SqlStore> store;
  std::unique_ptr<Registry> registry;
};

feast::core::Entity MakeEntity(const std::string& name, const std::string& description = "") {
  feast::core::Entity e;
  e.mutable_spec()->set_name(name);
  e.mutable_spec()->set_join_key(name + "_id");
  e.mutable_spec()->set_value_type(feast::types::ValueType::INT64);
  e.mutable_spec()->set_description(description);
  return e;
}

int64_t Micros(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000000 + ts.nanos() / 1000;
}

TEST_CASE("ApplyEntity sets server timestamps and GetEntity returns it", "[registry]") {
  Fixture f;
  feast::core::Entity sent = MakeEntity("driver");
  // A client-sent creation time is ignored: the server owns timestamps.
  sent.mutable_meta()->mutable_created_timestamp()->set_seconds(42);
  REQUIRE(f.registry->Apply("demo", sent).ok());

  auto got = f.registry->Get<feast::core::Entity>("demo", "driver");
  REQUIRE(got.ok());
  CHECK(got->spec().join_key() == "driver_id");
  CHECK(got->spec().project() == "demo");
  CHECK(Micros(got->meta().created_timestamp()) == absl::ToUnixMicros(f.clock.now));
  CHECK(Micros(got->meta().last_updated_timestamp()) == absl::ToUnixMicros(f.clock.now));
}

TEST_CASE("Re-applying an unchanged entity writes nothing; a change keeps created", "[registry]") {
  Fixture f;
  REQUIRE(f.registry->Apply("demo", MakeEntity("driver", "v1")).ok());
  const absl::Time created = f.clock.now;

  f.clock.now += absl::Seconds(5);
  REQUIRE(f.registry->Apply("demo", MakeEntity("driver", "v1")).ok());
  auto same = f.registry->Get<feast::core::Entity>("demo", "driver");
  REQUIRE(same.ok());
  CHECK(Micros(same->meta().last_updated_timestamp()) == absl::ToUnixMicros(created));

  f.clock.now += absl::Seconds(5);
  REQUIRE(f.registry->Apply("demo", MakeEntity("driver", "v2")).ok());
  auto changed = f.registry->Get<feast::core::Entity>("demo", "driver");
  REQUIRE(changed.ok());
  CHECK(changed->spec().description() == "v2");
  CHECK(Micros(changed->meta().created_timestamp()) == absl::ToUnixMicros(created));
  CHECK(Micros(changed->meta().last_updated_timestamp()) == absl::ToUnixMicros(f.clock.now));

  // The change log holds the project's creation, the entity's creation and its one update.
  std::vector<storage::ChangeRecord> changes;
  REQUIRE(f.store
              ->Run(storage::TxMode::kReadOnly,
                    [&](storage::Transaction& tx) {
                      auto listed = tx.ListChanges(0, 100);
                      if (listed.ok()) changes = *listed;
                      return listed.status();
                    })
              .ok());
  REQUIRE(changes.size() == 3);
  CHECK(changes[0].kind == storage::ObjectKind::kProject);
  CHECK(changes[1].op == storage::ChangeOp::kCreate);
  CHECK(changes[2].op == storage::ChangeOp::kUpdate);
  CHECK(changes[2].object_version == 2);
  CHECK(changes[2].revision == 3);
}

TEST_CASE("Writing to an unknown project creates it with a project_uuid", "[registry]") {
  Fixture f;
  CHECK(absl::IsNotFound(f.registry->GetProject("fresh").status()));
  REQUIRE(f.registry->Apply("fresh", MakeEntity("driver")).ok());
  auto project = f.registry->GetProject("fresh");
  REQUIRE(project.ok());
  CHECK(project->spec().name() == "fresh");
  std::optional<std::string> uuid;
  REQUIRE(f.store
              ->Run(storage::TxMode::kReadOnly,
                    [&](storage::Transaction& tx) {
                      auto got = tx.GetMetadata("fresh", "project_uuid");
                      if (got.ok()) uuid = *got;
                      return got.status();
                    })
              .ok());
  REQUIRE(uuid.has_value());
  CHECK(uuid->size() == 36);
}

TEST_CASE("Missing objects raise Feast's not-found classes", "[registry]") {
  Fixture f;
  absl::Status entity = f.registry->Get<feast::core::Entity>("demo", "nope").status();
  CHECK(absl::IsNotFound(entity));
  CHECK(FeastClassOf(entity) == "EntityNotFoundException");
  CHECK(entity.message() == "Entity nope does not exist in project demo");

  absl::Status deleted = f.registry->Delete<feast::core::Entity>("demo", "nope");
  CHECK(FeastClassOf(deleted) == "EntityNotFoundException");

  absl::Status project = f.registry->DeleteProject("ghost");
  CHECK(FeastClassOf(project) == "ProjectObjectNotFoundException");
  CHECK(project.message() == "Project ghost does not exist");
}

TEST_CASE("Invalid names are rejected and nothing is written", "[registry]") {
  Fixture f;
  CHECK(absl::IsInvalidArgument(f.registry->Apply("demo", MakeEntity(""))));
  CHECK(absl::IsInvalidArgument(f.registry->Apply("", MakeEntity("driver"))));
  auto projects = f.registry->ListProjects({});
  REQUIRE(projects.ok());
  CHECK(projects->items.empty());
}

TEST_CASE("ListEntities filters by tags, sorts and paginates as Feast does", "[registry]") {
  Fixture f;
  for (const char* name : {"b", "A", "c", "d", "E"}) {
    feast::core::Entity e = MakeEntity(name);
    (*e.mutable_spec()->mutable_tags())["team"] = std::string(name) == "c" ? "other" : "core";
    REQUIRE(f.registry->Apply("demo", e).ok());
  }
  ListOptions none;
  auto all = f.registry->List<feast::core::Entity>("demo", none);
  REQUIRE(all.ok());
  REQUIRE(all->items.size() == 5);
  CHECK(all->pagination.total_pages() == 1);
  CHECK(all->pagination.total_count() == 5);
  CHECK(all->pagination.page() == 0);

  ListOptions paged;
  paged.sorting.set_sort_by("name");
  paged.pagination.set_page(2);
  paged.pagination.set_limit(2);
  auto page = f.registry->List<feast::core::Entity>("demo", paged);
  REQUIRE(page.ok());
  REQUIRE(page->items.size() == 2);
  // Case-insensitive: A b c d E -> page 2 is c, d.
  CHECK(page->items[0].spec().name() == "c");
  CHECK(page->items[1].spec().name() == "d");
  CHECK(page->pagination.total_pages() == 3);
  CHECK(page->pagination.has_next());
  CHECK(page->pagination.has_previous());

  ListOptions tagged;
  tagged.tags["team"] = "other";
  auto filtered = f.registry->List<feast::core::Entity>("demo", tagged);
  REQUIRE(filtered.ok());
  REQUIRE(filtered->items.size() == 1);
  CHECK(filtered->items[0].spec().name() == "c");

  auto empty = f.registry->List<feast::core::Entity>("elsewhere", none);
  REQUIRE(empty.ok());
  CHECK(empty->items.empty());
  CHECK(empty->pagination.total_pages() == 0);
}

TEST_CASE("DeleteProject removes the project and everything in it", "[registry]") {
  Fixture f;
  REQUIRE(f.registry->Apply("demo", MakeEntity("driver")).ok());
  REQUIRE(f.registry->DeleteProject("demo").ok());
  CHECK(absl::IsNotFound(f.registry->GetProject("demo").status()));
  CHECK(absl::IsNotFound(f.registry->Get<feast::core::Entity>("demo", "driver").status()));
  // The name can be reused at once.
  REQUIRE(f.registry->Apply("demo", MakeEntity("driver")).ok());
  CHECK(f.registry->Get<feast::core::Entity>("demo", "driver").ok());
}

TEST_CASE("ListProjects hides protected projects but GetProject returns them", "[registry]") {
  Fixture f;
  feast::core::Project p;
  p.mutable_spec()->set_name("guarded");
  (*p.mutable_spec()->mutable_tags())["feast.dev/protected-project"] = "true";
  REQUIRE(f.registry->ApplyProject(p).ok());
  feast::core::Project open;
  open.mutable_spec()->set_name("open");
  REQUIRE(f.registry->ApplyProject(open).ok());
  auto listed = f.registry->ListProjects({});
  REQUIRE(listed.ok());
  REQUIRE(listed->items.size() == 1);
  CHECK(listed->items[0].spec().name() == "open");
  CHECK(f.registry->GetProject("guarded").ok());
}

}  // namespace
}  // namespace larder::registry

namespace larder::registry {
namespace {

std::vector<storage::VersionRecord> History(Fixture& f, const std::string& view) {
  std::vector<storage::VersionRecord> out;
  REQUIRE(f.store
              ->Run(storage::TxMode::kReadOnly,
                    [&](storage::Transaction& tx) {
                      auto listed = tx.ListVersions("demo", view);
                      if (listed.ok()) out = *listed;
                      return listed.status();
                    })
              .ok());
  return out;
}

TEST_CASE("Feature views get a new version only when their schema changes", "[registry]") {
  Fixture f;
  feast::core::FeatureView view;
  view.mutable_spec()->set_name("stats");
  view.mutable_spec()->add_entities("driver");
  view.mutable_spec()->add_features()->set_name("trips");
  REQUIRE(f.registry->Apply("demo", view).ok());
  auto v0 = f.registry->Get<feast::core::FeatureView>("demo", "stats");
  REQUIRE(v0.ok());
  CHECK(v0->meta().current_version_number() == 0);
  REQUIRE(History(f, "stats").size() == 1);

  view.mutable_spec()->set_description("described");  // not a schema change
  REQUIRE(f.registry->Apply("demo", view).ok());
  CHECK(History(f, "stats").size() == 1);
  CHECK(
      f.registry->Get<feast::core::FeatureView>("demo", "stats")->meta().current_version_number() ==
      0);

  view.mutable_spec()->add_features()->set_name("rating");  // schema change
  REQUIRE(f.registry->Apply("demo", view).ok());
  auto history = History(f, "stats");
  REQUIRE(history.size() == 2);
  CHECK(history[1].version_number == 1);
  CHECK(history[1].view_type == "feature_view");
  feast::core::FeatureView recorded;
  REQUIRE(recorded.ParseFromString(history[1].proto));
  CHECK(recorded.spec().features_size() == 2);
  CHECK(recorded.spec().project() == "demo");
  CHECK(
      f.registry->Get<feast::core::FeatureView>("demo", "stats")->meta().current_version_number() ==
      1);

  // Pinning v0 with the active definition restores v0; a changed definition is refused.
  view.mutable_spec()->set_version("v0");
  REQUIRE(f.registry->Apply("demo", view).ok());
  auto pinned = f.registry->Get<feast::core::FeatureView>("demo", "stats");
  REQUIRE(pinned.ok());
  CHECK(pinned->spec().features_size() == 1);
  CHECK(pinned->spec().version() == "v0");
  CHECK(pinned->meta().current_version_number() == 0);
  CHECK(History(f, "stats").size() == 2);
  view.mutable_spec()->set_description("changed");
  absl::Status conflict = f.registry->Apply("demo", view);
  CHECK(conflict.code() == absl::StatusCode::kInternal);
  CHECK(FeastClassOf(conflict) == "FeatureViewPinConflict");
  view.mutable_spec()->set_version("bogus");
  CHECK(absl::IsInvalidArgument(f.registry->Apply("demo", view)));
}

TEST_CASE("A version number taken by another writer: a declared pin fails, a latest apply retries",
          "[registry]") {
  // Another writer's insert between the look-up and ours shows as ALREADY_EXISTS on the insert.
  testing::FaultPlan plan;
  plan.only_statement = "versions.insert";
  plan.failure = absl::AlreadyExistsError("injected duplicate version");
  Fixture f([&](std::unique_ptr<storage::Connection> inner) {
    return std::unique_ptr<storage::Connection>(
        new testing::FaultyConnection(std::move(inner), plan));
  });
  Registry& registry = *f.registry;
  feast::core::FeatureView view;
  view.mutable_spec()->set_name("stats");
  view.mutable_spec()->add_entities("driver");
  view.mutable_spec()->add_features()->set_name("trips");
  REQUIRE(registry.Apply("demo", view).ok());

  plan.calls = 0;
  plan.fail_at = 1;
  feast::core::FeatureView declared = view;
  declared.mutable_spec()->set_version("v4");
  absl::Status conflict = registry.Apply("demo", declared);
  CHECK(conflict.code() == absl::StatusCode::kInternal);
  CHECK(FeastClassOf(conflict) == "ConcurrentVersionConflict");
  CHECK(plan.injected == 1);
  CHECK(History(f, "stats").size() == 1);
  CHECK(registry.Get<feast::core::FeatureView>("demo", "stats")->spec().version().empty());

  plan.calls = 0;
  view.mutable_spec()->add_features()->set_name("rating");
  REQUIRE(registry.Apply("demo", view).ok());  // the retry numbers afresh
  CHECK(plan.injected == 2);
  CHECK(registry.Get<feast::core::FeatureView>("demo", "stats")->meta().current_version_number() ==
        1);
}

TEST_CASE("Feature-view version strings: latest, vN and versionN in any case", "[registry]") {
  using internal::ParseVersion;
  CHECK(*ParseVersion("") == std::nullopt);
  CHECK(*ParseVersion("latest") == std::nullopt);
  CHECK(*ParseVersion("Latest") == std::nullopt);
  CHECK(*ParseVersion("v0") == 0);
  CHECK(*ParseVersion("V12") == 12);
  CHECK(*ParseVersion("version3") == 3);
  CHECK(*ParseVersion("VERSION007") == 7);
  CHECK(*ParseVersion("v2147483647") == 2147483647);
  for (const char* bad :
       {"v", "version", "v-1", "v+1", "v 1", "1", "x1", "v1a", "latest1", "v2147483648"}) {
    INFO(bad);
    CHECK(absl::IsInvalidArgument(ParseVersion(bad).status()));
  }
}

TEST_CASE("ApplyMaterialization appends, and re-applies without intervals keep them",
          "[registry]") {
  Fixture f;
  feast::core::FeatureView view;
  view.mutable_spec()->set_name("stats");
  view.mutable_spec()->add_entities("driver");
  REQUIRE(f.registry->Apply("demo", view).ok());
  google::protobuf::Timestamp a, b, c;
  a.set_seconds(100);
  b.set_seconds(200);
  c.set_seconds(300);
  REQUIRE(f.registry->ApplyMaterialization("demo", "stats", a, b).ok());
  REQUIRE(f.registry->ApplyMaterialization("demo", "stats", b, c).ok());
  auto stored = f.registry->Get<feast::core::FeatureView>("demo", "stats");
  REQUIRE(stored.ok());
  REQUIRE(stored->meta().materialization_intervals_size() == 2);
  CHECK(stored->meta().materialization_intervals(1).end_time().seconds() == 300);
  CHECK(stored->meta().state() == feast::core::AVAILABLE_ONLINE);

  view.mutable_spec()->set_description("changed");
  REQUIRE(f.registry->Apply("demo", view).ok());
  CHECK(f.registry->Get<feast::core::FeatureView>("demo", "stats")
            ->meta()
            .materialization_intervals_size() == 2);

  absl::Status missing = f.registry->ApplyMaterialization("demo", "nope", a, b);
  CHECK(FeastClassOf(missing) == "FeatureViewNotFoundException");
}

}  // namespace
}  // namespace larder::registry

namespace larder::registry {
namespace {

TEST_CASE("A retried request whose first attempt committed is not applied again", "[registry]") {
  Fixture f;
  WriteOptions first{"request-1", ""};
  REQUIRE(f.registry->Apply("demo", MakeEntity("driver", "from request 1"), first).ok());
  // Another writer changes the entity; then request 1 is retried (its reply had been lost).
  REQUIRE(f.registry->Apply("demo", MakeEntity("driver", "from someone else")).ok());
  REQUIRE(f.registry->Apply("demo", MakeEntity("driver", "from request 1"), first).ok());
  auto stored = f.registry->Get<feast::core::Entity>("demo", "driver");
  REQUIRE(stored.ok());
  CHECK(stored->spec().description() == "from someone else");

  google::protobuf::Timestamp a, b;
  b.set_seconds(10);
  feast::core::FeatureView view;
  view.mutable_spec()->set_name("stats");
  view.mutable_spec()->add_entities("driver");
  REQUIRE(f.registry->Apply("demo", view).ok());
  WriteOptions materialize{"request-2", ""};
  REQUIRE(f.registry->ApplyMaterialization("demo", "stats", a, b, materialize).ok());
  REQUIRE(f.registry->ApplyMaterialization("demo", "stats", a, b, materialize).ok());
  CHECK(f.registry->Get<feast::core::FeatureView>("demo", "stats")
            ->meta()
            .materialization_intervals_size() == 1);
}

}  // namespace
}  // namespace larder::registry

namespace larder::registry {
namespace {

google::protobuf::Timestamp Seconds(int64_t s) {
  google::protobuf::Timestamp t;
  t.set_seconds(s);
  return t;
}

IntervalAppend Appending(int64_t start, int64_t end, const WriteOptions& options) {
  IntervalAppend append;
  append.start = Seconds(start);
  append.end = Seconds(end);
  append.options = &options;
  return append;
}

// The starts of the view's intervals, sorted.
std::vector<int64_t> IntervalStarts(Registry& registry) {
  auto stored = registry.Get<feast::core::FeatureView>("demo", "stats");
  REQUIRE(stored.ok());
  std::vector<int64_t> starts;
  for (const auto& interval : stored->meta().materialization_intervals()) {
    starts.push_back(interval.start_time().seconds());
  }
  std::sort(starts.begin(), starts.end());
  return starts;
}

TEST_CASE("A group of appends is one version and one change; every request id counts as done",
          "[registry][coalesce]") {
  Fixture f;
  feast::core::FeatureView view;
  view.mutable_spec()->set_name("stats");
  view.mutable_spec()->add_entities("driver");
  REQUIRE(f.registry->Apply("demo", view).ok());
  // The view's newest version, from its history.
  auto view_version = [&] {
    auto history =
        f.registry->ObjectHistory(storage::ObjectKind::kFeatureView, "demo", "stats", 0, 10000);
    REQUIRE(history.ok());
    REQUIRE(!history->empty());
    return history->back().object_version;
  };
  const int64_t version_before = view_version();
  WriteOptions a{"req-a", "alice"}, b{"req-b", "bob"}, c{"req-c", "carol"};
  auto run_group = [&](std::vector<IntervalAppend> group) {
    REQUIRE(f.registry
                ->Write({},
                        [&](RegistryWrite& w) {
                          return w.ApplyMaterializations("demo", "stats", absl::MakeSpan(group));
                        })
                .ok());
    for (const IntervalAppend& append : group) CHECK(append.result.ok());
  };
  auto changes_logged = [&] {
    auto changes = f.registry->ListChanges(0, 10000);
    REQUIRE(changes.ok());
    return changes->size();
  };
  const size_t changes_before = changes_logged();
  // b twice in one group (a client retry that joined the same group): appended once.
  run_group(
      {Appending(0, 10, a), Appending(10, 20, b), Appending(10, 20, b), Appending(20, 30, c)});
  CHECK(IntervalStarts(*f.registry) == std::vector<int64_t>{0, 10, 20});
  CHECK(view_version() == version_before + 1);
  CHECK(changes_logged() == changes_before + 1);

  // Retries of all three (a and b were merged under c's change-log entry) append nothing.
  run_group({Appending(0, 10, a), Appending(10, 20, b)});
  run_group({Appending(20, 30, c)});
  CHECK(IntervalStarts(*f.registry) == std::vector<int64_t>{0, 10, 20});
  CHECK(view_version() == version_before + 1);
  // Each retried through the ordinary single-call path is recognised as done as well.
  REQUIRE(f.registry->ApplyMaterialization("demo", "stats", Seconds(0), Seconds(10), a).ok());
  CHECK(IntervalStarts(*f.registry).size() == 3);

  // A group on a missing view fails every caller with Feast's error.
  std::vector<IntervalAppend> missing{Appending(0, 1, a)};
  absl::Status status = f.registry->Write({}, [&](RegistryWrite& w) {
    return w.ApplyMaterializations("demo", "nope", absl::MakeSpan(missing));
  });
  CHECK(FeastClassOf(status) == "FeatureViewNotFoundException");
}

TEST_CASE("Concurrent appends through CoalescedAppends: every interval once, retries too",
          "[registry][coalesce]") {
  Fixture f;
  feast::core::FeatureView view;
  view.mutable_spec()->set_name("stats");
  view.mutable_spec()->add_entities("driver");
  REQUIRE(f.registry->Apply("demo", view).ok());
  CoalescedAppends appends(*f.registry);
  constexpr int kThreads = 8, kCalls = 20;
  auto storm = [&] {
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kCalls; ++i) {
          const int64_t start = (t * kCalls + i) * 10;
          WriteOptions options{absl::StrCat("req-", t, "-", i), ""};
          if (!appends.Append("demo", "stats", Seconds(start), Seconds(start + 10), options).ok()) {
            ++failures;
          }
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    return failures.load();
  };
  REQUIRE(storm() == 0);
  std::vector<int64_t> expected;
  for (int k = 0; k < kThreads * kCalls; ++k) expected.push_back(k * 10);
  CHECK(IntervalStarts(*f.registry) == expected);
  // Every call again with the same request ids (replies lost): nothing is appended twice.
  REQUIRE(storm() == 0);
  CHECK(IntervalStarts(*f.registry) == expected);
  const auto [groups, carried] = appends.groups_and_appends();
  CHECK(carried == 2 * kThreads * kCalls);
  CHECK(groups <= carried);
}

}  // namespace
}  // namespace larder::registry
