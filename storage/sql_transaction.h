#pragma once

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

#include "storage/connection.h"
#include "storage/statements.h"
#include "storage/store.h"

namespace larder::storage {

// Transaction over one open SQL connection. Not thread-safe; lives for one attempt of
// SqlStore::Run.
class SqlTransaction : public Transaction {
 public:
  // Both references are borrowed and must outlive this object.
  SqlTransaction(Connection& connection, const Statements& statements)
      : connection_(connection), statements_(statements) {}

  absl::StatusOr<std::optional<ObjectRow>> GetObject(ObjectKind kind, absl::string_view project,
                                                     absl::string_view name, Lock lock) override;
  absl::StatusOr<std::vector<ObjectRow>> ListObjects(
      ObjectKind kind, absl::string_view project,
      std::optional<int64_t> updated_since_seconds) override;
  absl::Status InsertObject(ObjectKind kind, const ObjectRow& row) override;
  absl::Status UpdateObject(ObjectKind kind, const ObjectRow& row) override;
  absl::StatusOr<bool> DeleteObject(ObjectKind kind, absl::string_view project,
                                    absl::string_view name) override;

  absl::StatusOr<std::optional<std::string>> GetMetadata(absl::string_view project,
                                                         absl::string_view key) override;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ListMetadata(
      absl::string_view project) override;
  absl::Status PutMetadata(absl::string_view project, absl::string_view key,
                           absl::string_view value, int64_t now_seconds) override;
  absl::Status StampProject(absl::string_view project, int64_t now_seconds) override;
  absl::StatusOr<bool> InsertMetadataIfAbsent(absl::string_view project, absl::string_view key,
                                              absl::string_view value,
                                              int64_t now_seconds) override;

  absl::StatusOr<std::vector<VersionRecord>> ListVersions(absl::string_view project,
                                                          absl::string_view view_name) override;
  absl::Status InsertVersion(const VersionRecord& record) override;
  absl::Status DeleteVersions(absl::string_view project, absl::string_view view_name) override;

  absl::StatusOr<bool> DeleteProjectCascade(absl::string_view project) override;

  // The materialization ledger (sql_materialization.cc).
  absl::Status InsertMaterializationJob(const MaterializationJobRow& job) override;
  absl::Status UpdateMaterializationJob(const MaterializationJobRow& job) override;
  absl::StatusOr<std::optional<MaterializationJobRow>> GetMaterializationJob(
      absl::string_view job_id, Lock lock) override;
  absl::StatusOr<std::optional<MaterializationJobRow>> FindMaterializationJobByRequest(
      absl::string_view request_id) override;
  absl::StatusOr<std::vector<MaterializationJobRow>> ListMaterializationJobs(
      absl::string_view project, int limit) override;
  absl::Status InsertMaterializationTask(const MaterializationTaskRow& task) override;
  absl::Status UpdateMaterializationTask(const MaterializationTaskRow& task) override;
  absl::StatusOr<std::optional<MaterializationTaskRow>> GetMaterializationTask(
      absl::string_view task_id, Lock lock) override;
  absl::StatusOr<std::vector<MaterializationTaskRow>> ListMaterializationTasks(
      absl::string_view job_id, Lock lock) override;
  absl::StatusOr<std::vector<MaterializationTaskRow>> ActiveMaterializationTasks(
      absl::string_view project, absl::string_view view_name) override;
  absl::StatusOr<std::vector<MaterializationTaskRow>> LeasableMaterializationTasks(
      int64_t now_micros, int limit) override;
  // Job retention (sql_materialization_retention.cc).
  absl::StatusOr<std::vector<MaterializationJobRow>> FinishedMaterializationJobs(
      int64_t finished_before_micros, int limit) override;
  absl::StatusOr<bool> DeleteFinishedMaterializationJob(absl::string_view job_id) override;

  void RecordChange(ChangeRecord change) override { pending_changes_.push_back(std::move(change)); }
  void RecordRequest(std::string request_id, int64_t micros) override {
    pending_requests_.emplace_back(std::move(request_id), micros);
  }
  absl::StatusOr<std::vector<ChangeRecord>> ListChanges(int64_t after_revision, int limit) override;
  absl::StatusOr<int64_t> CurrentRevision() override;
  absl::StatusOr<int64_t> LockRevision() override;
  absl::StatusOr<int64_t> CompactedThrough() override;
  absl::StatusOr<int64_t> CompactChanges(int64_t through) override;
  absl::StatusOr<std::vector<ChangeRecord>> ListChangesThrough(int64_t after, int64_t through,
                                                               int limit) override;
  absl::StatusOr<int64_t> LastRevisionBefore(int64_t micros) override;
  absl::Status SetOwner(ObjectKind kind, absl::string_view project, absl::string_view name,
                        absl::string_view owner) override;
  absl::StatusOr<std::vector<std::pair<ObjectKind, std::string>>> ListOwned(
      absl::string_view project, absl::string_view owner) override;
  absl::StatusOr<std::vector<ChangeRecord>> ListObjectChanges(ObjectKind kind,
                                                              absl::string_view project,
                                                              absl::string_view name,
                                                              int64_t after_revision,
                                                              int limit) override;
  absl::StatusOr<bool> RequestCommitted(absl::string_view request_id) override;

