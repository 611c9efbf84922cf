#pragma once

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace larder::grpc_edge {

// grpc.health.v1.Health for the whole server ("" and feast.registry.RegistryServer), as a
// synchronous service. gRPC's built-in health service is a callback service, which turns the
// server into a hybrid sync/callback server and costs every RegistryServer call 10-15 us of CPU
// (docs/benchmarks.md). Thread-safe.
class HealthService final : public grpc::health::v1::Health::Service {
 public:
  void SetServing(bool serving);
  // Ends open Watch streams (their threads would otherwise hold up server shutdown).
  void Shutdown();

  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override;
  // Sends the current status, then each change (within half a second), until the client
  // leaves or Shutdown().
  grpc::Status Watch(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>* writer) override;

 private:
  using Status = grpc::health::v1::HealthCheckResponse::ServingStatus;
  Status StatusOf(const std::string& service) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  bool serving_ ABSL_GUARDED_BY(mu_) = false;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace larder::grpc_edge
