// SqlTransaction's materialization-ledger operations (larder_materialization_jobs / _tasks).
#include <algorithm>
#include <iterator>
#include <tuple>

#include "absl/strings/numbers.h"
#include "storage/sql_transaction.h"

namespace larder::storage {
namespace {

std::string Text(const SqlCell& cell) { return cell.value_or(""); }

bool Int(const SqlCell& cell, int64_t& out) {
  out = 0;
  return !cell.has_value() || absl::SimpleAtoi(*cell, &out);
}

absl::Status Malformed() {
  return absl::InternalError("database returned a malformed materialization ledger row");
}

absl::StatusOr<MaterializationJobRow> ToJob(const std::vector<SqlCell>& c) {
  MaterializationJobRow job;
  job.job_id = Text(c[0]);
  job.project = Text(c[1]);
  job.request_id = Text(c[2]);
  job.state = Text(c[3]);
  if (!Int(c[4], job.created_at_micros) || !Int(c[5], job.finished_at_micros) ||
      !Int(c[6], job.task_count) || !Int(c[7], job.succeeded_count) || !Int(c[8], job.version)) {
    return Malformed();
  }
  job.proto = Text(c[9]);
  return job;
}

absl::StatusOr<MaterializationTaskRow> ToTask(const std::vector<SqlCell>& c) {
  MaterializationTaskRow t;
  int64_t index = 0, attempts = 0, max_attempts = 0;
  t.task_id = Text(c[0]);
  t.job_id = Text(c[1]);
  t.project = Text(c[3]);
  t.view_kind = Text(c[4]);
  t.view_name = Text(c[5]);
  t.state = Text(c[8]);
  t.worker = Text(c[11]);
  t.lease_id = Text(c[12]);
  t.last_error = Text(c[19]);
  if (!Int(c[2], index) || !Int(c[6], t.start_micros) || !Int(c[7], t.end_micros) ||
      !Int(c[9], attempts) || !Int(c[10], max_attempts) || !Int(c[13], t.lease_expires_micros) ||
      !Int(c[14], t.not_before_micros) || !Int(c[15], t.leased_at_micros) ||
      !Int(c[16], t.finished_at_micros) || !Int(c[17], t.updated_at_micros) ||
      !Int(c[18], t.version)) {
    return Malformed();
  }
  t.task_index = static_cast<int32_t>(index);
  t.attempts = static_cast<int32_t>(attempts);
  t.max_attempts = static_cast<int32_t>(max_attempts);
  return t;
}

template <typename Row, typename Convert>
absl::StatusOr<std::vector<Row>> All(absl::StatusOr<SqlResult> result, Convert convert) {
  if (!result.ok()) return result.status();
  std::vector<Row> rows;
  rows.reserve(result->rows.size());
  for (const auto& cells : result->rows) {
    absl::StatusOr<Row> row = convert(cells);
    if (!row.ok()) return row.status();
    rows.push_back(*std::move(row));
  }
  return rows;
}

template <typename Row, typename Convert>
absl::StatusOr<std::optional<Row>> One(absl::StatusOr<SqlResult> result, Convert convert) {
  absl::StatusOr<std::vector<Row>> rows = All<Row>(std::move(result), convert);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<Row>();
  return std::optional<Row>(std::move(rows->front()));
}

SqlParam Nullable(const std::string& text) {
  return text.empty() ? SqlParam(nullptr) : SqlParam(text);
}

}  // namespace

absl::Status SqlTransaction::InsertMaterializationJob(const MaterializationJobRow& j) {
  return Exec(
             statements_.materialization.job_insert,
             {SqlParam(j.job_id), SqlParam(j.project), Nullable(j.request_id), SqlParam(j.state),
              SqlParam(j.created_at_micros), SqlParam(j.finished_at_micros), SqlParam(j.task_count),
              SqlParam(j.succeeded_count), SqlParam(j.version), SqlParam(Blob{j.proto})})
      .status();
}

absl::Status SqlTransaction::UpdateMaterializationJob(const MaterializationJobRow& j) {
  absl::StatusOr<SqlResult> result =
      Exec(statements_.materialization.job_update,
           {SqlParam(j.state), SqlParam(j.finished_at_micros), SqlParam(j.task_count),
            SqlParam(j.succeeded_count), SqlParam(j.version), SqlParam(Blob{j.proto}),
            SqlParam(j.job_id)});
  if (!result.ok()) return result.status();
  if (result->affected_rows == 0) return absl::NotFoundError("materialization job is gone");
  return absl::OkStatus();
}

absl::StatusOr<std::optional<MaterializationJobRow>> SqlTransaction::GetMaterializationJob(
    absl::string_view job_id, Lock lock) {
  const MaterializationStatements& m = statements_.materialization;
  return One<MaterializationJobRow>(
      Exec(lock == Lock::kNone ? m.job_get : m.job_get_for_update, {SqlParam(job_id)}), ToJob);
}

absl::StatusOr<std::optional<MaterializationJobRow>>
SqlTransaction::FindMaterializationJobByRequest(absl::string_view request_id) {
  return One<MaterializationJobRow>(
      Exec(statements_.materialization.job_by_request, {SqlParam(request_id)}), ToJob);
}

absl::StatusOr<std::vector<MaterializationJobRow>> SqlTransaction::ListMaterializationJobs(
    absl::string_view project, int limit) {
  const MaterializationStatements& m = statements_.materialization;
  if (project.empty()) {
    return All<MaterializationJobRow>(Exec(m.jobs_list, {SqlParam(int64_t{limit})}), ToJob);
  }
  return All<MaterializationJobRow>(
      Exec(m.jobs_list_project, {SqlParam(project), SqlParam(int64_t{limit})}), ToJob);
}

absl::Status SqlTransaction::InsertMaterializationTask(const MaterializationTaskRow& t) {
  return Exec(statements_.materialization.task_insert, {SqlParam(t.task_id),
                                                        SqlParam(t.job_id),
                                                        SqlParam(int64_t{t.task_index}),
                                                        SqlParam(t.project),
                                                        SqlParam(t.view_kind),
                                                        SqlParam(t.view_name),
                                                        SqlParam(t.start_micros),
                                                        SqlParam(t.end_micros),
                                                        SqlParam(t.state),
                                                        SqlParam(int64_t{t.attempts}),
                                                        SqlParam(int64_t{t.max_attempts}),
                                                        SqlParam(t.worker),
                                                        SqlParam(t.lease_id),
                                                        SqlParam(t.lease_expires_micros),
                                                        SqlParam(t.not_before_micros),
                                                        SqlParam(t.leased_at_micros),
                                                        SqlParam(t.finished_at_micros),
                                                        SqlParam(t.updated_at_micros),
                                                        SqlParam(t.version),
                                                        Nullable(t.last_error)})
      .status();
}

absl::Status SqlTransaction::UpdateMaterializationTask(const MaterializationTaskRow& t) {
  absl::StatusOr<SqlResult> result =
      Exec(statements_.materialization.task_update,
           {SqlParam(t.state), SqlParam(int64_t{t.attempts}), SqlParam(int64_t{t.max_attempts}),
            SqlParam(t.worker), SqlParam(t.lease_id), SqlParam(t.lease_expires_micros),
            SqlParam(t.not_before_micros), SqlParam(t.leased_at_micros),
            SqlParam(t.finished_at_micros), SqlParam(t.updated_at_micros), SqlParam(t.version),
            Nullable(t.last_error), SqlParam(t.task_id)});
  if (!result.ok()) return result.status();
  if (result->affected_rows == 0) return absl::NotFoundError("materialization task is gone");
  return absl::OkStatus();
}

absl::StatusOr<std::optional<MaterializationTaskRow>> SqlTransaction::GetMaterializationTask(
    absl::string_view task_id, Lock lock) {
  const MaterializationStatements& m = statements_.materialization;
  return One<MaterializationTaskRow>(
      Exec(lock == Lock::kNone ? m.task_get : m.task_get_for_update, {SqlParam(task_id)}), ToTask);
}

absl::StatusOr<std::vector<MaterializationTaskRow>> SqlTransaction::ListMaterializationTasks(
    absl::string_view job_id, Lock lock) {
  const MaterializationStatements& m = statements_.materialization;
  return All<MaterializationTaskRow>(
      Exec(lock == Lock::kNone ? m.tasks_of_job : m.tasks_of_job_for_update, {SqlParam(job_id)}),
      ToTask);
}

absl::StatusOr<std::vector<MaterializationTaskRow>> SqlTransaction::ActiveMaterializationTasks(
    absl::string_view project, absl::string_view view_name) {
  return All<MaterializationTaskRow>(Exec(statements_.materialization.tasks_active_of_view,
                                          {SqlParam(project), SqlParam(view_name)}),
                                     ToTask);
}

absl::StatusOr<std::vector<MaterializationTaskRow>> SqlTransaction::LeasableMaterializationTasks(
    int64_t now_micros, int limit) {
  const MaterializationStatements& m = statements_.materialization;
  const std::vector<SqlParam> params = {SqlParam(now_micros), SqlParam(int64_t{limit})};
  // Expired leases are rare (a worker died), so this read usually finds nothing at the head of
  // its index; the pending read below is the one that returns rows.
  absl::StatusOr<std::vector<MaterializationTaskRow>> expired =
      All<MaterializationTaskRow>(Exec(m.tasks_lease_expired, params), ToTask);
  if (!expired.ok()) return expired.status();
  absl::StatusOr<std::vector<MaterializationTaskRow>> due =
      All<MaterializationTaskRow>(Exec(m.tasks_pending_due, params), ToTask);
  if (!due.ok()) return due.status();
  if (expired->empty()) return due;
  // Both in due order, then the first `limit`. Rows cut here stay locked until this transaction
  // ends (other leasers skip them meanwhile); there are at most `limit` of them.
  std::vector<MaterializationTaskRow> all = *std::move(expired);
  all.insert(all.end(), std::make_move_iterator(due->begin()), std::make_move_iterator(due->end()));
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return std::tie(a.not_before_micros, a.job_id, a.task_index) <
           std::tie(b.not_before_micros, b.job_id, b.task_index);
  });
  if (all.size() > static_cast<size_t>(limit)) all.resize(limit);
  return all;
}

}  // namespace larder::storage
