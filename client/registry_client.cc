#include "client/registry_client.h"

#include <algorithm>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/backoff.h"
#include "common/feast_error.h"
#include "common/metadata_keys.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace larder::client {

using feast::registry::RegistryServer;

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  if (std::optional<FeastErrorDetails> details = ParseFeastErrorDetails(status.error_message())) {
    return FeastError(code, details->feast_class, details->message);
  }
  absl::Status out(code, status.error_message());
  google::rpc::Status rich;
  if (!status.error_details().empty() && rich.ParseFromString(status.error_details())) {
    for (const google::protobuf::Any& detail : rich.details()) {
      out.SetPayload(detail.type_url(), absl::Cord(detail.value()));
    }
  }
  return out;
}

std::optional<larder::v1::VersionConflicts> VersionConflictsOf(const absl::Status& status) {
  if (!absl::IsFailedPrecondition(status)) return std::nullopt;
  absl::optional<absl::Cord> payload =
      status.GetPayload("type.googleapis.com/larder.v1.VersionConflicts");
  larder::v1::VersionConflicts conflicts;
  if (!payload.has_value() || !conflicts.ParseFromString(std::string(*payload))) {
    return std::nullopt;
  }
  return conflicts;
}

std::optional<larder::v1::RevisionConflict> RevisionConflictOf(const absl::Status& status) {
  if (!absl::IsFailedPrecondition(status)) return std::nullopt;
  absl::optional<absl::Cord> payload =
      status.GetPayload("type.googleapis.com/larder.v1.RevisionConflict");
  larder::v1::RevisionConflict conflict;
  if (!payload.has_value() || !conflict.ParseFromString(std::string(*payload))) {
    return std::nullopt;
  }
  return conflict;
}

std::string NewRequestId() {
  absl::BitGen gen;
  return absl::StrCat(absl::Hex(absl::Uniform<uint64_t>(gen), absl::kZeroPad16),
                      absl::Hex(absl::Uniform<uint64_t>(gen), absl::kZeroPad16));
}

bool ShouldRetry(const absl::Status& status, Idempotency idempotency) {
  if (absl::IsAborted(status)) return true;  // the server committed nothing
  if (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status)) {
    return idempotency == Idempotency::kIdempotent;
  }
  return false;
}

absl::StatusOr<std::unique_ptr<RegistryClient>> RegistryClient::Create(ClientOptions options) {
  if (options.addresses.empty()) {
    return absl::InvalidArgumentError("RegistryClient needs at least one address");
  }
  if (options.max_attempts < 1) options.max_attempts = 1;
  if (absl::Status tls = ResolveTlsFiles(options); !tls.ok()) return tls;
  return std::unique_ptr<RegistryClient>(new RegistryClient(std::move(options)));
}

RegistryClient::RegistryClient(ClientOptions options) : options_(std::move(options)) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options_.tls) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options_.ca_pem;
    ssl.pem_cert_chain = options_.cert_pem;
    ssl.pem_private_key = options_.key_pem;
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments arguments;
  if (!options_.server_name.empty()) {
    arguments.SetString(GRPC_SSL_TARGET_NAME_OVERRIDE_ARG, options_.server_name);
  }
  // Unbounded message sizes on the client: Proto() of a large registry can be big.
  arguments.SetMaxReceiveMessageSize(-1);
  for (const std::string& address : options_.addresses) {
    std::shared_ptr<grpc::Channel> channel =
        grpc::CreateCustomChannel(address, credentials, arguments);
    stubs_.push_back(RegistryServer::NewStub(channel));
    v1_stubs_.push_back(larder::v1::Registry::NewStub(channel));
    materialization_stubs_.push_back(larder::v1::Materialization::NewStub(channel));
  }
}

size_t RegistryClient::CurrentIndex() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

void RegistryClient::FailOver(size_t failed_index) {
  absl::MutexLock lock(&mu_);
  if (current_ == failed_index) current_ = (current_ + 1) % stubs_.size();
}

std::string RegistryClient::current_address() const {
  absl::MutexLock lock(&mu_);
  return options_.addresses[current_];
}

