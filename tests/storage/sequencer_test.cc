// Revision order with sequenced numbering (storage/sql_sequencer.h): writers commit unnumbered
// change-log entries in parallel and a serialized step numbers them. What the change feed
// promises must still hold on every backend: every acknowledged write has exactly one revision,
// revisions are dense, a reader that keeps continuing "after R" never skips one, an entry whose
// writer died before numbering is numbered by any replica, and a transaction holding the
// revision counter (ApplyBatch's expected revision) sees nothing commit between its check and its
// COMMIT.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/storage/store_fixture.h"

namespace larder::testing {
namespace {

using storage::ChangeRecord;
using storage::ObjectKind;
using storage::Transaction;

ChangeRecord EntityChange(const std::string& project, const std::string& name) {
  ChangeRecord c;
  c.project = project;
  c.kind = ObjectKind::kEntity;
  c.name = name;
  c.op = storage::ChangeOp::kCreate;
  c.object_version = 1;
  c.actor = "test";
  c.changed_at_micros = absl::ToUnixMicros(absl::Now());
  c.proto = name;
  return c;
}

storage::ObjectRow EntityRow(const std::string& project, const std::string& name) {
  storage::ObjectRow row;
  row.project = project;
  row.name = name;
  row.proto = name;
  row.version = 1;
  return row;
}

// One write: an entity row and its change-log entry, acknowledged when Run returns OK.
absl::Status WriteEntity(storage::Store& store, const std::string& project,
                         const std::string& name) {
  return store.Run(storage::TxMode::kReadWrite, [&](Transaction& tx) -> absl::Status {
    if (auto s = tx.InsertObject(ObjectKind::kEntity, EntityRow(project, name)); !s.ok()) return s;
    if (auto s = tx.StampProject(project, 1234); !s.ok()) return s;
    tx.RecordChange(EntityChange(project, name));
    return absl::OkStatus();
  });
}

std::vector<ChangeRecord> ChangesAfter(storage::Store& store, int64_t after) {
  std::vector<ChangeRecord> changes;
  MustRead(store, [&](Transaction& tx) {
    auto listed = tx.ListChanges(after, 100'000);
    if (listed.ok()) changes = *listed;
    return listed.status();
  });
  return changes;
}

// Two stores on one database stand for two replicas. Writers on both commit at once while a
// reader follows the log the way the change feed does (continue after the last revision seen);
// afterwards the reader must have seen every acknowledged write exactly once, in a dense order.
void ParallelWritersAndAFollowingReader(ScratchDatabase& db) {
  auto replica_a = OpenMigratedStore(db);
  auto replica_b = OpenMigratedStore(db);
  constexpr int kWriters = 8, kWrites = 60;
  std::atomic<int> failures{0};
  std::atomic<bool> writing{true};
  std::vector<ChangeRecord> followed;
  std::thread reader([&] {
    int64_t after = 0;
    while (true) {
      const bool last_round = !writing.load();
      for (ChangeRecord& c : ChangesAfter(*replica_b, after)) {
        after = c.revision;
        followed.push_back(std::move(c));
      }
      if (last_round) break;
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      storage::Store& store = w % 2 == 0 ? *replica_a : *replica_b;
      for (int i = 0; i < kWrites; ++i) {
        if (!WriteEntity(store, absl::StrCat("p", w % 3), absl::StrCat("e", w, "_", i)).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& writer : writers) writer.join();
  writing = false;
  reader.join();
  REQUIRE(failures == 0);

  const std::vector<ChangeRecord> log = ChangesAfter(*replica_a, 0);
  REQUIRE(log.size() == static_cast<size_t>(kWriters * kWrites));
  std::set<std::string> names;
  for (size_t i = 0; i < log.size(); ++i) {
    CHECK(log[i].revision == static_cast<int64_t>(i + 1));  // dense, from 1
    names.insert(log[i].name);
  }
  CHECK(names.size() == log.size());  // each write exactly once
  // The follower skipped nothing: it saw the whole log, in order.
  REQUIRE(followed.size() == log.size());
  for (size_t i = 0; i < log.size(); ++i) CHECK(followed[i].name == log[i].name);
  // The Feast project stamps the writers asked for were written (by the numbering step where
  // revisions are sequenced).
  MustRead(*replica_a, [&](Transaction& tx) {
    for (int p = 0; p < 3; ++p) {
      auto stamp = tx.GetMetadata(absl::StrCat("p", p), storage::kProjectStampKey);
      if (!stamp.ok()) return stamp.status();
      CHECK(stamp->value_or("") == "1234");
    }
    return absl::OkStatus();
  });
}
LARDER_BACKEND_TEST(
    "Parallel writers on two replicas: every write numbered once, densely, and "
    "a following reader skips none",
    ParallelWritersAndAFollowingReader)

// A writer that dies between its COMMIT and the numbering of its entry leaves the entry
// unnumbered; another replica's sweep numbers it.
void OrphanedEntryIsNumberedBySweep(ScratchDatabase& db) {
  storage::StoreOptions options;
  options.unnumbered_sweep_every = absl::Milliseconds(100);
  auto store = OpenMigratedStore(db, options);
  if (!store->dialect().sequenced_revisions) {
    SUCCEED("this backend numbers at COMMIT: nothing is ever left unnumbered");
    return;
  }
  REQUIRE(WriteEntity(*store, "p", "first").ok());
  // What a writer killed right after COMMIT leaves behind (the INSERT its commit script sends).
  {
    auto lease = store->pool().Acquire();
    REQUIRE(lease.ok());
    storage::Connection& connection = **lease;
    REQUIRE(connection.Begin(storage::TxMode::kReadWrite).ok());
    const storage::Statement orphan = {
        "test.orphan",
        "INSERT INTO larder_unnumbered_changes (project_id, object_kind, object_name, operation, "
        "object_version, actor, changed_at_micros, object_proto, request_id, stamp_seconds) "
        "VALUES ('p', 'entity', 'orphan', 'create', 1, 'test', 1, NULL, 'orphan-request', NULL)"};
    REQUIRE(connection.Execute(orphan, {}).ok());
    REQUIRE(connection.Commit().ok());
  }
  // Its request id already counts as committed (a retry is not applied twice)...
  MustRead(*store, [&](Transaction& tx) {
    auto committed = tx.RequestCommitted("orphan-request");
    if (committed.ok()) CHECK(*committed);
    return committed.status();
  });
  // ...and the sweep gives it the next revision.
  std::vector<ChangeRecord> log;
  for (int i = 0; i < 100 && log.size() < 2; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    log = ChangesAfter(*store, 0);
  }
  REQUIRE(log.size() == 2);
  CHECK(log[1].name == "orphan");
  CHECK(log[1].revision == 2);
}
LARDER_BACKEND_TEST("An entry left unnumbered by a dead writer is numbered by the sweep",
                    OrphanedEntryIsNumberedBySweep)

// ApplyBatch with an expected revision: it locks the counter, checks it, reads, and writes.
// Writers committing around it must not slip in between: what it reads is exactly the registry
// at the revision it holds (every write it can see is numbered at or below it), and its own
// first change is the revision right after.
void LockedRevisionSeesNothingSlipIn(ScratchDatabase& db) {
  auto store = OpenMigratedStore(db);
  std::atomic<bool> writing{true};
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; writing.load(); ++i) {
        if (!WriteEntity(*store, "busy", absl::StrCat("w", w, "_", i)).ok()) ++failures;
      }
    });
  }
  std::map<std::string, int64_t> read_revision;  // batch name -> revision it held
  std::map<std::string, size_t> busy_seen;       // batch name -> writers' entities it saw
  for (int b = 0; b < 20; ++b) {
    const std::string name = absl::StrCat("batch", b);
    REQUIRE(store
                ->Run(storage::TxMode::kReadWrite,
                      [&](Transaction& tx) -> absl::Status {
                        auto revision = tx.LockRevision();
                        if (!revision.ok()) return revision.status();
                        read_revision[name] = *revision;
                        auto busy = tx.ListObjects(ObjectKind::kEntity, "busy", std::nullopt);
                        if (!busy.ok()) return busy.status();
                        busy_seen[name] = busy->size();
                        auto s = tx.InsertObject(ObjectKind::kEntity, EntityRow("guarded", name));
                        if (!s.ok()) return s;
                        tx.RecordChange(EntityChange("guarded", name));
                        return absl::OkStatus();
                      })
                .ok());
  }
  writing = false;
  for (auto& writer : writers) writer.join();
  REQUIRE(failures == 0);
  const std::vector<ChangeRecord> log = ChangesAfter(*store, 0);
  int checked = 0;
  for (const ChangeRecord& c : log) {
    auto it = read_revision.find(c.name);
    if (it == read_revision.end()) continue;
    CHECK(c.revision == it->second + 1);
    size_t busy_up_to_it = 0;
    for (const ChangeRecord& earlier : log) {
      if (earlier.revision <= it->second && earlier.project == "busy") ++busy_up_to_it;
    }
    CHECK(busy_seen[c.name] == busy_up_to_it);
    ++checked;
  }
  CHECK(checked == 20);
}
LARDER_BACKEND_TEST("A transaction holding the revision counter sees no write commit in between",
                    LockedRevisionSeesNothingSlipIn)

}  // namespace
}  // namespace larder::testing
