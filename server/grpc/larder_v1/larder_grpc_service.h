#pragma once

#include <cstddef>

#include "server/grpc/larder_v1/larder_raw_service_base.h"
#include "server/grpc/table_dispatcher.h"
#include "server/registry/change_follower.h"
#include "server/service/larder_registry_service.h"
#include "server/service/serving_state.h"

namespace larder::grpc_edge {

// larder.v1.Registry over gRPC: transport only, like FeastGrpcService (raw bytes through the
// generated mixins, each unary call routed to the service layer's table); WatchChanges streams
// through a WatchReactor fed by the ChangeFollower. Thread-safe.
class LarderGrpcService final : public LarderRawServiceBase {
 public:
  // `service`, `workers`, `follower` and `serving` are not owned and must outlive this object.
  // Without a follower (--cache-poll-ms=0) WatchChanges is refused.
  LarderGrpcService(const service::LarderRegistryService& service, size_t max_request_bytes,
                    WorkerPool& workers, registry::ChangeFollower* follower,
                    const service::ServingState& serving);

 private:
  grpc::ServerUnaryReactor* Dispatch(int method_index, grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override {
    return dispatcher_.Dispatch(method_index, context, request, response);
  }
  grpc::ServerWriteReactor<grpc::ByteBuffer>* DispatchStream(
      int method_index, grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;

  const service::LarderRegistryService& service_;
  const size_t max_request_bytes_;
  WorkerPool& workers_;
  registry::ChangeFollower* const follower_;
  const service::ServingState& serving_;
  TableDispatcher dispatcher_;
};

}  // namespace larder::grpc_edge