void RegistryClient::PrepareContext(grpc::ClientContext& context,
                                    const std::string& request_id) const {
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
  if (options_.server_deduplicates_requests) context.AddMetadata(common::kRequestIdKey, request_id);
  if (options_.token_provider) {
    const std::string token = options_.token_provider();
    if (!token.empty())
      context.AddMetadata(common::kAuthorizationKey, absl::StrCat("Bearer ", token));
  }
}

absl::Duration RegistryClient::Backoff(int attempt) const {
  return common::JitteredBackoff(attempt, options_.initial_backoff, options_.max_backoff);
}

absl::StatusOr<feast::core::FeatureView> RegistryClient::GetFeatureView(const std::string& project,
                                                                        const std::string& name,
                                                                        bool allow_cache) {
  feast::registry::GetFeatureViewRequest request;
  request.set_project(project);
  request.set_name(name);
  request.set_allow_cache(allow_cache);
  feast::core::FeatureView view;
  absl::Status status =
      Call(&RegistryServer::Stub::GetFeatureView, request, &view, Idempotency::kIdempotent);
  if (!status.ok()) return status;
  return view;
}

absl::StatusOr<feast::core::Entity> RegistryClient::GetEntity(const std::string& project,
                                                              const std::string& name,
                                                              bool allow_cache) {
  feast::registry::GetEntityRequest request;
  request.set_project(project);
  request.set_name(name);
  request.set_allow_cache(allow_cache);
  feast::core::Entity entity;
  absl::Status status =
      Call(&RegistryServer::Stub::GetEntity, request, &entity, Idempotency::kIdempotent);
  if (!status.ok()) return status;
  return entity;
}

absl::Status RegistryClient::ApplyEntity(const std::string& project,
                                         const feast::core::Entity& entity) {
  feast::registry::ApplyEntityRequest request;
  request.set_project(project);
  *request.mutable_entity() = entity;
  request.set_commit(true);
  google::protobuf::Empty empty;
  // Applying the same definition twice leaves the registry as applying it once.
  return Call(&RegistryServer::Stub::ApplyEntity, request, &empty, Idempotency::kIdempotent);
}

absl::Status RegistryClient::ApplyFeatureView(const std::string& project,
                                              const feast::core::FeatureView& view) {
  feast::registry::ApplyFeatureViewRequest request;
  request.set_project(project);
  *request.mutable_feature_view() = view;
  request.set_commit(true);
  google::protobuf::Empty empty;
  return Call(&RegistryServer::Stub::ApplyFeatureView, request, &empty, Idempotency::kIdempotent);
}

absl::Status RegistryClient::DeleteFeatureView(const std::string& project,
                                               const std::string& name) {
  feast::registry::DeleteFeatureViewRequest request;
  request.set_project(project);
  request.set_name(name);
  request.set_commit(true);
  google::protobuf::Empty empty;
  // A retried delete that already happened answers NOT_FOUND, which callers can treat as done.
  return Call(&RegistryServer::Stub::DeleteFeatureView, request, &empty, Idempotency::kIdempotent);
}

absl::Status RegistryClient::ApplyMaterialization(const std::string& project,
                                                  const feast::core::FeatureView& view,
                                                  const google::protobuf::Timestamp& start,
                                                  const google::protobuf::Timestamp& end) {
  feast::registry::ApplyMaterializationRequest request;
  request.set_project(project);
  *request.mutable_feature_view() = view;
  *request.mutable_start_date() = start;
  *request.mutable_end_date() = end;
  request.set_commit(true);
  google::protobuf::Empty empty;
  return Call(&RegistryServer::Stub::ApplyMaterialization, request, &empty,
              options_.server_deduplicates_requests ? Idempotency::kIdempotent
                                                    : Idempotency::kNotIdempotent);
}

