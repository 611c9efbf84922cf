// The Store contract, written once and run against SQLite, PostgreSQL and MariaDB.
#include <catch2/catch.hpp>

#include "tests/storage/store_fixture.h"
#include "tests/support/faulty_connection.h"

namespace larder::testing {
namespace {

using storage::ChangeOp;
using storage::ChangeRecord;
using storage::Lock;
using storage::ObjectKind;
using storage::ObjectRow;
using storage::Transaction;

ObjectRow Row(const std::string& project, const std::string& name, std::string proto,
              int64_t seconds = 100, int64_t version = 1) {
  return ObjectRow{project, name, std::move(proto), seconds, version};
}

std::optional<ObjectRow> Get(storage::Store& store, ObjectKind kind, const std::string& project,
                             const std::string& name) {
  std::optional<ObjectRow> out;
  MustRead(store, [&](Transaction& tx) {
    auto got = tx.GetObject(kind, project, name);
    if (got.ok()) out = *got;
    return got.status();
  });
  return out;
}

void ObjectsRoundTrip(ScratchDatabase& db) {
  auto store = OpenMigratedStore(db);
  // Binary bytes with NULs and a 1 MiB blob must survive every backend's blob column.
  const std::string binary("\x00\x01\xff\x00proto", 9);
  const std::string large(1 << 20, '\x5a');
  MustWrite(*store, [&](Transaction& tx) {
    for (const storage::KindTable& t : storage::AllKindTables()) {
      const std::string project = t.kind == ObjectKind::kProject ? "b" : "p1";
      if (auto s = tx.InsertObject(t.kind, Row(project, "b", binary)); !s.ok()) return s;
    }
    if (auto s = tx.InsertObject(ObjectKind::kEntity, Row("p1", "a", large)); !s.ok()) return s;
    return tx.InsertObject(ObjectKind::kEntity, Row("p2", "c", "other project"));
  });
  for (const storage::KindTable& t : storage::AllKindTables()) {
    INFO(t.kind_name);
    const std::string project = t.kind == ObjectKind::kProject ? "b" : "p1";
    auto row = Get(*store, t.kind, project, "b");
    REQUIRE(row.has_value());
    CHECK(row->proto == binary);
    CHECK(row->project == project);
    CHECK(row->version == 1);
    CHECK(row->last_updated_seconds == 100);
  }
  CHECK(Get(*store, ObjectKind::kEntity, "p1", "a")->proto == large);
  CHECK_FALSE(Get(*store, ObjectKind::kEntity, "p2", "a").has_value());
  CHECK_FALSE(Get(*store, ObjectKind::kDataSource, "p1", "a").has_value());

  std::vector<ObjectRow> listed;
  MustRead(*store, [&](Transaction& tx) {
    auto rows = tx.ListObjects(ObjectKind::kEntity, "p1");
    if (rows.ok()) listed = *rows;
    return rows.status();
  });
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].name == "a");  // ordered by name
  CHECK(listed[1].name == "b");

  MustWrite(*store, [&](Transaction& tx) {
    return tx.UpdateObject(ObjectKind::kEntity, Row("p1", "b", "v2", 200, 2));
  });
  auto updated = Get(*store, ObjectKind::kEntity, "p1", "b");
  CHECK(updated->proto == "v2");
  CHECK(updated->version == 2);
  CHECK(updated->last_updated_seconds == 200);

  MustRead(*store, [&](Transaction& tx) {
    auto since = tx.ListObjects(ObjectKind::kEntity, "p1", 150);
    if (!since.ok()) return since.status();
    CHECK(since->size() == 1);
    auto projects = tx.ListObjects(ObjectKind::kProject, "");
    if (!projects.ok()) return projects.status();
    CHECK(projects->size() == 1);
    return absl::OkStatus();
  });

  MustWrite(*store, [&](Transaction& tx) {
    auto deleted = tx.DeleteObject(ObjectKind::kEntity, "p1", "b");
    if (!deleted.ok()) return deleted.status();
    CHECK(*deleted);
    auto again = tx.DeleteObject(ObjectKind::kEntity, "p1", "b");
    if (!again.ok()) return again.status();
    CHECK_FALSE(*again);
    return absl::OkStatus();
  });
  CHECK_FALSE(Get(*store, ObjectKind::kEntity, "p1", "b").has_value());
}
LARDER_BACKEND_TEST("Objects round-trip through every kind's table", ObjectsRoundTrip)

