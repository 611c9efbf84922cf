#pragma once

#include <cstddef>
#include <vector>

#include "server/grpc/feast/feast_raw_service_base.h"
#include "server/grpc/worker_pool.h"
#include "server/service/feast_registry_service.h"

namespace larder::grpc_edge {

// feast.registry.RegistryServer over gRPC: transport only. Every method takes and returns raw
// bytes (the generated raw callback mixins, FeastRawServiceBase), so that:
// - requests are parsed here, not by gRPC's generated glue, and an oversize or malformed request
//   gets INVALID_ARGUMENT with a message that says what is wrong (gRPC itself would answer
//   RESOURCE_EXHAUSTED or INTERNAL, and the service would never see the call);
// - replies the service layer hands over as stored bytes go out without a copy.
// Each call is routed by its index in the service descriptor to the service layer's table
// (FeastRegistryService::methods()) and runs through the one CallRunner::Run path. Requests the
// table says are answered from memory run on gRPC's own thread; everything else (anything that
// may wait on the database) on a worker pool, since callback threads must not block.
// Thread-safe.
class FeastGrpcService final : public FeastRawServiceBase {
 public:
  // `service` is not owned and must outlive this object. Requests larger than
  // `max_request_bytes` are refused.
  FeastGrpcService(const service::FeastRegistryService& service, size_t max_request_bytes,
                   int worker_threads);

 private:
  grpc::ServerUnaryReactor* Dispatch(int method_index, grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;

  const service::FeastRegistryService& service_;
  const size_t max_request_bytes_;
  // By descriptor index: the service layer's entry for each method (never null: the table is
  // checked to cover the proto when this is built).
  std::vector<const service::Method*> by_index_;
  WorkerPool workers_;  // last: joined first, while the rest is still there
};

}  // namespace larder::grpc_edge
