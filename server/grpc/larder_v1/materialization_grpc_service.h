#pragma once

#include <cstddef>

#include "server/grpc/larder_v1/materialization_raw_service_base.h"
#include "server/grpc/table_dispatcher.h"
#include "server/service/materialization_service.h"

namespace larder::grpc_edge {

// larder.v1.Materialization over gRPC: transport only, like FeastGrpcService (raw bytes through
// the generated mixins, each call routed to the service layer's table). Thread-safe.
class MaterializationGrpcService final : public MaterializationRawServiceBase {
 public:
  // `service` and `workers` are not owned and must outlive this object.
  MaterializationGrpcService(const service::MaterializationService& service,
                             size_t max_request_bytes, WorkerPool& workers)
      : dispatcher_(larder::v1::Materialization::service_full_name(), service.methods(),
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