void ErrorCodes(ScratchDatabase& db) {
  auto store = OpenMigratedStore(db);
  MustWrite(*store, [&](Transaction& tx) {
    return tx.InsertObject(ObjectKind::kEntity, Row("p", "dup", "first"));
  });
  absl::Status duplicate = store->Run(storage::TxMode::kReadWrite, [&](Transaction& tx) {
    return tx.InsertObject(ObjectKind::kEntity, Row("p", "dup", "second"));
  });
  CHECK(absl::IsAlreadyExists(duplicate));
  absl::Status missing = store->Run(storage::TxMode::kReadWrite, [&](Transaction& tx) {
    return tx.UpdateObject(ObjectKind::kEntity, Row("p", "ghost", "x"));
  });
  CHECK(absl::IsNotFound(missing));
  // The failed insert was rolled back and left the first row alone.
  CHECK(Get(*store, ObjectKind::kEntity, "p", "dup")->proto == "first");
}
LARDER_BACKEND_TEST("Duplicate inserts and missing updates report their codes", ErrorCodes)

void RollbackOnError(ScratchDatabase& db) {
  auto store = OpenMigratedStore(db);
  absl::Status status = store->Run(storage::TxMode::kReadWrite, [&](Transaction& tx) {
    if (auto s = tx.InsertObject(ObjectKind::kEntity, Row("p", "a", "x")); !s.ok()) return s;
    if (auto s = tx.PutMetadata("p", "k", "v", 1); !s.ok()) return s;
    ChangeRecord change;
    change.project = "p";
    change.kind = ObjectKind::kEntity;
    change.name = "a";
    tx.RecordChange(change);
    return absl::InvalidArgumentError("caller changed its mind");
  });
  CHECK(absl::IsInvalidArgument(status));
  CHECK_FALSE(Get(*store, ObjectKind::kEntity, "p", "a").has_value());
  MustRead(*store, [&](Transaction& tx) {
    auto value = tx.GetMetadata("p", "k");
    if (!value.ok()) return value.status();
    CHECK_FALSE(value->has_value());
    auto revision = tx.CurrentRevision();
    if (!revision.ok()) return revision.status();
    CHECK(*revision == 0);
    return absl::OkStatus();
  });
}
LARDER_BACKEND_TEST("A failing transaction leaves nothing behind", RollbackOnError)

void Metadata(ScratchDatabase& db) {
  auto store = OpenMigratedStore(db);
  MustWrite(*store, [&](Transaction& tx) -> absl::Status {
    auto first = tx.InsertMetadataIfAbsent("p", "project_uuid", "u1", 1);
    if (!first.ok()) return first.status();
    CHECK(*first);
    auto second = tx.InsertMetadataIfAbsent("p", "project_uuid", "u2", 2);
    if (!second.ok()) return second.status();
    CHECK_FALSE(*second);
    if (auto s = tx.PutMetadata("p", "last_updated_timestamp", "5", 5); !s.ok()) return s;
    return tx.PutMetadata("p", "last_updated_timestamp", "6", 6);
  });
  MustRead(*store, [&](Transaction& tx) -> absl::Status {
    auto uuid = tx.GetMetadata("p", "project_uuid");
    if (!uuid.ok()) return uuid.status();
    CHECK(**uuid == "u1");
    auto all = tx.ListMetadata("p");
    if (!all.ok()) return all.status();
    REQUIRE(all->size() == 2);
    CHECK((*all)[0] == std::make_pair(std::string("last_updated_timestamp"), std::string("6")));
    return absl::OkStatus();
  });
}
LARDER_BACKEND_TEST("feast_metadata upserts and insert-if-absent", Metadata)

