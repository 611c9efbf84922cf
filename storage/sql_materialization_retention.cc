// SqlTransaction's part of the materialization job retention sweep: finding old finished jobs
// and removing one with its tasks.
#include "absl/strings/numbers.h"
#include "storage/sql_transaction.h"

namespace larder::storage {

absl::StatusOr<std::vector<MaterializationJobRow>> SqlTransaction::FinishedMaterializationJobs(
    int64_t finished_before_micros, int limit) {
  absl::StatusOr<SqlResult> result =
      Exec(statements_.materialization_retention.jobs_finished_before,
           {SqlParam(finished_before_micros), SqlParam(int64_t{limit})});
  if (!result.ok()) return result.status();
  std::vector<MaterializationJobRow> jobs;
  for (const std::vector<SqlCell>& c : result->rows) {
    MaterializationJobRow job;
    job.job_id = c[0].value_or("");
    job.project = c[1].value_or("");
    job.request_id = c[2].value_or("");
    job.state = c[3].value_or("");
    int64_t* numbers[] = {&job.created_at_micros, &job.finished_at_micros, &job.task_count,
                          &job.succeeded_count, &job.version};
    for (int i = 0; i < 5; ++i) {
      if (c[4 + i].has_value() && !absl::SimpleAtoi(*c[4 + i], numbers[i])) {
        return absl::InternalError("database returned a malformed materialization ledger row");
      }
    }
    job.proto = c[9].value_or("");
    jobs.push_back(std::move(job));
  }
  return jobs;
}

absl::StatusOr<bool> SqlTransaction::DeleteFinishedMaterializationJob(absl::string_view job_id) {
  const MaterializationRetentionStatements& m = statements_.materialization_retention;
  absl::StatusOr<SqlResult> job = Exec(m.job_delete_finished, {SqlParam(job_id)});
  if (!job.ok()) return job.status();
  if (job->affected_rows == 0) return false;  // gone, or not finished: its tasks stay too
  if (absl::Status tasks = Exec(m.tasks_delete_of_job, {SqlParam(job_id)}).status(); !tasks.ok()) {
    return tasks;
  }
  return true;
}

}  // namespace larder::storage