  // Writes what was queued (feast_metadata puts, change-log entries with their revisions, or
  // unnumbered where revisions are sequenced) and commits, in as few round trips as the backend
  // allows (Connection::CommitWith). Called once, instead of Connection::Commit, for read-write
  // transactions.
  absl::Status Commit();
  // After a successful Commit: whether it logged unnumbered entries, which the writer must see
  // numbered (SqlSequencer::AwaitNumbered) before it acknowledges the write.
  bool wrote_unnumbered() const { return wrote_unnumbered_; }
  // The sequencer's step: locks the revision counter and numbers every committed unnumbered
  // entry (in seq order, with the revisions after the counter) as this transaction commits.
  // Returns how many there are.
  absl::StatusOr<int64_t> NumberUnnumbered();
  // Whether any committed entry waits for a number.
  absl::StatusOr<bool> AnyUnnumbered();
  // change_insert's parameters for `c` (revision first).
  static std::vector<SqlParam> ChangeParams(const ChangeRecord& c);
  // The same without the revision: for statements that assign it themselves, or leave it to
  // the numbering step.
  static std::vector<SqlParam> UnrevisionedChangeParams(const ChangeRecord& c);

 private:
  absl::StatusOr<SqlResult> Exec(const Statement& statement, absl::Span<const SqlParam> params) {
    return connection_.Execute(statement, params);
  }

  // Sends queued metadata puts now (before another statement on feast_metadata reads or
  // deletes what they would write).
  absl::Status FlushMetadata();
  // Locks the counter row (until the end of the transaction) and reads it into counter_.
  absl::Status LockCounter();
  // With the counter locked: takes every committed unnumbered entry (row-locked) to be numbered
  // at commit, and advances counter_ past them.
  absl::Status ClaimUnnumbered();
  // The three shapes of Commit(): holding the counter (numbers claimed entries and this
  // transaction's own with known revisions); logging unnumbered entries (sequenced writers, no
  // counter); bumping the counter at COMMIT (SQLite, and transactions without changes).
  // The final statements of a commit, with the parameters they point to.
  class CommitScript {
   public:
    void Add(const Statement& statement, std::vector<SqlParam> params);
    absl::Span<const Connection::FinalStatement> statements() const { return statements_; }

   private:
    std::deque<std::vector<SqlParam>> params_;
    std::vector<Connection::FinalStatement> statements_;
  };
  // Adds the queued feast_metadata puts and request ids to `script`.
  void AddQueuedWrites(CommitScript& script) const;
  // Sends `script` with the COMMIT and forgets what was queued.
  absl::Status Finish(const CommitScript& script);
  absl::Status CommitHoldingCounter();
  absl::Status CommitUnnumbered();
  absl::Status CommitBumping();
  // Queues project stamps as metadata puts, except for projects in `skip`.
  void QueueStamps(const absl::flat_hash_map<std::string, int64_t>& stamps,
                   const absl::flat_hash_set<std::string>& skip);

  struct MetadataPut {
    std::string project, key, value;
    int64_t now_seconds;
  };

  Connection& connection_;
  const Statements& statements_;
  std::vector<MetadataPut> pending_metadata_;
  std::vector<ChangeRecord> pending_changes_;
  std::vector<std::pair<std::string, int64_t>> pending_requests_;  // (request id, micros)
  absl::flat_hash_map<std::string, int64_t> stamps_;  // project -> seconds (StampProject)
  // While this transaction holds the revision counter: its value after the claimed entries.
  std::optional<int64_t> counter_;
  // Entries claimed by ClaimUnnumbered: their seqs ("1,5,6"), the revision before the first.
  struct Claimed {
    std::string seq_list;
    int64_t base = 0;
    absl::flat_hash_map<std::string, int64_t> stamps;  // projects they changed -> seconds
  };
  std::optional<Claimed> claimed_;
  bool wrote_unnumbered_ = false;
};

}  // namespace larder::storage
