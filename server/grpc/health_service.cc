#include "server/grpc/health_service.h"

#include "feast/registry/RegistryServer.grpc.pb.h"

namespace larder::grpc_edge {

using grpc::health::v1::HealthCheckResponse;

void HealthService::SetServing(bool serving) {
  absl::MutexLock lock(&mu_);
  serving_ = serving;
}

void HealthService::Shutdown() {
  absl::MutexLock lock(&mu_);
  serving_ = false;
  shut_down_ = true;
}

HealthService::Status HealthService::StatusOf(const std::string& service) const {
  if (!service.empty() && service != feast::registry::RegistryServer::service_full_name()) {
    return HealthCheckResponse::SERVICE_UNKNOWN;
  }
  return serving_ ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
}

grpc::Status HealthService::Check(grpc::ServerContext*,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  HealthCheckResponse* response) {
  absl::ReaderMutexLock lock(&mu_);
  const Status status = StatusOf(request->service());
  // The protocol says an unknown service is NOT_FOUND for Check (Watch reports SERVICE_UNKNOWN).
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
  }
  response->set_status(status);
  return grpc::Status::OK;
}

grpc::Status HealthService::Watch(grpc::ServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::ServerWriter<HealthCheckResponse>* writer) {
  bool first = true;
  Status sent = HealthCheckResponse::UNKNOWN;
  while (!context->IsCancelled()) {
    Status now;
    {
      absl::MutexLock lock(&mu_);
      // A change is seen within half a second; shutdown wakes the wait at once.
      if (!first) mu_.AwaitWithTimeout(absl::Condition(&shut_down_), absl::Milliseconds(500));
      if (shut_down_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down");
      now = StatusOf(request->service());
    }
    if (first || now != sent) {
      HealthCheckResponse response;
      response.set_status(now);
      if (!writer->Write(response)) break;
      sent = now;
      first = false;
    }
  }
  return grpc::Status::OK;
}

}  // namespace larder::grpc_edge
