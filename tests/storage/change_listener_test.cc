// Change notifications: on PostgreSQL a committed change wakes a ChangeListener (LISTEN/NOTIFY),
// a rolled-back one or one that logs no change does not, and a listener whose session is killed
// comes back by itself. SQLite and MariaDB have no listener (replicas only poll there).
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "storage/change_listener.h"
#include "storage/open_store.h"
#include "tests/storage/store_fixture.h"

namespace larder::testing {
namespace {

// Inserts an entity and logs its creation, as every registry write does.
absl::Status WriteEntity(storage::Transaction& tx, const std::string& name) {
  storage::ObjectRow row;
  row.project = "p";
  row.name = name;
  row.proto = "proto";
  row.version = 1;
  if (absl::Status s = tx.InsertObject(storage::ObjectKind::kEntity, row); !s.ok()) return s;
  storage::ChangeRecord change;
  change.project = "p";
  change.kind = storage::ObjectKind::kEntity;
  change.name = name;
  change.object_version = 1;
  change.proto = row.proto;
  tx.RecordChange(change);
  return absl::OkStatus();
}

bool Heard(storage::ChangeListener& listener, absl::Duration timeout) {
  absl::StatusOr<bool> heard = listener.WaitForChange(timeout);
  INFO(heard.status().ToString());
  REQUIRE(heard.ok());
  return *heard;
}

std::unique_ptr<storage::ChangeListener> OpenListener(const ScratchDatabase& db) {
  auto url = storage::ParseDatabaseUrl(db.url());
  REQUIRE(url.ok());
  return storage::OpenChangeListener(*url);
}

void CommitsWakeListeners(ScratchDatabase& db) {
  auto store = OpenMigratedStore(db);
  std::unique_ptr<storage::ChangeListener> listener = OpenListener(db);
  if (db.backend() != TestBackend::kPostgres) {
    CHECK(listener == nullptr);
    return;
  }
  REQUIRE(listener != nullptr);
  CHECK_FALSE(Heard(*listener, absl::ZeroDuration()));

  // NOTIFY is transactional: a rolled-back write is never heard.
  absl::Status rolled_back = store->Run(storage::TxMode::kReadWrite, [](storage::Transaction& tx) {
    if (absl::Status s = WriteEntity(tx, "a"); !s.ok()) return s;
    return absl::CancelledError("caller changed its mind");
  });
  REQUIRE(absl::IsCancelled(rolled_back));
  CHECK_FALSE(Heard(*listener, absl::Seconds(1)));

  // A committed one wakes the listener within a second, once.
  MustWrite(*store, [](storage::Transaction& tx) { return WriteEntity(tx, "a"); });
  const absl::Time start = absl::Now();
  CHECK(Heard(*listener, absl::Seconds(1)));
  CHECK(absl::Now() - start < absl::Seconds(1));
  CHECK_FALSE(Heard(*listener, absl::ZeroDuration()));

  // A write that logs no change (metadata only) notifies nobody.
  MustWrite(*store,
            [](storage::Transaction& tx) { return tx.PutMetadata("p", "key", "value", 1); });
  CHECK_FALSE(Heard(*listener, absl::Milliseconds(300)));

  // A burst of commits is consumed in a few wakes, not left pending.
  for (const char* name : {"b", "c", "d", "e"}) {
    MustWrite(*store, [&](storage::Transaction& tx) { return WriteEntity(tx, name); });
  }
  CHECK(Heard(*listener, absl::Seconds(1)));
  int more_wakes = 0;
  while (more_wakes < 4 && Heard(*listener, absl::Milliseconds(200))) ++more_wakes;
  CHECK_FALSE(Heard(*listener, absl::ZeroDuration()));
}
LARDER_BACKEND_TEST("Committed changes wake change listeners and rolled-back ones do not",
                    CommitsWakeListeners)

void ListenerSurvivesLostSession(ScratchDatabase& db) {
  if (db.backend() != TestBackend::kPostgres) return;
  auto store = OpenMigratedStore(db);
  std::unique_ptr<storage::ChangeListener> listener = OpenListener(db);
  REQUIRE(listener != nullptr);

  // Kill the listener's session, as a database restart or an idle-connection reaper would.
  auto url = storage::ParseDatabaseUrl(db.url());
  REQUIRE(url.ok());
  auto admin = storage::BackendFor(*url).factory();
  REQUIRE(admin.ok());
  storage::Statement kill = {
      "test.kill_listeners",
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
      "current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'"};
  auto killed = (*admin)->Execute(kill, {});
  INFO(killed.status().ToString());
  REQUIRE(killed.ok());
  REQUIRE(killed->rows.size() == 1);

  // It reports the loss (or reconnects silently) and is back within its first back-off; being
  // back counts as a wake, since changes committed meanwhile were not heard.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  bool back = false;
  while (!back && absl::Now() < deadline) {
    absl::StatusOr<bool> heard = listener->WaitForChange(absl::Milliseconds(200));
    if (heard.ok()) {
      back = *heard;
    } else {
      CHECK(absl::IsUnavailable(heard.status()));
      absl::SleepFor(absl::Milliseconds(50));  // the listener answers at once between attempts
    }
  }
  REQUIRE(back);

  MustWrite(*store, [](storage::Transaction& tx) { return WriteEntity(tx, "after"); });
  CHECK(Heard(*listener, absl::Seconds(1)));
}
LARDER_BACKEND_TEST("A change listener whose session is killed listens again by itself",
                    ListenerSurvivesLostSession)

}  // namespace
}  // namespace larder::testing
