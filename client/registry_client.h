#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/client_options.h"
#include "feast/registry/RegistryServer.grpc.pb.h"
#include "larder/v1/materialization.grpc.pb.h"
#include "larder/v1/registry.grpc.pb.h"

namespace larder::client {

// Whether a call may be repeated after an outcome that leaves it unknown whether it took
// effect (UNAVAILABLE: the request may have committed before the connection dropped).
// ABORTED always means "nothing was committed", so it is retried for every call.
enum class Idempotency { kIdempotent, kNotIdempotent };

// A thin client of feast.registry.RegistryServer for materialization workers and tools: per-call
// deadlines, bounded jittered retries (ABORTED always; UNAVAILABLE and DEADLINE_EXCEEDED only for
// idempotent calls), failover across replicas, bearer tokens, TLS, and Feast's JSON error
// details turned back into absl::Status values carrying the Feast exception class
// (common/feast_error.h: FeastClassOf).
//
// Thread-safe: share one client between threads.
class RegistryClient {
 public:
  // INVALID_ARGUMENT when no address is given or the TLS options do not resolve
  // (ResolveTlsFiles: a file that cannot be read, a certificate without its key).
  static absl::StatusOr<std::unique_ptr<RegistryClient>> Create(ClientOptions options);

  // Calls `method` (a member of feast.registry.RegistryServer's or larder.v1.Registry's Stub)
  // with retries per `idempotency`.
  template <typename Stub, typename Request, typename Response>
  absl::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response, Idempotency idempotency);

  // Conveniences for the calls workers make most.
  absl::StatusOr<feast::core::FeatureView> GetFeatureView(const std::string& project,
                                                          const std::string& name,
                                                          bool allow_cache = false);
  absl::StatusOr<feast::core::Entity> GetEntity(const std::string& project, const std::string& name,
                                                bool allow_cache = false);
  absl::Status ApplyEntity(const std::string& project, const feast::core::Entity& entity);
  absl::Status ApplyFeatureView(const std::string& project, const feast::core::FeatureView& view);
  absl::Status DeleteFeatureView(const std::string& project, const std::string& name);
  // Appends an interval each time it takes effect: retried after UNAVAILABLE only when the
  // server deduplicates requests (see ClientOptions); otherwise only after ABORTED, and an
  // UNAVAILABLE result means the interval may or may not have been recorded.
  absl::Status ApplyMaterialization(const std::string& project,
                                    const feast::core::FeatureView& view,
                                    const google::protobuf::Timestamp& start,
                                    const google::protobuf::Timestamp& end);

  // larder.v1 (docs/larder-v1.md). ApplyBatch is retried after UNAVAILABLE only when the server
  // deduplicates requests (a retry of a committed batch then answers already_applied). A
  // version conflict is FAILED_PRECONDITION; VersionConflictsOf lists the conflicting objects.
  absl::StatusOr<larder::v1::ApplyBatchResponse> ApplyBatch(
      const larder::v1::ApplyBatchRequest& request);
  absl::StatusOr<larder::v1::ListChangesResponse> ListChanges(
      const larder::v1::ListChangesRequest& request);
  absl::StatusOr<larder::v1::GetObjectHistoryResponse> GetObjectHistory(const std::string& project,
                                                                        const std::string& kind,
                                                                        const std::string& name);
  absl::StatusOr<larder::v1::GetServerInfoResponse> GetServerInfo();
  // The registry (or one project: `project` non-empty) as it was after `revision` committed.
  absl::StatusOr<feast::core::Registry> GetRegistryAt(int64_t revision, const std::string& project);
  absl::StatusOr<larder::v1::DiffRevisionsResponse> DiffRevisions(
      const larder::v1::DiffRevisionsRequest& request);
  // Feast's Proto(): the whole current registry, every project.
  absl::StatusOr<feast::core::Registry> Proto();

  // Follows the change log from `request.after_revision()` (larder.v1 WatchChanges) and calls
  // `on_change` for every change, in revision order, exactly once: after a disconnect, a server
  // restart or a failover to another replica it reopens the stream from the last revision it
  // delivered (heartbeats move that point too), with the client's backoff between attempts.
  // Returns when `on_change` returns false (OK), when `stop` (if given) returns true, or with the
  // error of a stream that cannot be resumed (e.g. PERMISSION_DENIED, INVALID_ARGUMENT).
  absl::Status Watch(larder::v1::WatchChangesRequest request,
                     const std::function<bool(const larder::v1::Change&)>& on_change,
                     const std::function<bool()>& stop = nullptr);

