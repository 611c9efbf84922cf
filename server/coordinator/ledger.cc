#include "server/coordinator/ledger.h"

#include "absl/strings/str_cat.h"
#include "server/registry/access_control.h"
#include "server/registry/feast_errors.h"
#include "server/registry/kinds.h"
#include "server/registry/registry_internal.h"

namespace larder::coordinator {

using storage::MaterializationJobRow;
using storage::MaterializationTaskRow;

v1::JobState JobStateOf(absl::string_view s) {
  if (s == kPending) return v1::JOB_PENDING;
  if (s == kRunning) return v1::JOB_RUNNING;
  if (s == kSucceeded) return v1::JOB_SUCCEEDED;
  if (s == kFailed) return v1::JOB_FAILED;
  if (s == kCancelled) return v1::JOB_CANCELLED;
  return v1::JOB_STATE_UNSPECIFIED;
}

v1::TaskState TaskStateOf(absl::string_view s) {
  if (s == kPending) return v1::TASK_PENDING;
  if (s == kLeased) return v1::TASK_LEASED;
  if (s == kSucceeded) return v1::TASK_SUCCEEDED;
  if (s == kFailed) return v1::TASK_FAILED;
  if (s == kCancelled) return v1::TASK_CANCELLED;
  return v1::TASK_STATE_UNSPECIFIED;
}

absl::string_view StoredJobState(v1::JobState state) {
  switch (state) {
    case v1::JOB_PENDING:
      return kPending;
    case v1::JOB_RUNNING:
      return kRunning;
    case v1::JOB_SUCCEEDED:
      return kSucceeded;
    case v1::JOB_FAILED:
      return kFailed;
    case v1::JOB_CANCELLED:
      return kCancelled;
    default:
      return "";
  }
}

bool TaskFinished(absl::string_view s) {
  return s == kSucceeded || s == kFailed || s == kCancelled;
}
bool JobFinished(absl::string_view s) { return TaskFinished(s); }

namespace {

// Unset for 0 (never happened).
void SetTime(int64_t micros, google::protobuf::Timestamp* out) {
  if (micros != 0) *out = registry::ToProto(absl::FromUnixMicros(micros));
}

}  // namespace

v1::MaterializationTask TaskToProto(const MaterializationTaskRow& r) {
  v1::MaterializationTask t;
  t.set_task_id(r.task_id);
  t.set_job_id(r.job_id);
  t.set_project(r.project);
  t.set_feature_view(r.view_name);
  t.set_view_kind(r.view_kind);
  *t.mutable_start_time() = registry::ToProto(absl::FromUnixMicros(r.start_micros));
  *t.mutable_end_time() = registry::ToProto(absl::FromUnixMicros(r.end_micros));
  t.set_state(TaskStateOf(r.state));
  t.set_attempts(r.attempts);
  t.set_max_attempts(r.max_attempts);
  t.set_worker(r.worker);
  t.set_lease_id(r.lease_id);
  SetTime(r.lease_expires_micros, t.mutable_lease_expires_at());
  SetTime(r.not_before_micros, t.mutable_not_before());
  SetTime(r.leased_at_micros, t.mutable_leased_at());
  SetTime(r.finished_at_micros, t.mutable_finished_at());
  SetTime(r.updated_at_micros, t.mutable_updated_at());
  t.set_last_error(r.last_error);
  return t;
}

v1::MaterializationJob JobToProto(const MaterializationJobRow& r) {
  v1::MaterializationJob j;
  j.ParseFromString(r.proto);  // the description written at planning (and on each update)
  j.set_job_id(r.job_id);
  j.set_project(r.project);
  j.set_state(JobStateOf(r.state));
  SetTime(r.finished_at_micros, j.mutable_finished_at());
  j.mutable_progress()->set_total(r.task_count);
  j.mutable_progress()->set_succeeded(r.succeeded_count);
  return j;
}

void AddProgress(const MaterializationTaskRow& task, v1::JobProgress& p) {
  if (task.state == kPending) p.set_pending(p.pending() + 1);
  if (task.state == kLeased) p.set_leased(p.leased() + 1);
  if (task.state == kFailed) p.set_failed(p.failed() + 1);
  if (task.state == kCancelled) p.set_cancelled(p.cancelled() + 1);
}

absl::StatusOr<v1::MaterializationJob> LoadJob(storage::Transaction& tx,
                                               const storage::MaterializationJobRow& row,
                                               bool include_tasks) {
  v1::MaterializationJob job = JobToProto(row);
  absl::StatusOr<std::vector<storage::MaterializationTaskRow>> tasks =
      tx.ListMaterializationTasks(row.job_id);
  if (!tasks.ok()) return tasks.status();
  for (const auto& task : *tasks) {
    AddProgress(task, *job.mutable_progress());
    if (include_tasks) *job.add_tasks() = TaskToProto(task);
  }
  return job;
}

void LedgerWrite::Log(storage::ObjectKind kind, absl::string_view project, absl::string_view name,
                      storage::ChangeOp op, int64_t version, std::string proto) {
  storage::ChangeRecord change;
  change.project = std::string(project);
  change.kind = kind;
  change.name = std::string(name);
  change.op = op;
  change.object_version = version;
  change.actor = who_.actor;
  change.changed_at_micros = now_micros();
  change.proto = std::move(proto);
  tx_.RecordChange(std::move(change));
}

namespace {

// The job's stored description, brought up to date with its row.
void RefreshJobProto(MaterializationJobRow& job, absl::Time now) {
  v1::MaterializationJob j;
  j.ParseFromString(job.proto);
  j.clear_progress();
  j.clear_tasks();
  j.set_state(JobStateOf(job.state));
  *j.mutable_updated_at() = registry::ToProto(now);
  job.proto = j.SerializeAsString();
}

}  // namespace

absl::Status LedgerWrite::InsertJob(MaterializationJobRow& job) {
  job.version = 1;
  RefreshJobProto(job, now_);
  if (absl::Status s = tx_.InsertMaterializationJob(job); !s.ok()) return s;
  Log(storage::ObjectKind::kMaterializationJob, job.project, job.job_id, storage::ChangeOp::kCreate,
      job.version, JobToProto(job).SerializeAsString());
  return absl::OkStatus();
}

absl::Status LedgerWrite::SaveJob(MaterializationJobRow& job, bool log) {
  if (log) ++job.version;
  RefreshJobProto(job, now_);
  if (absl::Status s = tx_.UpdateMaterializationJob(job); !s.ok()) return s;
  if (!log) return absl::OkStatus();
  Log(storage::ObjectKind::kMaterializationJob, job.project, job.job_id, storage::ChangeOp::kUpdate,
      job.version, JobToProto(job).SerializeAsString());
  return absl::OkStatus();
}

absl::Status LedgerWrite::InsertTask(MaterializationTaskRow& task) {
  task.version = 1;
  task.updated_at_micros = now_micros();
  if (absl::Status s = tx_.InsertMaterializationTask(task); !s.ok()) return s;
  Log(storage::ObjectKind::kMaterializationTask, task.project, task.task_id,
      storage::ChangeOp::kCreate, task.version, TaskToProto(task).SerializeAsString());
  return absl::OkStatus();
}

absl::Status LedgerWrite::SaveTask(MaterializationTaskRow& task, bool log) {
  task.updated_at_micros = now_micros();
  if (log) ++task.version;
  if (absl::Status s = tx_.UpdateMaterializationTask(task); !s.ok()) return s;
  if (log) {
    Log(storage::ObjectKind::kMaterializationTask, task.project, task.task_id,
        storage::ChangeOp::kUpdate, task.version, TaskToProto(task).SerializeAsString());
  }
  return absl::OkStatus();
}

absl::StatusOr<MaterializationJobRow> LedgerWrite::EndJob(absl::string_view job_id,
                                                          absl::string_view state,
                                                          absl::string_view reason) {
  absl::StatusOr<std::vector<MaterializationTaskRow>> tasks =
      tx_.ListMaterializationTasks(job_id, storage::Lock::kForUpdate);
  if (!tasks.ok()) return tasks.status();
  absl::StatusOr<std::optional<MaterializationJobRow>> job =
      tx_.GetMaterializationJob(job_id, storage::Lock::kForUpdate);
  if (!job.ok()) return job.status();
  if (!job->has_value()) return absl::NotFoundError(absl::StrCat("no job '", job_id, "'"));
  for (MaterializationTaskRow& task : *tasks) {
    if (TaskFinished(task.state)) continue;
    task.state = std::string(kCancelled);
    task.finished_at_micros = now_micros();
    if (absl::Status s = SaveTask(task); !s.ok()) return s;
  }
  MaterializationJobRow& row = **job;
  row.state = std::string(state);
  row.finished_at_micros = now_micros();
  v1::MaterializationJob j;
  j.ParseFromString(row.proto);
  j.set_error(std::string(reason));
  row.proto = j.SerializeAsString();
  if (absl::Status s = SaveJob(row); !s.ok()) return s;
  return row;
}

absl::Status LedgerWrite::RequireWriteView(absl::string_view project, absl::string_view view_kind,
                                           absl::string_view view_name) {
  const std::pair<std::string, std::string> key{std::string(view_kind), std::string(view_name)};
  if (auto it = allowed_.find(key); it != allowed_.end()) return it->second;
  std::optional<storage::ObjectKind> kind = storage::KindFromName(view_kind);
  absl::Status status = absl::OkStatus();
  if (!kind.has_value() || !storage::IsFeatureViewKind(*kind)) {
    status = absl::InternalError("materialization task names an unknown view kind");
  } else {
    absl::StatusOr<std::optional<storage::ObjectRow>> row =
        tx_.GetObject(*kind, project, view_name);
    if (!row.ok()) return row.status();  // not remembered: the transaction is failing
    if (!row->has_value()) {
      status = registry::FeatureViewNotFound(view_name, project);
    } else if (who_.access != nullptr) {
      registry::VisitKind(*kind, [&]<typename Message>() {
        absl::StatusOr<Message> view = registry::internal::Decode<Message>(**row);
        status = view.ok() ? who_.access->RequireIn(tx_, project, registry::ResourceOf(*view),
                                                    {feast::core::PermissionSpec::WRITE_ONLINE})
                           : view.status();
      });
    }
  }
  allowed_.emplace(key, status);
  return status;
}

}  // namespace larder::coordinator
