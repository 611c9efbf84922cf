#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/materialization_rows.h"
#include "storage/object_kind.h"

namespace larder::storage {

// The feast_metadata key Feast keeps each project's last change time under.
inline constexpr absl::string_view kProjectStampKey = "last_updated_timestamp";

// One stored registry object: a row of its kind's Feast table.
struct ObjectRow {
  std::string project;
  std::string name;
  std::string proto;                 // the serialized Feast message, opaque to storage
  int64_t last_updated_seconds = 0;  // Feast's integer `last_updated_timestamp` column
  int64_t version = 0;  // Larder's per-object version; 0 for rows only Feast has written
};

// One row of feature_view_version_history.
struct VersionRecord {
  std::string project;
  std::string view_name;
  int32_t version_number = 0;
  std::string view_type;  // "feature_view", "stream_feature_view", ...
  std::string proto;
  int64_t created_seconds = 0;
  std::string description;
  std::string version_id;
};

enum class ChangeOp { kCreate, kUpdate, kDelete };
absl::string_view ChangeOpName(ChangeOp op);

// One entry of Larder's change log.
struct ChangeRecord {
  int64_t revision = 0;  // assigned at commit, totally ordered in commit order
  std::string project;
  ObjectKind kind = ObjectKind::kProject;
  std::string name;
  ChangeOp op = ChangeOp::kCreate;
  int64_t object_version = 0;
  std::string actor;
  int64_t changed_at_micros = 0;
  std::string proto;       // the object after the change; empty for deletes
  std::string request_id;  // the client's id for the request that made it, or empty
};

enum class TxMode { kReadOnly, kReadWrite };
// Row locks held until the end of a read-write transaction. kShared excludes kForUpdate holders
// but not other kShared ones.
enum class Lock { kNone, kShared, kForUpdate };

// The operations available inside one database transaction. Obtained only from Store::Run; not
// thread-safe; must not outlive the callback it was passed to.
//
// Error contract shared by every method: UNAVAILABLE when the database connection was lost,
// ABORTED when the database reported a serialization failure, deadlock or lock timeout (the
// whole transaction will be retried by Store::Run), INTERNAL for anything else. Messages carry
// no SQL text.
class Transaction {
 public:
  virtual ~Transaction() = default;

  // Returns the row, or nullopt when absent. Lock::kShared / kForUpdate hold a row lock until the
  // end of the transaction (no-ops on SQLite, whose write transactions hold the database).
  // For ObjectKind::kProject `project` is ignored and `name` is the project name.
  virtual absl::StatusOr<std::optional<ObjectRow>> GetObject(ObjectKind kind,
                                                             absl::string_view project,
                                                             absl::string_view name,
                                                             Lock lock = Lock::kNone) = 0;

  // All rows of a kind in a project, ordered by name. For projects, every project. When
  // `updated_since_seconds` is set only rows whose last_updated_timestamp is >= it.
  virtual absl::StatusOr<std::vector<ObjectRow>> ListObjects(
      ObjectKind kind, absl::string_view project,
      std::optional<int64_t> updated_since_seconds = std::nullopt) = 0;

  // Returns ALREADY_EXISTS when a row with that (project, name) exists.
  virtual absl::Status InsertObject(ObjectKind kind, const ObjectRow& row) = 0;
  // Returns NOT_FOUND when no row with that (project, name) exists.
  virtual absl::Status UpdateObject(ObjectKind kind, const ObjectRow& row) = 0;
  // Returns whether a row was deleted.
  virtual absl::StatusOr<bool> DeleteObject(ObjectKind kind, absl::string_view project,
                                            absl::string_view name) = 0;

