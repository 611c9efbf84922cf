#include "server/grpc/larder_v1/larder_grpc_service.h"

#include "server/grpc/grpc_status.h"
#include "server/grpc/larder_v1/watch_reactor.h"
#include "server/grpc/unary_call.h"

namespace larder::grpc_edge {
namespace {

// A stream refused before it started.
class RefusedStream final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit RefusedStream(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

LarderGrpcService::LarderGrpcService(const service::LarderRegistryService& service,
                                     size_t max_request_bytes, WorkerPool& workers,
                                     registry::ChangeFollower* follower,
                                     const service::ServingState& serving)
    : service_(service),
      max_request_bytes_(max_request_bytes),
      workers_(workers),
      follower_(follower),
      serving_(serving),
      dispatcher_(larder::v1::Registry::service_full_name(), service.methods(), service.runner(),
                  max_request_bytes, workers) {}

grpc::ServerWriteReactor<grpc::ByteBuffer>* LarderGrpcService::DispatchStream(
    int /*method_index*/, grpc::CallbackServerContext* context, const grpc::ByteBuffer* bytes) {
  // WatchChanges is the service's only streaming method.
  const service::Method* watch = service_.Find("WatchChanges");
  larder::v1::WatchChangesRequest request;
  if (absl::Status parsed = ParseRequest(*bytes, max_request_bytes_, request); !parsed.ok()) {
    return new RefusedStream(ToGrpcStatus(parsed));
  }
  if (watch == nullptr || follower_ == nullptr) {
    return new RefusedStream(grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        "WatchChanges needs the server to follow the change log (--cache-poll-ms > 0)"));
  }
  if (serving_.stopping()) {
    return new RefusedStream(
        grpc::Status(grpc::StatusCode::UNAVAILABLE, "server draining; resume on another replica"));
  }
  return WatchReactor::Start(context, *watch, service_.runner(), *follower_, workers_, serving_,
                             request);
}

}  // namespace larder::grpc_edge
