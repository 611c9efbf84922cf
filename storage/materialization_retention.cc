#include "storage/materialization_retention.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace larder::storage {
namespace {

// The states a job never leaves; only these are ever removed.
constexpr absl::string_view kFinished = "state IN ('succeeded', 'failed', 'cancelled')";

}  // namespace

MaterializationRetentionStatements::MaterializationRetentionStatements(const Dialect& d) {
  const std::string p1 = d.Placeholder(1), p2 = d.Placeholder(2);
  jobs_finished_before = {
      "mat_retention.jobs_finished_before",
      absl::StrCat("SELECT job_id, project_id, request_id, state, created_at_micros, "
                   "finished_at_micros, task_count, succeeded_count, job_version, job_proto "
                   "FROM larder_materialization_jobs WHERE ",
                   kFinished, " AND finished_at_micros > 0 AND finished_at_micros < ", p1,
                   " ORDER BY finished_at_micros, job_id LIMIT ", p2)};
  job_delete_finished = {"mat_retention.job_delete_finished",
                         absl::StrCat("DELETE FROM larder_materialization_jobs WHERE job_id = ", p1,
                                      " AND ", kFinished)};
  tasks_delete_of_job = {
      "mat_retention.tasks_delete_of_job",
      absl::StrCat("DELETE FROM larder_materialization_tasks WHERE job_id = ", p1)};
}

}  // namespace larder::storage
