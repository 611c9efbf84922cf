#pragma once

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "larder/v1/materialization.pb.h"
#include "server/registry/clock.h"
#include "server/registry/coalesced_appends.h"
#include "server/registry/registry.h"
#include "storage/store.h"

namespace larder::coordinator {

// Tunables of the coordinator, fixed at start-up.
struct CoordinatorOptions {
  int default_max_attempts = 3;
  // A failed attempt is retried after base * 2^(attempt-1), at most `retry_backoff_max`.
  absl::Duration retry_backoff_base = absl::Seconds(10);
  absl::Duration retry_backoff_max = absl::Minutes(5);
  absl::Duration default_lease_ttl = absl::Seconds(60);
};

// Plans materialization jobs, leases their tasks to workers and records completed ranges: the
// larder.v1.Materialization operations, without transport. Every operation is one database
// transaction through Registry::Write (so completion appends the interval with the view's own
// write path, in the transaction that closes the task) or a read-only Store::Run. Completions of
// tasks of one feature view that arrive together share one transaction (CoalescedAppends): one
// rewrite of the view for all of them, each task closed in it. Rows are locked in one order
// everywhere (tasks, then the view, then the job) so concurrent calls do not deadlock each other.
// Job and task transitions go to the change log (kinds materialization_job / materialization_task).
// Time comes from `clock`.
//
// `who` carries the caller's permissions (nullptr access: auth off) and actor; its request_id
// is ignored (plans carry their own). Permission checks: WRITE_ONLINE on the view for planning,
// leasing (views the caller may not write are not offered), heartbeats, completion, failure and
// cancellation; DESCRIBE on the project for reads.
//
// Errors: INVALID_ARGUMENT for malformed requests; NOT_FOUND for unknown jobs/tasks (Feast's
// FeatureViewNotFoundException for views); FAILED_PRECONDITION when the caller does not hold the
// task's lease or the task/job is no longer in a state that allows the call; PERMISSION_DENIED;
// the store's UNAVAILABLE/ABORTED/INTERNAL. Thread-safe.
class MaterializationCoordinator {
 public:
  // `registry`, `store` and `clock` are not owned and must outlive the coordinator.
  MaterializationCoordinator(registry::Registry& registry, storage::Store& store,
                             registry::Clock& clock, CoordinatorOptions options = {})
      : registry_(registry), store_(store), clock_(clock), options_(options), appends_(registry) {}
  MaterializationCoordinator(const MaterializationCoordinator&) = delete;
  MaterializationCoordinator& operator=(const MaterializationCoordinator&) = delete;

  // `request_id` is the plan's idempotency key (the request's own, else the call's).
  absl::StatusOr<v1::PlanMaterializationResponse> Plan(const registry::WriteOptions& who,
                                                       const v1::PlanMaterializationRequest& q,
                                                       absl::string_view call_request_id);
  absl::StatusOr<v1::LeaseTasksResponse> Lease(const registry::WriteOptions& who,
                                               const v1::LeaseTasksRequest& q);
  absl::StatusOr<v1::HeartbeatResponse> Heartbeat(const registry::WriteOptions& who,
                                                  const v1::HeartbeatRequest& q);
  absl::StatusOr<v1::CompleteTaskResponse> Complete(const registry::WriteOptions& who,
                                                    const v1::CompleteTaskRequest& q);
  absl::StatusOr<v1::FailTaskResponse> Fail(const registry::WriteOptions& who,
                                            const v1::FailTaskRequest& q);
  absl::StatusOr<v1::CancelJobResponse> Cancel(const registry::WriteOptions& who,
                                               const v1::CancelJobRequest& q);
  absl::StatusOr<v1::GetJobResponse> GetJob(const registry::Access& access,
                                            const v1::GetJobRequest& q);
  absl::StatusOr<v1::ListJobsResponse> ListJobs(const registry::Access& access,
                                                const v1::ListJobsRequest& q);

 private:
  absl::Duration Backoff(int attempts) const;

  registry::Registry& registry_;
  storage::Store& store_;
  registry::Clock& clock_;
  const CoordinatorOptions options_;
  // Completions of tasks of one feature view, merged into shared transactions.
  registry::CoalescedAppends appends_;
};

}  // namespace larder::coordinator
