// Schema creation, refusal rules, and adoption of a database Feast's SqlRegistry wrote.
#include <catch2/catch.hpp>

#include "feast/core/Entity.pb.h"
#include "feast/core/FeatureView.pb.h"
#include "feast/core/Project.pb.h"
#include "migrations/embedded_migrations.h"
#include "server/registry/registry.h"
#include "storage/schema_migrator.h"
#include "tests/storage/store_fixture.h"

namespace larder::testing {
namespace {

std::unique_ptr<storage::SqlStore> OpenUnprepared(const ScratchDatabase& db) {
  auto url = storage::ParseDatabaseUrl(db.url());
  REQUIRE(url.ok());
  auto store = storage::OpenStore(*url, {});
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return *std::move(store);
}

// Runs one statement on a connection of `store`, outside any transaction.
void Execute(storage::SqlStore& store, const std::string& sql) {
  auto lease = store.pool().Acquire();
  REQUIRE(lease.ok());
  absl::Status status = (*lease)->ExecuteScript(sql);
  INFO(sql << "\n" << status.ToString());
  REQUIRE(status.ok());
}

// Blob literal in the backend's syntax.
std::string BlobLiteral(TestBackend backend, const std::string& bytes) {
  std::string hex;
  for (unsigned char c : bytes) {
    static const char* digits = "0123456789abcdef";
    hex += digits[c >> 4];
    hex += digits[c & 15];
  }
  if (backend == TestBackend::kPostgres) return "'\\x" + hex + "'::bytea";
  return "X'" + hex + "'";
}

// What Feast 0.66's SqlRegistry leaves in a database: its tables (the layout our migration 0001
// reproduces verbatim) and rows written the way SQLAlchemy writes them, naming their columns.
void BuildFeastDatabase(storage::SqlStore& store, TestBackend backend) {
  for (const migrations::Migration& m : migrations::AllMigrations()) {
    if (m.backend != store.backend_name() || m.version != 1) continue;
    std::string statement;
    for (char c : std::string(m.sql)) {
      statement += c;
      if (c == ';') {
        if (statement.find("CREATE") != std::string::npos) {
          Execute(store, statement.substr(0, statement.size() - 1));
        }
        statement.clear();
      }
    }
  }
  feast::core::Project project;
  project.mutable_spec()->set_name("legacy");
  project.mutable_meta()->mutable_created_timestamp()->set_seconds(1600000000);
  feast::core::Entity entity;
  entity.mutable_spec()->set_name("driver");
  entity.mutable_spec()->set_join_key("driver_id");
  entity.mutable_meta()->mutable_created_timestamp()->set_seconds(1600000001);
  feast::core::FeatureView view;
  view.mutable_spec()->set_name("driver_stats");
  view.mutable_spec()->add_entities("driver");
  view.mutable_meta()->mutable_created_timestamp()->set_seconds(1600000002);
  Execute(store,
          "INSERT INTO projects (project_id, project_name, last_updated_timestamp, "
          "project_proto) VALUES ('legacy', 'legacy', 1600000000, " +
              BlobLiteral(backend, project.SerializeAsString()) + ")");
  Execute(store,
          "INSERT INTO entities (entity_name, project_id, last_updated_timestamp, "
          "entity_proto) VALUES ('driver', 'legacy', 1600000001, " +
              BlobLiteral(backend, entity.SerializeAsString()) + ")");
  Execute(store,
          "INSERT INTO feature_views (feature_view_name, project_id, "
          "last_updated_timestamp, feature_view_proto) VALUES ('driver_stats', 'legacy', "
          "1600000002, " +
              BlobLiteral(backend, view.SerializeAsString()) + ")");
  Execute(store,
          "INSERT INTO feast_metadata (project_id, metadata_key, metadata_value, "
          "last_updated_timestamp) VALUES ('legacy', 'project_uuid', "
          "'0b7f4c1e-5f7e-4a53-9d1e-1c0de5a1e000', 1600000000)");
}

void CreatesSchemaOnEmptyDatabase(ScratchDatabase& db) {
  auto store = OpenUnprepared(db);
  auto state = storage::PrepareStoreSchema(*store, /*allow_migrate=*/false);
  INFO(state.status().ToString());
  REQUIRE(state.ok());
  CHECK(state->current_version == state->latest_version);
  CHECK(state->latest_version >= 2);
  // A second start finds it up to date.
  auto again = storage::PrepareStoreSchema(*store, false);
  REQUIRE(again.ok());
  CHECK(again->up_to_date());
}
LARDER_BACKEND_TEST("serve creates the schema on an empty database", CreatesSchemaOnEmptyDatabase)

void RefusesNewerDatabase(ScratchDatabase& db) {
  auto store = OpenUnprepared(db);
  REQUIRE(storage::PrepareStoreSchema(*store, false).ok());
  Execute(*store,
          "INSERT INTO larder_schema_migrations (version, name, applied_at_micros) "
          "VALUES (9999, 'from_the_future', 0)");
  auto state = storage::PrepareStoreSchema(*store, /*allow_migrate=*/true);
  REQUIRE_FALSE(state.ok());
  CHECK(absl::IsFailedPrecondition(state.status()));
  CHECK(std::string(state.status().message()).find("9999") != std::string::npos);
  CHECK_FALSE(storage::MigrateStore(*store).ok());
}
LARDER_BACKEND_TEST("A database newer than the binary is refused", RefusesNewerDatabase)

void AdoptsFeastDatabase(ScratchDatabase& db) {
  auto store = OpenUnprepared(db);
  BuildFeastDatabase(*store, db.backend());

  // A pending migration is refused without --migrate, and nothing is changed.
  auto refused = storage::PrepareStoreSchema(*store, /*allow_migrate=*/false);
  REQUIRE_FALSE(refused.ok());
  CHECK(absl::IsFailedPrecondition(refused.status()));
  CHECK(std::string(refused.status().message()).find("larder migrate") != std::string::npos);

  auto migrated = storage::MigrateStore(*store);
  INFO(migrated.status().ToString());
  REQUIRE(migrated.ok());
  CHECK(migrated->up_to_date());

  // Larder reads what Feast wrote, and writes alongside it.
  registry::SystemClock clock;
  registry::Registry registry(*store, clock);
  auto entity = registry.Get<feast::core::Entity>("legacy", "driver");
  REQUIRE(entity.ok());
  CHECK(entity->spec().join_key() == "driver_id");
  google::protobuf::Timestamp start, end;
  end.set_seconds(1700000000);
  REQUIRE(registry.ApplyMaterialization("legacy", "driver_stats", start, end).ok());
  auto view = registry.Get<feast::core::FeatureView>("legacy", "driver_stats");
  REQUIRE(view.ok());
  CHECK(view->meta().materialization_intervals_size() == 1);
  CHECK(view->meta().created_timestamp().seconds() == 1600000002);
  auto uuid_kept = store->Run(storage::TxMode::kReadOnly, [](storage::Transaction& tx) {
    auto uuid = tx.GetMetadata("legacy", "project_uuid");
    if (!uuid.ok()) return uuid.status();
    return **uuid == "0b7f4c1e-5f7e-4a53-9d1e-1c0de5a1e000"
               ? absl::OkStatus()
               : absl::InternalError("project uuid changed");
  });
  CHECK(uuid_kept.ok());

  // Feast's own INSERTs, which name only Feast's columns, still work after adoption.
  feast::core::Entity rider;
  rider.mutable_spec()->set_name("rider");
  Execute(*store,
          "INSERT INTO entities (entity_name, project_id, last_updated_timestamp, "
          "entity_proto) VALUES ('rider', 'legacy', 1600000003, " +
              BlobLiteral(db.backend(), rider.SerializeAsString()) + ")");
  auto read_back = registry.Get<feast::core::Entity>("legacy", "rider");
  REQUIRE(read_back.ok());
}
LARDER_BACKEND_TEST("An existing Feast SqlRegistry database is adopted in place",
                    AdoptsFeastDatabase)

}  // namespace
}  // namespace larder::testing
