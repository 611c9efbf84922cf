// The allow_cache snapshot, advanced through the change log, must always equal a full reload.
#include "server/registry/snapshot.h"

#include <catch2/catch.hpp>

#include <random>

#include "absl/strings/str_cat.h"
#include "server/registry/registry.h"
#include "storage/open_store.h"
#include "tests/support/temp_dir.h"

namespace larder::registry {
namespace {

std::string Dump(const Snapshot& snapshot) {
  std::string out;
  for (const auto& [key, rows] : snapshot.groups) {
    for (const RowRef& row : *rows) {
      absl::StrAppend(&out, static_cast<int>(key.first), "/", key.second, "/", row->project, "/",
                      row->name, " v", row->version, " @", row->last_updated_seconds, " ",
                      row->proto.size(), ":", std::hash<std::string>()(row->proto), "\n");
    }
  }
  return out;
}

// Every write's outcome is checked, so the comparison below is never vacuous: an apply must
// succeed, and a delete must succeed exactly when its object exists (NOT_FOUND otherwise).
void RequireApplied(const absl::Status& status) {
  INFO(status.ToString());
  REQUIRE(status.ok());
}
void RequireDeleted(const absl::Status& status, bool existed) {
  INFO(status.ToString() << (existed ? " (it existed)" : " (it did not exist)"));
  if (existed) {
    REQUIRE(status.ok());
  } else {
    REQUIRE(absl::IsNotFound(status));
  }
}

TEST_CASE("Advancing through the change log equals a full reload", "[snapshot]") {
  testing::TempDir dir;
  auto url = storage::ParseDatabaseUrl("sqlite:///" + dir.File("r.db"));
  REQUIRE(url.ok());
  auto store = storage::OpenStore(*url, {});
  REQUIRE(store.ok());
  REQUIRE(storage::PrepareStoreSchema(**store, false).ok());
  SystemClock clock;
  Registry registry(**store, clock, /*full_reload_every=*/absl::ZeroDuration());
  SnapshotCache cache(**store, absl::ZeroDuration());
  REQUIRE(cache.Current(absl::Now()).ok());  // the one full load

  std::mt19937 rng(42);
  for (int step = 0; step < 300; ++step) {
    const std::string project = absl::StrCat("p", rng() % 3);
    const std::string name = absl::StrCat("n", rng() % 5);
    switch (rng() % 6) {
      case 0:
      case 1: {
        feast::core::Entity e;
        e.mutable_spec()->set_name(name);
        e.mutable_spec()->set_description(absl::StrCat("d", rng() % 4));
        RequireApplied(registry.Apply(project, e));
        break;
      }
      case 2: {
        feast::core::FeatureView v;
        v.mutable_spec()->set_name(name);
        v.mutable_spec()->add_entities("e");
        RequireApplied(registry.Apply(project, v));
        break;
      }
      case 3: {
        const bool existed = registry.Get<feast::core::Entity>(project, name).ok();
        RequireDeleted(registry.Delete<feast::core::Entity>(project, name), existed);
        break;
      }
      case 4: {
        const bool existed = registry.Get<feast::core::FeatureView>(project, name).ok();
        RequireDeleted(registry.DeleteFeatureView(project, name), existed);
        break;
      }
      case 5:
        if (rng() % 4 == 0) {
          const bool existed = registry.GetProject(project).ok();
          RequireDeleted(registry.DeleteProject(project), existed);
        }
        break;
    }
    REQUIRE(cache.Advance(absl::Now()).ok());
    auto advanced = cache.Current(absl::Now());
    auto reloaded = LoadSnapshot(**store, absl::Now());
    REQUIRE(advanced.ok());
    REQUIRE(reloaded.ok());
    INFO("step " << step);
    REQUIRE((*advanced)->revision == (*reloaded)->revision);
    REQUIRE(Dump(**advanced) == Dump(**reloaded));
  }
}

TEST_CASE("Cached reads see this replica's own writes at once", "[snapshot]") {
  testing::TempDir dir;
  auto url = storage::ParseDatabaseUrl("sqlite:///" + dir.File("r.db"));
  REQUIRE(url.ok());
  auto store = storage::OpenStore(*url, {});
  REQUIRE(store.ok());
  REQUIRE(storage::PrepareStoreSchema(**store, false).ok());
  SystemClock clock;
  Registry registry(**store, clock);
  CHECK(absl::IsNotFound(registry.Get<feast::core::Entity>("demo", "driver", true).status()));
  for (int i = 0; i < 20; ++i) {
    feast::core::Entity e;
    e.mutable_spec()->set_name("driver");
    e.mutable_spec()->set_description(absl::StrCat(i));
    REQUIRE(registry.Apply("demo", e).ok());
    auto cached = registry.Get<feast::core::Entity>("demo", "driver", /*allow_cache=*/true);
    REQUIRE(cached.ok());
    CHECK(cached->spec().description() == absl::StrCat(i));
  }
  REQUIRE(registry.DeleteProject("demo").ok());
  CHECK(absl::IsNotFound(registry.Get<feast::core::Entity>("demo", "driver", true).status()));
}

}  // namespace
}  // namespace larder::registry
