#pragma once

#include <cstddef>

#include "server/grpc/larder_v1/larder_raw_service_base.h"
#include "server/grpc/table_dispatcher.h"
#include "server/service/larder_registry_service.h"

namespace larder::grpc_edge {

// larder.v1.Registry over gRPC: transport only, like FeastGrpcService (raw bytes through the
// generated mixins, each call routed to the service layer's table). Thread-safe.
class LarderGrpcService final : public LarderRawServiceBase {
 public:
  // `service` and `workers` are not owned and must outlive this object.
  LarderGrpcService(const service::LarderRegistryService& service, size_t max_request_bytes,
                    WorkerPool& workers)
      : dispatcher_(larder::v1::Registry::service_full_name(), service.methods(), service.runner(),
                    max_request_bytes, workers) {}

 private:
  grpc::ServerUnaryReactor* Dispatch(int method_index, grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override {
    return dispatcher_.Dispatch(method_index, context, request, response);
  }

  TableDispatcher dispatcher_;
};

}  // namespace larder::grpc_edge
