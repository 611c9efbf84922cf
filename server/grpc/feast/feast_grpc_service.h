#pragma once

#include <cstddef>

#include "server/grpc/feast/feast_raw_service_base.h"
#include "server/grpc/table_dispatcher.h"
#include "server/service/feast_registry_service.h"

namespace larder::grpc_edge {

// feast.registry.RegistryServer over gRPC: transport only. Every method takes and returns raw
// bytes (the generated raw callback mixins, FeastRawServiceBase), so requests are parsed by the
// TableDispatcher (clear INVALID_ARGUMENT for oversize or malformed ones, which gRPC's own glue
// would answer RESOURCE_EXHAUSTED or INTERNAL) and stored bytes go out without a copy; each call
// goes to the service layer's table entry. Thread-safe.
class FeastGrpcService final : public FeastRawServiceBase {
 public:
  // `service` and `workers` are not owned and must outlive this object.
  FeastGrpcService(const service::FeastRegistryService& service, size_t max_request_bytes,
                   WorkerPool& workers)
      : dispatcher_(feast::registry::RegistryServer::service_full_name(), service.methods(),
                    service.runner(), max_request_bytes, workers) {}

 private:
  grpc::ServerUnaryReactor* Dispatch(int method_index, grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override {
    return dispatcher_.Dispatch(method_index, context, request, response);
  }

  TableDispatcher dispatcher_;
};

}  // namespace larder::grpc_edge