absl::StatusOr<larder::v1::ApplyBatchResponse> RegistryClient::ApplyBatch(
    const larder::v1::ApplyBatchRequest& request) {
  larder::v1::ApplyBatchResponse response;
  absl::Status status = Call(&larder::v1::Registry::Stub::ApplyBatch, request, &response,
                             options_.server_deduplicates_requests ? Idempotency::kIdempotent
                                                                   : Idempotency::kNotIdempotent);
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<larder::v1::ListChangesResponse> RegistryClient::ListChanges(
    const larder::v1::ListChangesRequest& request) {
  larder::v1::ListChangesResponse response;
  absl::Status status =
      Call(&larder::v1::Registry::Stub::ListChanges, request, &response, Idempotency::kIdempotent);
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<larder::v1::GetObjectHistoryResponse> RegistryClient::GetObjectHistory(
    const std::string& project, const std::string& kind, const std::string& name) {
  larder::v1::GetObjectHistoryRequest request;
  request.set_project(project);
  request.set_kind(kind);
  request.set_name(name);
  larder::v1::GetObjectHistoryResponse response;
  absl::Status status = Call(&larder::v1::Registry::Stub::GetObjectHistory, request, &response,
                             Idempotency::kIdempotent);
  if (!status.ok()) return status;
  return response;
}

namespace {
using Materialization = larder::v1::Materialization::Stub;

void SetDuration(absl::Duration d, google::protobuf::Duration* out) {
  const int64_t nanos = absl::ToInt64Nanoseconds(d);
  out->set_seconds(nanos / 1000000000);
  out->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}
}  // namespace

absl::StatusOr<larder::v1::PlanMaterializationResponse> RegistryClient::PlanMaterialization(
    const larder::v1::PlanMaterializationRequest& request) {
  larder::v1::PlanMaterializationResponse response;
  absl::Status status = Call(&Materialization::PlanMaterialization, request, &response,
                             options_.server_deduplicates_requests || !request.request_id().empty()
                                 ? Idempotency::kIdempotent
                                 : Idempotency::kNotIdempotent);
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<larder::v1::LeaseTasksResponse> RegistryClient::LeaseTasks(
    const std::string& worker, int max_tasks, absl::Duration lease_ttl, const std::string& job_id) {
  larder::v1::LeaseTasksRequest request;
  request.set_worker(worker);
  request.set_max_tasks(max_tasks);
  SetDuration(lease_ttl, request.mutable_lease_ttl());
  request.set_job_id(job_id);
  larder::v1::LeaseTasksResponse response;
  absl::Status status =
      Call(&Materialization::LeaseTasks, request, &response, Idempotency::kNotIdempotent);
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<larder::v1::HeartbeatResponse> RegistryClient::Heartbeat(
    const larder::v1::MaterializationTask& task, absl::Duration lease_ttl) {
  larder::v1::HeartbeatRequest request;
  request.set_task_id(task.task_id());
  request.set_lease_id(task.lease_id());
  SetDuration(lease_ttl, request.mutable_lease_ttl());
  larder::v1::HeartbeatResponse response;
  absl::Status status =
      Call(&Materialization::Heartbeat, request, &response, Idempotency::kIdempotent);
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<larder::v1::CompleteTaskResponse> RegistryClient::CompleteTask(
    const larder::v1::MaterializationTask& task) {
  larder::v1::CompleteTaskRequest request;
  request.set_task_id(task.task_id());
  request.set_lease_id(task.lease_id());
  larder::v1::CompleteTaskResponse response;
  absl::Status status =
      Call(&Materialization::CompleteTask, request, &response, Idempotency::kIdempotent);
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<larder::v1::FailTaskResponse> RegistryClient::FailTask(
    const larder::v1::MaterializationTask& task, const std::string& reason, bool retryable) {
  larder::v1::FailTaskRequest request;
  request.set_task_id(task.task_id());
  request.set_lease_id(task.lease_id());
  request.set_reason(reason);
  request.set_retryable(retryable);
  larder::v1::FailTaskResponse response;
  absl::Status status =
      Call(&Materialization::FailTask, request, &response, Idempotency::kIdempotent);
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<larder::v1::MaterializationJob> RegistryClient::GetJob(const std::string& job_id,
                                                                      bool include_tasks) {
  larder::v1::GetJobRequest request;
  request.set_job_id(job_id);
  request.set_include_tasks(include_tasks);
  larder::v1::GetJobResponse response;
  absl::Status status =
      Call(&Materialization::GetJob, request, &response, Idempotency::kIdempotent);
  if (!status.ok()) return status;
  return std::move(*response.mutable_job());
}

absl::StatusOr<larder::v1::ListJobsResponse> RegistryClient::ListJobs(
    const larder::v1::ListJobsRequest& request) {
  larder::v1::ListJobsResponse response;
  absl::Status status =
      Call(&Materialization::ListJobs, request, &response, Idempotency::kIdempotent);
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<larder::v1::MaterializationJob> RegistryClient::CancelJob(
    const std::string& job_id, const std::string& reason) {
  larder::v1::CancelJobRequest request;
  request.set_job_id(job_id);
  request.set_reason(reason);
  larder::v1::CancelJobResponse response;
  absl::Status status =
      Call(&Materialization::CancelJob, request, &response, Idempotency::kIdempotent);
  if (!status.ok()) return status;
  return std::move(*response.mutable_job());
}

absl::StatusOr<larder::v1::GetServerInfoResponse> RegistryClient::GetServerInfo() {
  larder::v1::GetServerInfoResponse response;
  absl::Status status =
      Call(&larder::v1::Registry::Stub::GetServerInfo, larder::v1::GetServerInfoRequest(),
           &response, Idempotency::kIdempotent);
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<feast::core::Registry> RegistryClient::GetRegistryAt(int64_t revision,
                                                                    const std::string& project) {
  larder::v1::GetRegistryAtRequest request;
  request.set_revision(revision);
  request.set_project(project);
  larder::v1::GetRegistryAtResponse response;
  absl::Status status = Call(&larder::v1::Registry::Stub::GetRegistryAt, request, &response,
                             Idempotency::kIdempotent);
  if (!status.ok()) return status;
  return std::move(*response.mutable_registry());
}

absl::StatusOr<larder::v1::DiffRevisionsResponse> RegistryClient::DiffRevisions(
    const larder::v1::DiffRevisionsRequest& request) {
  larder::v1::DiffRevisionsResponse response;
  absl::Status status = Call(&larder::v1::Registry::Stub::DiffRevisions, request, &response,
                             Idempotency::kIdempotent);
  if (!status.ok()) return status;
  return response;
}

absl::StatusOr<feast::core::Registry> RegistryClient::Proto() {
  feast::core::Registry response;
  absl::Status status = Call(&feast::registry::RegistryServer::Stub::Proto,
                             google::protobuf::Empty(), &response, Idempotency::kIdempotent);
  if (!status.ok()) return status;
  return response;
}

absl::Status RegistryClient::Watch(larder::v1::WatchChangesRequest request,
                                   const std::function<bool(const larder::v1::Change&)>& on_change,
                                   const std::function<bool()>& stop) {
  int failures = 0;
  while (stop == nullptr || !stop()) {
    const size_t index = CurrentIndex();
    grpc::ClientContext context;
    PrepareContext(context, NewRequestId());
    std::unique_ptr<grpc::ClientReader<larder::v1::WatchChangesResponse>> reader =
        v1_stubs_[index]->WatchChanges(&context, request);
    larder::v1::WatchChangesResponse event;
    bool stopped = false;
    while (reader->Read(&event)) {
      failures = 0;  // the stream works again
      if (event.has_change()) {
        if (event.change().revision() <= request.after_revision()) continue;  // never twice
        request.set_after_revision(event.change().revision());
        if (!on_change(event.change())) {
          stopped = true;
          break;
        }
      } else if (event.has_heartbeat()) {
        request.set_after_revision(
            std::max(request.after_revision(), event.heartbeat().revision()));
      }
      if (stop != nullptr && stop()) {
        stopped = true;
        break;
      }
    }
    if (stopped) {
      context.TryCancel();
      reader->Finish().IgnoreError();
      return absl::OkStatus();
    }
    absl::Status status = FromGrpcStatus(reader->Finish());
    // A stream ends only by error; resume where it stopped unless retrying cannot help.
    if (!absl::IsUnavailable(status) && !absl::IsAborted(status) &&
        !absl::IsDeadlineExceeded(status) && !absl::IsCancelled(status) && !status.ok()) {
      return status;
    }
    FailOver(index);
    absl::SleepFor(Backoff(std::min(++failures, 10)));
  }
  return absl::OkStatus();
}

}  // namespace larder::client
