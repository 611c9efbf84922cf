#include "server/coordinator/job_retention.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/coordinator/ledger.h"
#include "server/registry/registry_write.h"

namespace larder::coordinator {
namespace {

// Who the change log names for removals no caller asked for.
constexpr char kSweeper[] = "larder";

void LogDeletion(storage::Transaction& tx, storage::ObjectKind kind, const std::string& project,
                 const std::string& name, int64_t version, int64_t now_micros) {
  storage::ChangeRecord change;
  change.project = project;
  change.kind = kind;
  change.name = name;
  change.op = storage::ChangeOp::kDelete;
  change.object_version = version + 1;
  change.actor = kSweeper;
  change.changed_at_micros = now_micros;
  tx.RecordChange(std::move(change));
}

}  // namespace

absl::StatusOr<int64_t> JobRetention::Sweep(absl::Time finished_before) {
  const int64_t before = absl::ToUnixMicros(finished_before);
  int64_t removed = 0;
  while (true) {
    absl::StatusOr<int64_t> batch = SweepBatch(before);
    if (!batch.ok()) return batch.status();
    removed += *batch;
    if (*batch < batch_size_) return removed;
  }
}

absl::StatusOr<int64_t> JobRetention::SweepBatch(int64_t finished_before_micros) {
  registry::WriteOptions options;
  options.actor = kSweeper;
  int64_t removed = 0;
  absl::Status status = registry_.Write(options, [&](registry::RegistryWrite& w) -> absl::Status {
    removed = 0;
    storage::Transaction& tx = w.transaction();
    const int64_t now = absl::ToUnixMicros(w.context().now());
    absl::StatusOr<std::vector<storage::MaterializationJobRow>> candidates =
        tx.FinishedMaterializationJobs(finished_before_micros, batch_size_);
    if (!candidates.ok()) return candidates.status();
    for (const storage::MaterializationJobRow& candidate : *candidates) {
      // The coordinator's lock order: the job's tasks, then the job. Once locked, the job is
      // read again: only a job still finished before the cut-off goes.
      absl::StatusOr<std::vector<storage::MaterializationTaskRow>> tasks =
          tx.ListMaterializationTasks(candidate.job_id, storage::Lock::kForUpdate);
      if (!tasks.ok()) return tasks.status();
      absl::StatusOr<std::optional<storage::MaterializationJobRow>> job =
          tx.GetMaterializationJob(candidate.job_id, storage::Lock::kForUpdate);
      if (!job.ok()) return job.status();
      if (!job->has_value() || !JobFinished((*job)->state) ||
          (*job)->finished_at_micros >= finished_before_micros) {
        continue;
      }
      absl::StatusOr<bool> deleted = tx.DeleteFinishedMaterializationJob(candidate.job_id);
      if (!deleted.ok()) return deleted.status();
      if (!*deleted) continue;
      for (const storage::MaterializationTaskRow& task : *tasks) {
        LogDeletion(tx, storage::ObjectKind::kMaterializationTask, task.project, task.task_id,
                    task.version, now);
      }
      LogDeletion(tx, storage::ObjectKind::kMaterializationJob, (*job)->project, (*job)->job_id,
                  (*job)->version, now);
      ++removed;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return removed;
}

}  // namespace larder::coordinator
