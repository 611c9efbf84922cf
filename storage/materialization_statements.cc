#include "storage/materialization_statements.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace larder::storage {
namespace {

constexpr absl::string_view kJobColumns =
    "job_id, project_id, request_id, state, created_at_micros, finished_at_micros, task_count, "
    "succeeded_count, job_version, job_proto";
constexpr absl::string_view kTaskColumns =
    "task_id, job_id, task_index, project_id, view_kind, view_name, start_micros, end_micros, "
    "state, attempts, max_attempts, worker, lease_id, lease_expires_micros, not_before_micros, "
    "leased_at_micros, finished_at_micros, updated_at_micros, task_version, last_error";

std::string Placeholders(const Dialect& d, int count) {
  std::string out;
  for (int i = 1; i <= count; ++i) absl::StrAppend(&out, i > 1 ? ", " : "", d.Placeholder(i));
  return out;
}

}  // namespace

MaterializationStatements::MaterializationStatements(const Dialect& d) {
  const std::string p1 = d.Placeholder(1), p2 = d.Placeholder(2), p3 = d.Placeholder(3);
  const std::string jobs = " FROM larder_materialization_jobs";
  const std::string tasks = " FROM larder_materialization_tasks";

  job_insert = {"mat.job_insert",
                absl::StrCat("INSERT INTO larder_materialization_jobs (", kJobColumns, ") VALUES (",
                             Placeholders(d, 10), ")")};
  job_update = {
      "mat.job_update",
      absl::StrCat("UPDATE larder_materialization_jobs SET state = ", p1,
                   ", finished_at_micros = ", p2, ", task_count = ", p3,
                   ", succeeded_count = ", d.Placeholder(4), ", job_version = ", d.Placeholder(5),
                   ", job_proto = ", d.Placeholder(6), " WHERE job_id = ", d.Placeholder(7))};
  job_get = {"mat.job_get", absl::StrCat("SELECT ", kJobColumns, jobs, " WHERE job_id = ", p1)};
  job_get_for_update = {"mat.job_get_for_update", absl::StrCat(job_get.sql, d.for_update_suffix)};
  job_by_request = {"mat.job_by_request",
                    absl::StrCat("SELECT ", kJobColumns, jobs, " WHERE request_id = ", p1)};
  jobs_list = {"mat.jobs_list",
               absl::StrCat("SELECT ", kJobColumns, jobs,
                            " ORDER BY created_at_micros DESC, job_id LIMIT ", p1)};
  jobs_list_project = {"mat.jobs_list_project",
                       absl::StrCat("SELECT ", kJobColumns, jobs, " WHERE project_id = ", p1,
                                    " ORDER BY created_at_micros DESC, job_id LIMIT ", p2)};

  task_insert = {"mat.task_insert",
                 absl::StrCat("INSERT INTO larder_materialization_tasks (", kTaskColumns,
                              ") VALUES (", Placeholders(d, 20), ")")};
  std::string set;
  int i = 0;
  for (absl::string_view column :
       {"state", "attempts", "max_attempts", "worker", "lease_id", "lease_expires_micros",
        "not_before_micros", "leased_at_micros", "finished_at_micros", "updated_at_micros",
        "task_version", "last_error"}) {
    absl::StrAppend(&set, i > 0 ? ", " : "", column, " = ", d.Placeholder(i + 1));
    ++i;
  }
  task_update = {"mat.task_update", absl::StrCat("UPDATE larder_materialization_tasks SET ", set,
                                                 " WHERE task_id = ", d.Placeholder(i + 1))};
  task_get = {"mat.task_get",
              absl::StrCat("SELECT ", kTaskColumns, tasks, " WHERE task_id = ", p1)};
  task_get_for_update = {"mat.task_get_for_update",
                         absl::StrCat(task_get.sql, d.for_update_suffix)};
  tasks_of_job = {"mat.tasks_of_job", absl::StrCat("SELECT ", kTaskColumns, tasks,
                                                   " WHERE job_id = ", p1, " ORDER BY task_index")};
  tasks_of_job_for_update = {"mat.tasks_of_job_for_update",
                             absl::StrCat(tasks_of_job.sql, d.for_update_suffix)};
  tasks_active_of_view = {
      "mat.tasks_active_of_view",
      absl::StrCat("SELECT ", kTaskColumns, tasks, " WHERE project_id = ", p1, " AND view_name = ",
                   p2, " AND state IN ('pending', 'leased') ORDER BY start_micros")};
  // Two queries rather than one with an OR, so that each is one index range read in order and
  // stops after `limit` rows (an OR of the two made the database read and sort every due task).
  tasks_pending_due = {"mat.tasks_pending_due",
                       absl::StrCat("SELECT ", kTaskColumns, tasks,
                                    " WHERE state = 'pending' AND not_before_micros <= ", p1,
                                    " ORDER BY not_before_micros, job_id, task_index LIMIT ", p2,
                                    d.skip_locked_suffix)};
  tasks_lease_expired = {
      "mat.tasks_lease_expired",
      absl::StrCat("SELECT ", kTaskColumns, tasks,
                   " WHERE state = 'leased' AND lease_expires_micros <= ", p1,
                   " ORDER BY lease_expires_micros LIMIT ", p2, d.skip_locked_suffix)};
}

}  // namespace larder::storage
