// The worker-facing half of MaterializationCoordinator (leases, heartbeats, completion,
// failure), cancellation and the reads. Planning is in plan.cc.
#include "server/coordinator/materialization_coordinator.h"

#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/coordinator/ledger.h"
#include "server/registry/access_control.h"

namespace larder::coordinator {
namespace {

using storage::Lock;
using storage::MaterializationJobRow;
using storage::MaterializationTaskRow;

constexpr int kMaxLeaseBatch = 100;
// How many leasable tasks one LeaseTasks may pass over (other projects' or jobs', or not the
// caller's) before it answers with what it found; the rest wait for a later call.
constexpr int kMaxPassedOver = 1000;
constexpr absl::Duration kMaxLeaseTtl = absl::Hours(24);

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

std::string Describe(const MaterializationTaskRow& t) {
  return absl::StrCat(t.view_name, " [", absl::FormatTime(absl::FromUnixMicros(t.start_micros)),
                      ", ", absl::FormatTime(absl::FromUnixMicros(t.end_micros)), ")");
}

absl::StatusOr<absl::Duration> LeaseTtl(const google::protobuf::Duration& requested,
                                        absl::Duration fallback) {
  const absl::Duration ttl = FromProto(requested);
  if (ttl < absl::ZeroDuration() || ttl > kMaxLeaseTtl) {
    return absl::InvalidArgumentError("lease_ttl must be between 0 (default) and 24 hours");
  }
  return ttl == absl::ZeroDuration() ? fallback : ttl;
}

// The task, locked, when `lease_id` is its current (or last) lease. FAILED_PRECONDITION when the
// task was leased again to someone else, or never leased.
absl::StatusOr<MaterializationTaskRow> HeldTask(storage::Transaction& tx, absl::string_view task_id,
                                                absl::string_view lease_id) {
  if (task_id.empty() || lease_id.empty()) {
    return absl::InvalidArgumentError("task_id and lease_id are required");
  }
  absl::StatusOr<std::optional<MaterializationTaskRow>> task =
      tx.GetMaterializationTask(task_id, Lock::kForUpdate);
  if (!task.ok()) return task.status();
  if (!task->has_value()) return absl::NotFoundError(absl::StrCat("no task '", task_id, "'"));
  if ((*task)->lease_id != lease_id) {
    return absl::FailedPreconditionError(
        (*task)->lease_id.empty()
            ? absl::StrCat("task ", task_id, " has not been leased")
            : absl::StrCat("lease ", lease_id, " of task ", task_id,
                           " is no longer held: the task was leased again (to '", (*task)->worker,
                           "')"));
  }
  return **task;
}

absl::Status NotLeased(const MaterializationTaskRow& task) {
  return absl::FailedPreconditionError(
      absl::StrCat("task ", task.task_id, " is ", task.state, ", not leased",
                   task.last_error.empty() ? "" : absl::StrCat(" (", task.last_error, ")")));
}

}  // namespace

absl::Duration MaterializationCoordinator::Backoff(int attempts) const {
  absl::Duration wait = options_.retry_backoff_base;
  for (int i = 1; i < attempts && wait < options_.retry_backoff_max; ++i) wait *= 2;
  return std::min(wait, options_.retry_backoff_max);
}

absl::StatusOr<v1::LeaseTasksResponse> MaterializationCoordinator::Lease(
    const registry::WriteOptions& who, const v1::LeaseTasksRequest& q) {
  if (q.worker().empty()) return absl::InvalidArgumentError("LeaseTasks needs a worker name");
  if (q.max_tasks() < 0) return absl::InvalidArgumentError("max_tasks must not be negative");
  const int max_tasks = std::min(q.max_tasks() == 0 ? 1 : q.max_tasks(), kMaxLeaseBatch);
  absl::StatusOr<absl::Duration> ttl = LeaseTtl(q.lease_ttl(), options_.default_lease_ttl);
  if (!ttl.ok()) return ttl.status();
  registry::WriteOptions options = who;
  options.request_id.clear();

  v1::LeaseTasksResponse response;
  absl::Status status = registry_.Write(options, [&](registry::RegistryWrite& w) -> absl::Status {
    response.Clear();
    storage::Transaction& tx = w.transaction();
    LedgerWrite ledger(tx, w.context().now(), options);
    // Candidates come in pages of what is still wanted plus what was passed over: tasks of
    // other projects or jobs, or not the caller's to run, stay leasable and so come back in the
    // next page (skipped by id), while the ones leased or failed here drop out by themselves.
    // A page reads and locks about what it returns, not the whole backlog.
    std::set<std::string> ended_jobs, running_jobs, seen;
    int passed_over = 0;
    while (response.tasks_size() < max_tasks && passed_over < kMaxPassedOver) {
      const int page = max_tasks - response.tasks_size() + passed_over;
      absl::StatusOr<std::vector<MaterializationTaskRow>> candidates =
          tx.LeasableMaterializationTasks(ledger.now_micros(), page);
      if (!candidates.ok()) return candidates.status();
      bool fresh = false;
      for (MaterializationTaskRow& task : *candidates) {
        if (response.tasks_size() >= max_tasks) break;
        if (!seen.insert(task.task_id).second) continue;
        fresh = true;
        if ((!q.project().empty() && task.project != q.project()) ||
            (!q.job_id().empty() && task.job_id != q.job_id()) ||
            ended_jobs.count(task.job_id) > 0) {  // (ended: cancelled by EndJob below)
          ++passed_over;
          continue;
        }
        absl::Status allowed =
            ledger.RequireWriteView(task.project, task.view_kind, task.view_name);
        std::string failure;
        if (absl::IsNotFound(allowed)) {
          failure = absl::StrCat("feature view ", task.view_name, " no longer exists");
        } else if (absl::IsPermissionDenied(allowed)) {
          ++passed_over;  // someone else's to run
          continue;
        } else if (!allowed.ok()) {
          return allowed;
        } else if (task.state == kLeased && task.attempts >= task.max_attempts) {
          failure = absl::StrCat("lease of worker '", task.worker, "' expired on attempt ",
                                 task.attempts, " of ", task.max_attempts);
        }
        if (!failure.empty()) {
          task.state = std::string(kFailed);
          task.last_error = failure;
          task.finished_at_micros = ledger.now_micros();
          if (absl::Status s = ledger.SaveTask(task); !s.ok()) return s;
          absl::StatusOr<MaterializationJobRow> ended = ledger.EndJob(
              task.job_id, kFailed,
              absl::StrCat("task ", task.task_id, " (", Describe(task), ") failed: ", failure));
          if (!ended.ok()) return ended.status();
          ended_jobs.insert(task.job_id);
          continue;
        }
        if (task.state == kLeased) {
          task.last_error = absl::StrCat("lease of worker '", task.worker, "' expired");
        }
        task.state = std::string(kLeased);
        task.attempts += 1;
        task.worker = q.worker();
        task.lease_id = registry::NewUuid4();
        task.leased_at_micros = ledger.now_micros();
        task.lease_expires_micros = absl::ToUnixMicros(ledger.now() + *ttl);
        if (absl::Status s = ledger.SaveTask(task); !s.ok()) return s;
        if (running_jobs.insert(task.job_id).second) {
          absl::StatusOr<std::optional<MaterializationJobRow>> job =
              tx.GetMaterializationJob(task.job_id);
          if (!job.ok()) return job.status();
          if (job->has_value() && (*job)->state == kPending) {
            // Locked only for this one transition, after the task (the lock order).
            job = tx.GetMaterializationJob(task.job_id, Lock::kForUpdate);
            if (!job.ok()) return job.status();
            if (job->has_value() && (*job)->state == kPending) {
              (*job)->state = std::string(kRunning);
              if (absl::Status s = ledger.SaveJob(**job); !s.ok()) return s;
            }
          }
        }
        *response.add_tasks() = TaskToProto(task);
      }
      // A short page means the database has no more; a page of seen tasks, that this lease
      // passed over everything it could reach.
      if (!fresh || static_cast<int>(candidates->size()) < page) break;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::HeartbeatResponse> MaterializationCoordinator::Heartbeat(
    const registry::WriteOptions& who, const v1::HeartbeatRequest& q) {
  absl::StatusOr<absl::Duration> ttl = LeaseTtl(q.lease_ttl(), options_.default_lease_ttl);
  if (!ttl.ok()) return ttl.status();
  const absl::Time now = clock_.Now();
  v1::HeartbeatResponse response;
  // Extends a lease only: no transition, no change-log entry.
  absl::Status status =
      store_.Run(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> absl::Status {
        LedgerWrite ledger(tx, now, who);
        absl::StatusOr<MaterializationTaskRow> task = HeldTask(tx, q.task_id(), q.lease_id());
        if (!task.ok()) return task.status();
        if (task->state != kLeased) return NotLeased(*task);
        if (absl::Status s =
                ledger.RequireWriteView(task->project, task->view_kind, task->view_name);
            !s.ok()) {
          return s;
        }
        // Still the holder even past expiry, as long as nobody leased it since.
        task->lease_expires_micros = absl::ToUnixMicros(now + *ttl);
        *response.mutable_lease_expires_at() = registry::ToProto(now + *ttl);
        return ledger.SaveTask(*task, /*log=*/false);
      });
  if (!status.ok()) return status;
  return response;
}

namespace {

// A completion's checks, with its task locked: whether to record it now (false: the retry of a
// completion that committed, answered in `response`), or why not.
absl::StatusOr<bool> CheckCompletion(storage::Transaction& tx, LedgerWrite& ledger,
                                     const MaterializationTaskRow& task,
                                     v1::CompleteTaskResponse& response) {
  if (task.state == kSucceeded) {
    // A retry of a completion that committed (its reply was lost): recorded once already.
    absl::StatusOr<std::optional<MaterializationJobRow>> job =
        tx.GetMaterializationJob(task.job_id);
    if (!job.ok()) return job.status();
    response.set_already_completed(true);
    if (job->has_value()) response.set_job_state(JobStateOf((*job)->state));
    return false;
  }
  if (task.state != kLeased) return NotLeased(task);
  if (absl::Status s = ledger.RequireWriteView(task.project, task.view_kind, task.view_name);
      !s.ok()) {
    return s;
  }
  return true;
}

// Closes the task, its range recorded, and counts it on its job (locked last).
absl::Status FinishCompletion(storage::Transaction& tx, LedgerWrite& ledger,
                              MaterializationTaskRow& task, v1::CompleteTaskResponse& response) {
  task.state = std::string(kSucceeded);
  task.finished_at_micros = ledger.now_micros();
  task.lease_expires_micros = 0;
  if (absl::Status s = ledger.SaveTask(task); !s.ok()) return s;
  absl::StatusOr<std::optional<MaterializationJobRow>> job =
      tx.GetMaterializationJob(task.job_id, Lock::kForUpdate);
  if (!job.ok()) return job.status();
  if (!job->has_value()) return absl::InternalError("materialization task without its job");
  MaterializationJobRow& row = **job;
  row.succeeded_count += 1;
  const bool done = row.succeeded_count == row.task_count && !JobFinished(row.state);
  if (done) {
    row.state = std::string(kSucceeded);
    row.finished_at_micros = ledger.now_micros();
  }
  if (absl::Status s = ledger.SaveJob(row, /*log=*/done); !s.ok()) return s;
  response.set_job_state(JobStateOf(row.state));
  return absl::OkStatus();
}

bool IsFeatureView(const MaterializationTaskRow& task) {
  return task.view_kind == storage::TableOf(storage::ObjectKind::kFeatureView).kind_name;
}

}  // namespace

absl::StatusOr<v1::CompleteTaskResponse> MaterializationCoordinator::Complete(
    const registry::WriteOptions& who, const v1::CompleteTaskRequest& q) {
  registry::WriteOptions options = who;
  options.request_id.clear();
  v1::CompleteTaskResponse response;

  // A plain feature view's completion joins the others of its view (the task's view and range
  // never change, so an unlocked read says which group); the group's transaction locks the task
  // and checks the lease again.
  std::optional<MaterializationTaskRow> peeked;
  if (!q.task_id().empty() && !q.lease_id().empty()) {
    absl::Status read =
        store_.Run(storage::TxMode::kReadOnly, [&](storage::Transaction& tx) -> absl::Status {
          absl::StatusOr<std::optional<MaterializationTaskRow>> task =
              tx.GetMaterializationTask(q.task_id());
          if (!task.ok()) return task.status();
          peeked = *std::move(task);
          return absl::OkStatus();
        });
    if (!read.ok()) return read;
  }
  if (peeked.has_value() && IsFeatureView(*peeked)) {
    MaterializationTaskRow task;
    registry::AppendHooks hooks;
    hooks.check = [&](registry::RegistryWrite& w) -> absl::StatusOr<bool> {
      response.Clear();
      LedgerWrite ledger(w.transaction(), w.context().now(), options);
      absl::StatusOr<MaterializationTaskRow> held =
          HeldTask(w.transaction(), q.task_id(), q.lease_id());
      if (!held.ok()) return held.status();
      task = *std::move(held);
      return CheckCompletion(w.transaction(), ledger, task, response);
    };
    hooks.then = [&](registry::RegistryWrite& w) -> absl::Status {
      LedgerWrite ledger(w.transaction(), w.context().now(), options);
      return FinishCompletion(w.transaction(), ledger, task, response);
    };
    absl::Status status = appends_.Append(
        peeked->project, peeked->view_name,
        registry::ToProto(absl::FromUnixMicros(peeked->start_micros)),
        registry::ToProto(absl::FromUnixMicros(peeked->end_micros)), options, &hooks);
    if (!status.ok()) return status;
    return response;
  }

  // Other kinds record no interval; a task that is not there gets HeldTask's answer.
  absl::Status status = registry_.Write(options, [&](registry::RegistryWrite& w) -> absl::Status {
    response.Clear();
    storage::Transaction& tx = w.transaction();
    LedgerWrite ledger(tx, w.context().now(), options);
    absl::StatusOr<MaterializationTaskRow> task = HeldTask(tx, q.task_id(), q.lease_id());
    if (!task.ok()) return task.status();
    absl::StatusOr<bool> record = CheckCompletion(tx, ledger, *task, response);
    if (!record.ok() || !*record) return record.status();
    if (IsFeatureView(*task)) {
      // Only when the task appeared between the read above and this transaction.
      absl::Status recorded =
          w.ApplyMaterialization(task->project, task->view_name,
                                 registry::ToProto(absl::FromUnixMicros(task->start_micros)),
                                 registry::ToProto(absl::FromUnixMicros(task->end_micros)))
              .status();
      if (!recorded.ok()) return recorded;
    }
    return FinishCompletion(tx, ledger, *task, response);
  });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::FailTaskResponse> MaterializationCoordinator::Fail(
    const registry::WriteOptions& who, const v1::FailTaskRequest& q) {
  registry::WriteOptions options = who;
  options.request_id.clear();
  const std::string reason = q.reason().empty() ? "no reason given" : q.reason();
  v1::FailTaskResponse response;
  absl::Status status = registry_.Write(options, [&](registry::RegistryWrite& w) -> absl::Status {
    response.Clear();
    storage::Transaction& tx = w.transaction();
    LedgerWrite ledger(tx, w.context().now(), options);
    absl::StatusOr<MaterializationTaskRow> task = HeldTask(tx, q.task_id(), q.lease_id());
    if (!task.ok()) return task.status();
    if (task->state != kLeased) {
      // A retried FailTask whose first call committed answers what it decided.
      if ((task->state == kPending || task->state == kFailed) && task->last_error == reason) {
        response.set_task_state(TaskStateOf(task->state));
        if (task->state == kPending) {
          *response.mutable_retry_at() =
              registry::ToProto(absl::FromUnixMicros(task->not_before_micros));
        }
        absl::StatusOr<std::optional<MaterializationJobRow>> job =
            tx.GetMaterializationJob(task->job_id);
        if (!job.ok()) return job.status();
        if (job->has_value()) response.set_job_state(JobStateOf((*job)->state));
        return absl::OkStatus();
      }
      return NotLeased(*task);
    }
    if (absl::Status s = ledger.RequireWriteView(task->project, task->view_kind, task->view_name);
        !s.ok() && !absl::IsNotFound(s)) {
      return s;
    }
    task->last_error = reason;
    task->lease_expires_micros = 0;
    if (q.retryable() && task->attempts < task->max_attempts) {
      task->state = std::string(kPending);
      task->not_before_micros = absl::ToUnixMicros(ledger.now() + Backoff(task->attempts));
      if (absl::Status s = ledger.SaveTask(*task); !s.ok()) return s;
      response.set_task_state(v1::TASK_PENDING);
      *response.mutable_retry_at() =
          registry::ToProto(absl::FromUnixMicros(task->not_before_micros));
      absl::StatusOr<std::optional<MaterializationJobRow>> job =
          tx.GetMaterializationJob(task->job_id);
      if (!job.ok()) return job.status();
      if (job->has_value()) response.set_job_state(JobStateOf((*job)->state));
      return absl::OkStatus();
    }
    task->state = std::string(kFailed);
    task->finished_at_micros = ledger.now_micros();
    if (absl::Status s = ledger.SaveTask(*task); !s.ok()) return s;
    absl::StatusOr<MaterializationJobRow> job =
        ledger.EndJob(task->job_id, kFailed,
                      absl::StrCat("task ", task->task_id, " (", Describe(*task), ") failed after ",
                                   task->attempts, " attempt(s): ", reason));
    if (!job.ok()) return job.status();
    response.set_task_state(v1::TASK_FAILED);
    response.set_job_state(JobStateOf(job->state));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::CancelJobResponse> MaterializationCoordinator::Cancel(
    const registry::WriteOptions& who, const v1::CancelJobRequest& q) {
  if (q.job_id().empty()) return absl::InvalidArgumentError("CancelJob needs a job_id");
  registry::WriteOptions options = who;
  options.request_id.clear();
  v1::CancelJobResponse response;
  absl::Status status = registry_.Write(options, [&](registry::RegistryWrite& w) -> absl::Status {
    response.Clear();
    storage::Transaction& tx = w.transaction();
    LedgerWrite ledger(tx, w.context().now(), options);
    absl::StatusOr<std::optional<MaterializationJobRow>> job = tx.GetMaterializationJob(q.job_id());
    if (!job.ok()) return job.status();
    if (!job->has_value()) return absl::NotFoundError(absl::StrCat("no job '", q.job_id(), "'"));
    if ((*job)->state == kSucceeded || (*job)->state == kFailed) {
      return absl::FailedPreconditionError(absl::StrCat(
          "job ", q.job_id(), " has already ", (*job)->state == kFailed ? "failed" : "succeeded"));
    }
    if ((*job)->state != kCancelled) {
      absl::StatusOr<std::vector<MaterializationTaskRow>> tasks =
          tx.ListMaterializationTasks(q.job_id());
      if (!tasks.ok()) return tasks.status();
      for (const MaterializationTaskRow& task : *tasks) {
        absl::Status allowed =
            ledger.RequireWriteView(task.project, task.view_kind, task.view_name);
        if (!allowed.ok() && !absl::IsNotFound(allowed)) return allowed;
      }
      absl::StatusOr<MaterializationJobRow> ended = ledger.EndJob(
          q.job_id(), kCancelled,
          q.reason().empty() ? absl::StrCat("cancelled by '", options.actor, "'") : q.reason());
      if (!ended.ok()) return ended.status();
      **job = *std::move(ended);
    }
    absl::StatusOr<v1::MaterializationJob> out = LoadJob(tx, **job, false);
    if (!out.ok()) return out.status();
    *response.mutable_job() = *std::move(out);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<v1::GetJobResponse> MaterializationCoordinator::GetJob(
    const registry::Access& access, const v1::GetJobRequest& q) {
  if (q.job_id().empty()) return absl::InvalidArgumentError("GetJob needs a job_id");
  v1::GetJobResponse response;
  absl::Status status =
      store_.Run(storage::TxMode::kReadOnly, [&](storage::Transaction& tx) -> absl::Status {
        response.Clear();
        absl::StatusOr<std::optional<MaterializationJobRow>> job =
            tx.GetMaterializationJob(q.job_id());
        if (!job.ok()) return job.status();
        if (!job->has_value()) {
          return absl::NotFoundError(absl::StrCat("no job '", q.job_id(), "'"));
        }
        absl::StatusOr<v1::MaterializationJob> out = LoadJob(tx, **job, q.include_tasks());
        if (!out.ok()) return out.status();
        *response.mutable_job() = *std::move(out);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  if (absl::Status s = access.RequireDescribeProject(response.job().project(), false); !s.ok()) {
    return s;
  }
  return response;
}

absl::StatusOr<v1::ListJobsResponse> MaterializationCoordinator::ListJobs(
    const registry::Access& access, const v1::ListJobsRequest& q) {
  if (q.limit() < 0) return absl::InvalidArgumentError("limit must not be negative");
  const int limit = std::min(q.limit() == 0 ? 100 : q.limit(), 1000);
  std::set<int> states(q.states().begin(), q.states().end());
  if (!q.project().empty()) {
    if (absl::Status s = access.RequireDescribeProject(q.project(), false); !s.ok()) return s;
  }
  std::vector<MaterializationJobRow> rows;
  v1::ListJobsResponse response;
  absl::Status status =
      store_.Run(storage::TxMode::kReadOnly, [&](storage::Transaction& tx) -> absl::Status {
        response.Clear();
        // State filters are applied here, so read ahead of the limit when there are some.
        absl::StatusOr<std::vector<MaterializationJobRow>> listed =
            tx.ListMaterializationJobs(q.project(), states.empty() ? limit : 10 * limit);
        if (!listed.ok()) return listed.status();
        for (const MaterializationJobRow& row : *listed) {
          if (response.jobs_size() >= limit) break;
          if (!states.empty() && states.count(static_cast<int>(JobStateOf(row.state))) == 0)
            continue;
          absl::StatusOr<v1::MaterializationJob> job = LoadJob(tx, row, false);
          if (!job.ok()) return job.status();
          *response.add_jobs() = *std::move(job);
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  if (q.project().empty() && access.user() != nullptr) {
    // Across projects: only jobs of projects the caller may describe.
    std::map<std::string, bool> visible;
    v1::ListJobsResponse kept;
    for (v1::MaterializationJob& job : *response.mutable_jobs()) {
      auto [it, fresh] = visible.try_emplace(job.project(), false);
      if (fresh) it->second = access.RequireDescribeProject(job.project(), false).ok();
      if (it->second) *kept.add_jobs() = std::move(job);
    }
    return kept;
  }
  return response;
}

}  // namespace larder::coordinator
