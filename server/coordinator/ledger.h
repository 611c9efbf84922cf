#pragma once

#include <map>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "larder/v1/materialization.pb.h"
#include "server/registry/write_context.h"
#include "storage/store.h"

namespace larder::coordinator {

// Ledger state names as stored (larder_materialization_*.state).
inline constexpr absl::string_view kPending = "pending";
inline constexpr absl::string_view kRunning = "running";
inline constexpr absl::string_view kLeased = "leased";
inline constexpr absl::string_view kSucceeded = "succeeded";
inline constexpr absl::string_view kFailed = "failed";
inline constexpr absl::string_view kCancelled = "cancelled";

v1::JobState JobStateOf(absl::string_view stored);
v1::TaskState TaskStateOf(absl::string_view stored);
absl::string_view StoredJobState(v1::JobState state);
bool TaskFinished(absl::string_view state);  // succeeded, failed or cancelled
bool JobFinished(absl::string_view state);

v1::MaterializationTask TaskToProto(const storage::MaterializationTaskRow& row);
// The job as stored, with its state and the counters of its row; progress totals only (the
// per-state counts need its tasks: AddProgress).
v1::MaterializationJob JobToProto(const storage::MaterializationJobRow& row);
void AddProgress(const storage::MaterializationTaskRow& task, v1::JobProgress& progress);
// The job with its full progress (and its tasks, when asked), read through `tx`.
absl::StatusOr<v1::MaterializationJob> LoadJob(storage::Transaction& tx,
                                               const storage::MaterializationJobRow& row,
                                               bool include_tasks);

// The ledger's writes inside one transaction: every row update bumps its version and logs a
// change (kind materialization_job / materialization_task) with the caller as actor. Also the
// view-permission check shared by every operation. Not thread-safe; lives for one transaction
// attempt and borrows its arguments.
class LedgerWrite {
 public:
  LedgerWrite(storage::Transaction& tx, absl::Time now, const registry::WriteOptions& who)
      : tx_(tx), now_(now), who_(who) {}

  storage::Transaction& tx() { return tx_; }
  absl::Time now() const { return now_; }
  int64_t now_micros() const { return absl::ToUnixMicros(now_); }

  absl::Status InsertJob(storage::MaterializationJobRow& job);
  // `log`: whether this is a state transition (logged, version bumped) rather than a counter
  // update.
  absl::Status SaveJob(storage::MaterializationJobRow& job, bool log = true);
  absl::Status InsertTask(storage::MaterializationTaskRow& task);
  // `log`: whether the update is a transition worth a change-log entry (heartbeats are not).
  absl::Status SaveTask(storage::MaterializationTaskRow& task, bool log = true);

  // Fails the job with `reason`: cancels its tasks still pending or leased (they are locked
  // first, then the job, keeping the lock order). Returns the job's new row.
  absl::StatusOr<storage::MaterializationJobRow> EndJob(absl::string_view job_id,
                                                        absl::string_view state,
                                                        absl::string_view reason);

  // PERMISSION_DENIED unless the caller may WRITE_ONLINE the view (judged as Feast would see
  // the stored view). NOT_FOUND (FeatureViewNotFoundException) when the view is gone. Answers
  // are remembered for the transaction.
  absl::Status RequireWriteView(absl::string_view project, absl::string_view view_kind,
                                absl::string_view view_name);

 private:
  void Log(storage::ObjectKind kind, absl::string_view project, absl::string_view name,
           storage::ChangeOp op, int64_t version, std::string proto);

  storage::Transaction& tx_;
  const absl::Time now_;
  const registry::WriteOptions& who_;
  std::map<std::pair<std::string, std::string>, absl::Status> allowed_;
};

}  // namespace larder::coordinator