  // feast_metadata rows.
  virtual absl::StatusOr<std::optional<std::string>> GetMetadata(absl::string_view project,
                                                                 absl::string_view key) = 0;
  virtual absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ListMetadata(
      absl::string_view project) = 0;
  // Inserts or replaces the value. May be deferred to the commit (the SQL store sends it with
  // the change log, so the row lock it takes is held for as short a time as possible); reads of
  // feast_metadata in the same transaction see it.
  virtual absl::Status PutMetadata(absl::string_view project, absl::string_view key,
                                   absl::string_view value, int64_t now_seconds) = 0;
  // Stamps the project's Feast last_updated_timestamp with `now_seconds` as this transaction
  // commits. Where change-log entries are numbered after COMMIT (storage/sql_sequencer.h) and
  // this transaction logs a change of the project, the numbering step writes the stamp instead,
  // from the change's time, so concurrent writers of one project do not queue for its
  // feast_metadata row across their COMMITs.
  virtual absl::Status StampProject(absl::string_view project, int64_t now_seconds) {
    return PutMetadata(project, kProjectStampKey, absl::StrCat(now_seconds), now_seconds);
  }
  // Inserts only when absent; returns whether it inserted. Never fails on a concurrent insert.
  virtual absl::StatusOr<bool> InsertMetadataIfAbsent(absl::string_view project,
                                                      absl::string_view key,
                                                      absl::string_view value,
                                                      int64_t now_seconds) = 0;

  // feature_view_version_history rows, ordered by version number; with `view_name` empty, every
  // view's rows of the project, ordered by view name (collations may differ: callers that need
  // byte order sort again), then version number.
  virtual absl::StatusOr<std::vector<VersionRecord>> ListVersions(absl::string_view project,
                                                                  absl::string_view view_name) = 0;
  // Returns ALREADY_EXISTS when that version number is taken.
  virtual absl::Status InsertVersion(const VersionRecord& record) = 0;
  virtual absl::Status DeleteVersions(absl::string_view project, absl::string_view view_name) = 0;

  // Removes every row of the project from every table (objects of all kinds, infra, metadata,
  // version history and the project row itself). Returns whether the project row existed.
  virtual absl::StatusOr<bool> DeleteProjectCascade(absl::string_view project) = 0;

  // Records `owner` as the creator of the object (replacing any earlier record). The record
  // goes when the object is deleted.
  virtual absl::Status SetOwner(ObjectKind kind, absl::string_view project, absl::string_view name,
                                absl::string_view owner) = 0;
  // The (kind, name) of the project's objects `owner` created.
  virtual absl::StatusOr<std::vector<std::pair<ObjectKind, std::string>>> ListOwned(
      absl::string_view project, absl::string_view owner) = 0;

  // The materialization ledger (larder_materialization_jobs / _tasks).
  // Returns ALREADY_EXISTS when the job id or its (non-empty) request id is taken.
  virtual absl::Status InsertMaterializationJob(const MaterializationJobRow& job) = 0;
  // Returns NOT_FOUND when no job has that id.
  virtual absl::Status UpdateMaterializationJob(const MaterializationJobRow& job) = 0;
  // The job, or nullopt. Lock::kForUpdate holds its row until the end of the transaction.
  virtual absl::StatusOr<std::optional<MaterializationJobRow>> GetMaterializationJob(
      absl::string_view job_id, Lock lock = Lock::kNone) = 0;
  virtual absl::StatusOr<std::optional<MaterializationJobRow>> FindMaterializationJobByRequest(
      absl::string_view request_id) = 0;
  // Newest first (by creation time), at most `limit`; `project` empty: every project.
  virtual absl::StatusOr<std::vector<MaterializationJobRow>> ListMaterializationJobs(
      absl::string_view project, int limit) = 0;
  // Returns ALREADY_EXISTS when the task id is taken.
  virtual absl::Status InsertMaterializationTask(const MaterializationTaskRow& task) = 0;
  // Returns NOT_FOUND when no task has that id.
  virtual absl::Status UpdateMaterializationTask(const MaterializationTaskRow& task) = 0;
  virtual absl::StatusOr<std::optional<MaterializationTaskRow>> GetMaterializationTask(
      absl::string_view task_id, Lock lock = Lock::kNone) = 0;
  // The job's tasks by index; Lock::kForUpdate locks them all.
  virtual absl::StatusOr<std::vector<MaterializationTaskRow>> ListMaterializationTasks(
      absl::string_view job_id, Lock lock = Lock::kNone) = 0;
  // Tasks of the view still pending or leased (ranges in flight), of any job.
  virtual absl::StatusOr<std::vector<MaterializationTaskRow>> ActiveMaterializationTasks(
      absl::string_view project, absl::string_view view_name) = 0;
  // Up to `limit` tasks a worker may take at `now_micros`: the first `limit` pending and due (by
  // not_before, job, index) and the first `limit` expired leases (by expiry), merged in due order
  // and cut to `limit`; reads about `limit` rows, each locked to the end of the transaction, and
  // skips rows others hold locked where the database can (PostgreSQL, MySQL/MariaDB).
  virtual absl::StatusOr<std::vector<MaterializationTaskRow>> LeasableMaterializationTasks(
      int64_t now_micros, int limit) = 0;
  // Job retention: up to `limit` finished jobs (succeeded, failed or cancelled) whose
  // finished_at is before `finished_before_micros`, oldest first.
  virtual absl::StatusOr<std::vector<MaterializationJobRow>> FinishedMaterializationJobs(
      int64_t finished_before_micros, int limit) = 0;
  // Deletes the job and its tasks when the job is finished; a job in any other state (or gone)
  // is left alone and false returned.
  virtual absl::StatusOr<bool> DeleteFinishedMaterializationJob(absl::string_view job_id) = 0;