void Versions(ScratchDatabase& db) {
  auto store = OpenMigratedStore(db);
  storage::VersionRecord v0{"p", "fv", 0, "feature_view", std::string("\x00v0", 3), 10, "", "id0"};
  storage::VersionRecord v1{"p", "fv", 1, "feature_view", "v1", 11, "", "id1"};
  MustWrite(*store, [&](Transaction& tx) {
    if (auto s = tx.InsertVersion(v1); !s.ok()) return s;
    return tx.InsertVersion(v0);
  });
  CHECK(absl::IsAlreadyExists(store->Run(storage::TxMode::kReadWrite,
                                         [&](Transaction& tx) { return tx.InsertVersion(v1); })));
  MustRead(*store, [&](Transaction& tx) -> absl::Status {
    auto versions = tx.ListVersions("p", "fv");
    if (!versions.ok()) return versions.status();
    REQUIRE(versions->size() == 2);
    CHECK((*versions)[0].version_number == 0);
    CHECK((*versions)[0].proto == v0.proto);
    CHECK((*versions)[1].version_id == "id1");
    return absl::OkStatus();
  });
  MustWrite(*store, [&](Transaction& tx) { return tx.DeleteVersions("p", "fv"); });
  MustRead(*store, [&](Transaction& tx) -> absl::Status {
    auto versions = tx.ListVersions("p", "fv");
    if (!versions.ok()) return versions.status();
    CHECK(versions->empty());
    return absl::OkStatus();
  });
}
LARDER_BACKEND_TEST("Feature-view version history rows", Versions)

