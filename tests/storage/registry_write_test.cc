// Several registry writes in one transaction commit or roll back together, on every backend.
#include "server/registry/registry.h"

#include <catch2/catch.hpp>
#include <memory>

#include "server/registry/feast_errors.h"
#include "storage/open_store.h"
#include "tests/support/scratch_database.h"

namespace larder::registry {
namespace {

namespace core = feast::core;

struct Opened {
  explicit Opened(const std::string& url) : store(testing::OpenPreparedStore(url)) {
    registry = std::make_unique<Registry>(*store, clock);
  }
  int64_t Revision() {
    int64_t revision = -1;
    REQUIRE(store
                ->Run(storage::TxMode::kReadOnly,
                      [&](storage::Transaction& tx) -> absl::Status {
                        absl::StatusOr<int64_t> r = tx.CurrentRevision();
                        if (!r.ok()) return r.status();
                        revision = *r;
                        return absl::OkStatus();
                      })
                .ok());
    return revision;
  }
  SystemClock clock;
  std::unique_ptr<storage::SqlStore> store;
  std::unique_ptr<Registry> registry;
};

core::Entity Entity(const std::string& name) {
  core::Entity e;
  e.mutable_spec()->set_name(name);
  e.mutable_spec()->set_join_key(name + "_id");
  return e;
}

core::FeatureView View(const std::string& name, const std::string& entity) {
  core::FeatureView v;
  v.mutable_spec()->set_name(name);
  v.mutable_spec()->add_entities(entity);
  v.mutable_spec()->add_features()->set_name("rating");
  return v;
}

void BatchCommitsOrRollsBackAsOne(testing::ScratchDatabase& db) {
  Opened o(db.url());
  const int64_t start = o.Revision();

  // A batch of three writes commits together: one after another in the change log.
  std::vector<WriteResult> results;
  REQUIRE(o.registry
              ->Write({},
                      [&](RegistryWrite& write) -> absl::Status {
                        results.clear();  // the body may run again on ABORTED
                        for (absl::StatusOr<WriteResult> r :
                             {write.Apply("team", Entity("driver")),
                              write.Apply("team", Entity("rider")),
                              write.Apply("team", View("stats", "driver"))}) {
                          if (!r.ok()) return r.status();
                          results.push_back(*r);
                        }
                        return absl::OkStatus();
                      })
              .ok());
  REQUIRE(results.size() == 3);
  for (const WriteResult& r : results) {
    CHECK(r.effect == Effect::kCreated);
    CHECK(r.new_version == 1);
  }
  // Project auto-creation + three objects.
  CHECK(o.Revision() == start + 4);
  CHECK(o.registry->Get<core::Entity>("team", "rider").ok());
  CHECK(o.registry->Get<core::FeatureView>("team", "stats").ok());

  // A batch whose last write fails leaves nothing of the earlier ones behind.
  const int64_t before = o.Revision();
  absl::Status failed = o.registry->Write({}, [&](RegistryWrite& write) -> absl::Status {
    core::Entity changed = Entity("driver");
    changed.mutable_spec()->set_description("changed in a failed batch");
    if (auto r = write.Apply("team", changed); !r.ok()) return r.status();
    if (auto r = write.Apply("team", Entity("passenger")); !r.ok()) return r.status();
    if (auto r = write.Delete<core::Entity>("team", "rider"); !r.ok()) return r.status();
    return write.DeleteFeatureView("team", "no_such_view").status();
  });
  CHECK(absl::IsNotFound(failed));
  CHECK(o.Revision() == before);
  CHECK(o.registry->Get<core::Entity>("team", "driver")->spec().description().empty());
  CHECK(absl::IsNotFound(o.registry->Get<core::Entity>("team", "passenger").status()));
  CHECK(o.registry->Get<core::Entity>("team", "rider").ok());

  // Re-applying the same definitions inside a batch changes nothing and logs nothing.
  REQUIRE(o.registry
              ->Write({},
                      [&](RegistryWrite& write) -> absl::Status {
                        auto r = write.Apply("team", Entity("driver"));
                        if (!r.ok()) return r.status();
                        CHECK(r->effect == Effect::kUnchanged);
                        CHECK(r->old_version == r->new_version);
                        return absl::OkStatus();
                      })
              .ok());
  CHECK(o.Revision() == before);
}
LARDER_BACKEND_TEST("registry: a batch of writes commits or rolls back as one transaction",
                    BatchCommitsOrRollsBackAsOne)

}  // namespace
}  // namespace larder::registry