  // Queues a change-log entry; it is written, with its revision, when the transaction commits.
  virtual void RecordChange(ChangeRecord change) = 0;
  // Queues a request id whose write commits with this transaction but is logged under another
  // caller's change (a merged group of writes), so RequestCommitted finds it afterwards.
  virtual void RecordRequest(std::string request_id, int64_t micros) = 0;

  // Change-log entries with revision > `after_revision`, oldest first, at most `limit`, and only
  // the consecutive run starting at after_revision + 1. Revisions are dense (a rolled-back write
  // also rolls back its counter bump), but on MySQL/InnoDB a transaction can become visible to
  // readers a moment after the next one that took the counter from it; stopping at the gap means
  // a reader that continues "after R" never skips that late one.
  virtual absl::StatusOr<std::vector<ChangeRecord>> ListChanges(int64_t after_revision,
                                                                int limit) = 0;
  // History retention. The log at or below CompactedThrough() holds only each object's last
  // change there (none for objects deleted by then); ListChanges after a revision below it is
  // OUT_OF_RANGE.
  virtual absl::StatusOr<int64_t> CompactedThrough() = 0;
  // Compacts the log through `through` (at most the current revision; no-op unless above the
  // current horizon) and moves the horizon there. Returns how many entries were removed.
  virtual absl::StatusOr<int64_t> CompactChanges(int64_t through) = 0;
  // Entries with after < revision <= through, oldest first, at most `limit`, gaps and all: for
  // reading the compacted part of the log (through <= CompactedThrough()).
  virtual absl::StatusOr<std::vector<ChangeRecord>> ListChangesThrough(int64_t after,
                                                                       int64_t through,
                                                                       int limit) = 0;
  // The last revision committed before `micros` (unix microseconds), 0 when none.
  virtual absl::StatusOr<int64_t> LastRevisionBefore(int64_t micros) = 0;
  // The change-log entries of one object (its history), oldest first, with revision >
  // `after_revision`, at most `limit`. For projects `project` is the project's own name.
  virtual absl::StatusOr<std::vector<ChangeRecord>> ListObjectChanges(ObjectKind kind,
                                                                      absl::string_view project,
                                                                      absl::string_view name,
                                                                      int64_t after_revision,
                                                                      int limit) = 0;
  // Whether a change made by the request with this (non-empty) client id has committed.
  virtual absl::StatusOr<bool> RequestCommitted(absl::string_view request_id) = 0;
  // The highest committed revision (0 for an empty log).
  virtual absl::StatusOr<int64_t> CurrentRevision() = 0;
  // CurrentRevision, with the revision counter locked until this read-write transaction ends:
  // no other write commits in between, so the answer is still the latest at this one's COMMIT.
  // (Every writer needs the counter to commit; hold it briefly.)
  virtual absl::StatusOr<int64_t> LockRevision() = 0;
};

// A registry database. Thread-safe: any number of threads may call Run at once.
class Store {
 public:
  virtual ~Store() = default;

  // Runs `body` in one transaction: commits when it returns OK, rolls back otherwise. On ABORTED
  // (from the body or the commit) the whole transaction is retried a bounded number of times
  // with jittered backoff, so `body` must be safe to run again. Returns the body's status or the
  // commit's.
  virtual absl::Status Run(TxMode mode, absl::FunctionRef<absl::Status(Transaction&)> body) = 0;

  // "sqlite", "postgres" or "mysql" (or "model" for the test model).
  virtual absl::string_view backend_name() const = 0;
};

}  // namespace larder::storage