void Cascade(ScratchDatabase& db) {
  auto store = OpenMigratedStore(db);
  MustWrite(*store, [&](Transaction& tx) -> absl::Status {
    for (const char* project : {"gone", "kept"}) {
      for (const storage::KindTable& t : storage::AllKindTables()) {
        if (auto s = tx.InsertObject(t.kind, Row(project, project, "x")); !s.ok()) return s;
      }
      if (auto s = tx.PutMetadata(project, "project_uuid", "u", 1); !s.ok()) return s;
      if (auto s = tx.InsertVersion({project, "fv", 0, "feature_view", "x", 1, "", "i"}); !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  });
  MustWrite(*store, [&](Transaction& tx) -> absl::Status {
    auto existed = tx.DeleteProjectCascade("gone");
    if (!existed.ok()) return existed.status();
    CHECK(*existed);
    return absl::OkStatus();
  });
  MustRead(*store, [&](Transaction& tx) -> absl::Status {
    for (const storage::KindTable& t : storage::AllKindTables()) {
      INFO(t.kind_name);
      auto gone = tx.GetObject(t.kind, "gone", "gone");
      auto kept = tx.GetObject(t.kind, "kept", "kept");
      if (!gone.ok() || !kept.ok()) return absl::InternalError("read failed");
      CHECK_FALSE(gone->has_value());
      CHECK(kept->has_value());
    }
    auto metadata = tx.ListMetadata("gone");
    auto versions = tx.ListVersions("gone", "fv");
    auto kept_versions = tx.ListVersions("kept", "fv");
    if (!metadata.ok() || !versions.ok() || !kept_versions.ok()) {
      return absl::InternalError("read failed");
    }
    CHECK(metadata->empty());
    CHECK(versions->empty());
    CHECK(kept_versions->size() == 1);
    return absl::OkStatus();
  });
}
LARDER_BACKEND_TEST("Deleting a project removes every row of it and nothing else", Cascade)

void ChangeLog(ScratchDatabase& db) {
  auto store = OpenMigratedStore(db);
  for (int i = 0; i < 3; ++i) {
    MustWrite(*store, [&](Transaction& tx) {
      for (int j = 0; j < 2; ++j) {
        ChangeRecord c;
        c.project = "p";
        c.kind = ObjectKind::kFeatureView;
        c.name = "fv" + std::to_string(j);
        c.op = j == 0 ? ChangeOp::kUpdate : ChangeOp::kDelete;
        c.object_version = i + 1;
        c.actor = "tester";
        c.changed_at_micros = 1000 + i;
        c.proto = std::string("\x00after", 6);
        c.request_id = "req-" + std::to_string(i);
        tx.RecordChange(c);
      }
      return absl::OkStatus();
    });
  }
  MustRead(*store, [&](Transaction& tx) -> absl::Status {
    auto revision = tx.CurrentRevision();
    if (!revision.ok()) return revision.status();
    CHECK(*revision == 6);
    auto changes = tx.ListChanges(2, 3);
    if (!changes.ok()) return changes.status();
    REQUIRE(changes->size() == 3);
    CHECK((*changes)[0].revision == 3);
    CHECK((*changes)[0].op == ChangeOp::kUpdate);
    CHECK((*changes)[0].proto == std::string("\x00after", 6));
    CHECK((*changes)[0].object_version == 2);
    CHECK((*changes)[0].actor == "tester");
    CHECK((*changes)[1].op == ChangeOp::kDelete);
    CHECK((*changes)[1].proto.empty());
    CHECK((*changes)[2].revision == 5);
    CHECK((*changes)[2].request_id == "req-2");
    auto seen = tx.RequestCommitted("req-1");
    auto unseen = tx.RequestCommitted("req-9");
    if (!seen.ok() || !unseen.ok()) return absl::InternalError("request lookup failed");
    CHECK(*seen);
    CHECK_FALSE(*unseen);
    return absl::OkStatus();
  });
}
LARDER_BACKEND_TEST("Change-log revisions are consecutive in commit order", ChangeLog)

void AbortedIsRetried(ScratchDatabase& db) {
  auto store = OpenMigratedStore(db);
  int attempts = 0;
  MustWrite(*store, [&](Transaction& tx) -> absl::Status {
    if (++attempts < 3) {
      // Write something first: the retry must start from a rolled-back transaction.
      if (auto s = tx.InsertObject(ObjectKind::kEntity, Row("p", "a", "x")); !s.ok()) return s;
      return absl::AbortedError("simulated serialization failure");
    }
    return tx.InsertObject(ObjectKind::kEntity, Row("p", "a", "final"));
  });
  CHECK(attempts == 3);
  CHECK(Get(*store, ObjectKind::kEntity, "p", "a")->proto == "final");
}
LARDER_BACKEND_TEST("ABORTED transactions are retried from a clean slate", AbortedIsRetried)

void InjectedFaults(ScratchDatabase& db) {
  FaultPlan plan;
  auto store = OpenMigratedStore(db, {}, [&](std::unique_ptr<storage::Connection> inner) {
    return std::unique_ptr<storage::Connection>(new FaultyConnection(std::move(inner), plan));
  });
  auto write_two = [&](const std::string& suffix) {
    return store->Run(storage::TxMode::kReadWrite, [&](Transaction& tx) -> absl::Status {
      if (auto s = tx.InsertObject(ObjectKind::kEntity, Row("p", "a" + suffix, "x")); !s.ok()) {
        return s;
      }
      return tx.InsertObject(ObjectKind::kEntity, Row("p", "b" + suffix, "y"));
    });
  };
  SECTION("an injected ABORTED on the second statement is retried and commits once") {
    plan.calls = 0;
    plan.fail_at = 2;
    plan.failure = absl::AbortedError("injected deadlock");
    REQUIRE(write_two("1").ok());
    CHECK(plan.injected == 1);
    CHECK(Get(*store, ObjectKind::kEntity, "p", "a1").has_value());
    CHECK(Get(*store, ObjectKind::kEntity, "p", "b1").has_value());
  }
  SECTION("a lost connection mid-transaction fails the call, keeps nothing, and reconnects") {
    plan.calls = 0;
    plan.fail_at = 2;
    plan.failure = absl::UnavailableError("injected connection loss");
    CHECK(absl::IsUnavailable(write_two("2")));
    plan.fail_at = 0;
    CHECK_FALSE(Get(*store, ObjectKind::kEntity, "p", "a2").has_value());
    REQUIRE(write_two("3").ok());  // a fresh connection replaced the broken one
    CHECK(Get(*store, ObjectKind::kEntity, "p", "b3").has_value());
  }
  SECTION("a connection lost before its first statement was answered is replaced silently") {
    // What a pooled connection that died while idle looks like (PostgreSQL sends BEGIN with the
    // first statement): nothing ran, so the transaction runs again on another connection.
    plan.calls = 0;
    plan.fail_at = 1;
    plan.failure = absl::UnavailableError("injected idle connection loss");
    REQUIRE(write_two("4").ok());
    CHECK(plan.injected == 1);
    CHECK(Get(*store, ObjectKind::kEntity, "p", "a4").has_value());
    CHECK(Get(*store, ObjectKind::kEntity, "p", "b4").has_value());
  }
}
LARDER_BACKEND_TEST("Injected faults roll back and recover", InjectedFaults)

// A write whose commit carries final statements (metadata upsert, revision bump, change log).
absl::Status WriteWithChange(storage::Store& store, const std::string& name) {
  return store.Run(storage::TxMode::kReadWrite, [&](Transaction& tx) -> absl::Status {
    if (auto s = tx.InsertObject(ObjectKind::kEntity, Row("p", name, "x")); !s.ok()) return s;
    if (auto s = tx.PutMetadata("p", "last_updated_timestamp", name, 100); !s.ok()) return s;
    ChangeRecord c;
    c.project = "p";
    c.kind = ObjectKind::kEntity;
    c.name = name;
    c.op = ChangeOp::kCreate;
    c.object_version = 1;
    c.changed_at_micros = 1000;
    c.proto = "x";
    tx.RecordChange(c);
    return absl::OkStatus();
  });
}

// What the database holds: the revision, the change log and the metadata value.
struct Committed {
  int64_t revision = 0;
  size_t changes = 0;
  std::optional<std::string> metadata;
};
Committed ReadCommitted(storage::Store& store) {
  Committed out;
  MustRead(store, [&](Transaction& tx) -> absl::Status {
    auto revision = tx.CurrentRevision();
    auto changes = tx.ListChanges(0, 100);
    auto metadata = tx.GetMetadata("p", "last_updated_timestamp");
    if (!revision.ok() || !changes.ok() || !metadata.ok()) {
      return absl::InternalError("read failed");
    }
    out.revision = *revision;
    out.changes = changes->size();
    out.metadata = *metadata;
    return absl::OkStatus();
  });
  return out;
}

void InjectedCommitFaults(ScratchDatabase& db) {
  FaultPlan plan;
  plan.only_statement = FaultPlan::kCommit;
  storage::StoreOptions options;
  // The sweep's own transactions would count as commits (and could take the injected fault).
  options.unnumbered_sweep_every = absl::InfiniteDuration();
  auto store = OpenMigratedStore(db, options, [&](std::unique_ptr<storage::Connection> inner) {
    return std::unique_ptr<storage::Connection>(new FaultyConnection(std::move(inner), plan));
  });
  REQUIRE(WriteWithChange(*store, "before").ok());
  const Committed before = ReadCommitted(*store);
  REQUIRE(before.revision == 1);
  REQUIRE(before.changes == 1);
  REQUIRE(before.metadata == "before");

  SECTION("a failure at CommitWith is reported and nothing of the write is committed") {
    plan.calls = 0;
    plan.fail_at = 1;
    plan.failure = absl::InternalError("injected commit failure");
    const absl::Status status = WriteWithChange(*store, "lost");
    CHECK(status.code() == absl::StatusCode::kInternal);
    CHECK(status.message() == "injected commit failure");
    CHECK(plan.injected == 1);
    plan.fail_at = 0;
    CHECK_FALSE(Get(*store, ObjectKind::kEntity, "p", "lost").has_value());
    const Committed after = ReadCommitted(*store);
    CHECK(after.revision == before.revision);
    CHECK(after.changes == before.changes);
    CHECK(after.metadata == before.metadata);
    REQUIRE(WriteWithChange(*store, "next").ok());  // the connection is usable again
    CHECK(ReadCommitted(*store).revision == before.revision + 1);
  }
  SECTION("a connection lost at CommitWith is UNAVAILABLE, commits nothing, and reconnects") {
    plan.calls = 0;
    plan.fail_at = 1;
    plan.failure = absl::UnavailableError("injected connection loss at commit");
    CHECK(absl::IsUnavailable(WriteWithChange(*store, "lost")));
    CHECK(plan.injected == 1);
    plan.fail_at = 0;
    CHECK_FALSE(Get(*store, ObjectKind::kEntity, "p", "lost").has_value());
    const Committed after = ReadCommitted(*store);
    CHECK(after.revision == before.revision);
    CHECK(after.changes == before.changes);
    CHECK(after.metadata == before.metadata);
    REQUIRE(WriteWithChange(*store, "next").ok());
    CHECK(Get(*store, ObjectKind::kEntity, "p", "next").has_value());
  }
  SECTION("an ABORTED at CommitWith is retried and commits once") {
    plan.calls = 0;
    plan.fail_at = 1;
    plan.failure = absl::AbortedError("injected serialization failure at commit");
    REQUIRE(WriteWithChange(*store, "retried").ok());
    CHECK(plan.injected == 1);
    // The failed COMMIT, the retried one, and where revisions are sequenced the numbering pass.
    CHECK(plan.calls == (store->dialect().sequenced_revisions ? 3 : 2));
    const Committed after = ReadCommitted(*store);
    CHECK(after.revision == before.revision + 1);
    CHECK(after.changes == before.changes + 1);
    CHECK(after.metadata == "retried");
  }
}
LARDER_BACKEND_TEST("A fault injected at CommitWith is reported and leaves nothing committed",
                    InjectedCommitFaults)

}  // namespace
}  // namespace larder::testing