  // larder.v1.Materialization (docs/materialization.md): plan a job, then any number of workers
  // lease its tasks, heartbeat while they work and complete or fail each one; Larder records
  // each completed range in the view's materialization_intervals exactly once.
  // PlanMaterialization is idempotent under its request id (the request's, else this call's
  // x-larder-request-id), so it is retried after UNAVAILABLE when the server deduplicates.
  absl::StatusOr<larder::v1::PlanMaterializationResponse> PlanMaterialization(
      const larder::v1::PlanMaterializationRequest& request);
  // Not retried after UNAVAILABLE: a lease lost with its reply simply expires and is re-offered.
  absl::StatusOr<larder::v1::LeaseTasksResponse> LeaseTasks(const std::string& worker,
                                                            int max_tasks, absl::Duration lease_ttl,
                                                            const std::string& job_id = "");
  // FAILED_PRECONDITION when the lease is no longer this worker's (stop working on the task).
  absl::StatusOr<larder::v1::HeartbeatResponse> Heartbeat(
      const larder::v1::MaterializationTask& task, absl::Duration lease_ttl);
  // Retried freely: a repeated completion by the same lease records nothing new
  // (already_completed). FAILED_PRECONDITION when the task was leased again to another worker
  // (its range is then recorded by that worker, not this one).
  absl::StatusOr<larder::v1::CompleteTaskResponse> CompleteTask(
      const larder::v1::MaterializationTask& task);
  absl::StatusOr<larder::v1::FailTaskResponse> FailTask(const larder::v1::MaterializationTask& task,
                                                        const std::string& reason, bool retryable);
  absl::StatusOr<larder::v1::MaterializationJob> GetJob(const std::string& job_id,
                                                        bool include_tasks = false);
  absl::StatusOr<larder::v1::ListJobsResponse> ListJobs(const larder::v1::ListJobsRequest& request);
  absl::StatusOr<larder::v1::MaterializationJob> CancelJob(const std::string& job_id,
                                                           const std::string& reason = "");

  // The address calls currently go to.
  std::string current_address() const;

 private:
  explicit RegistryClient(ClientOptions options);
  // The current replica's index, and its stub of each service.
  size_t CurrentIndex() const;
  feast::registry::RegistryServer::Stub* StubAt(
      size_t index, const feast::registry::RegistryServer::Stub*) const {
    return stubs_[index].get();
  }
  larder::v1::Registry::Stub* StubAt(size_t index, const larder::v1::Registry::Stub*) const {
    return v1_stubs_[index].get();
  }
  larder::v1::Materialization::Stub* StubAt(size_t index,
                                            const larder::v1::Materialization::Stub*) const {
    return materialization_stubs_[index].get();
  }
  // Moves to the next replica after `failed_index` failed (no-op if already moved).
  void FailOver(size_t failed_index);
  void PrepareContext(grpc::ClientContext& context, const std::string& request_id) const;
  absl::Duration Backoff(int attempt) const;

  const ClientOptions options_;
  std::vector<std::unique_ptr<feast::registry::RegistryServer::Stub>> stubs_;
  std::vector<std::unique_ptr<larder::v1::Registry::Stub>> v1_stubs_;
  std::vector<std::unique_ptr<larder::v1::Materialization::Stub>> materialization_stubs_;
  mutable absl::Mutex mu_;
  size_t current_ ABSL_GUARDED_BY(mu_) = 0;
};

// The absl::Status for a gRPC status: same code; Feast JSON details become the message plus the
// Feast exception class payload; typed details (google.rpc.Status) become payloads keyed by
// their type URL.
absl::Status FromGrpcStatus(const grpc::Status& status);

// The conflicting objects of a FAILED_PRECONDITION answer to ApplyBatch, or nullopt.
std::optional<larder::v1::VersionConflicts> VersionConflictsOf(const absl::Status& status);
// The expected and actual revisions of a FAILED_PRECONDITION answer to a batch sent with
// expected_revision, or nullopt.
std::optional<larder::v1::RevisionConflict> RevisionConflictOf(const absl::Status& status);

// A random id for one logical request (128 bits, hex).
std::string NewRequestId();

// Whether a call that ended with `status` should be tried again.
bool ShouldRetry(const absl::Status& status, Idempotency idempotency);

template <typename Stub, typename Request, typename Response>
absl::Status RegistryClient::Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                               Response*),
                                  const Request& request, Response* response,
                                  Idempotency idempotency) {
  absl::Status status;
  const std::string request_id = NewRequestId();  // one id for every attempt of this call
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (attempt > 0) absl::SleepFor(Backoff(attempt));
    const size_t index = CurrentIndex();
    Stub* stub = StubAt(index, static_cast<const Stub*>(nullptr));
    grpc::ClientContext context;
    PrepareContext(context, request_id);
    status = FromGrpcStatus((stub->*method)(&context, request, response));
    if (status.ok() || !ShouldRetry(status, idempotency)) return status;
    if (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status)) FailOver(index);
  }
  return status;
}

}  // namespace larder::client
