#include "server/grpc/feast/feast_grpc_service.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "feast/registry/RegistryServer.grpc.pb.h"
#include "google/protobuf/descriptor.h"
#include "server/grpc/grpc_status.h"
#include "server/grpc/unary_call.h"

namespace larder::grpc_edge {

FeastGrpcService::FeastGrpcService(const service::FeastRegistryService& service,
                                   size_t max_request_bytes, int worker_threads)
    : service_(service), max_request_bytes_(max_request_bytes), workers_(worker_threads) {
  const google::protobuf::ServiceDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          std::string(feast::registry::RegistryServer::service_full_name()));
  by_index_.resize(static_cast<size_t>(descriptor->method_count()));
  for (int i = 0; i < descriptor->method_count(); ++i) {
    // A method the table lacks would be a build defect, caught by the service-layer test that
    // the table covers the proto; answering UNIMPLEMENTED here keeps the server up regardless.
    by_index_[static_cast<size_t>(i)] = service_.Find(descriptor->method(i)->name());
  }
}

grpc::ServerUnaryReactor* FeastGrpcService::Dispatch(int method_index,
                                                     grpc::CallbackServerContext* context,
                                                     const grpc::ByteBuffer* bytes,
                                                     grpc::ByteBuffer* out) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const service::Method* method = by_index_[static_cast<size_t>(method_index)];
  if (method == nullptr) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "method not served"));
    return reactor;
  }
  // Parses, runs the method through the one Run path and finishes the call. The request bytes,
  // the response and the context stay valid until Finish.
  auto answer = [this, method, context, out, reactor](const google::protobuf::Message& request) {
    absl::StatusOr<service::Reply> reply =
        service::Invoke(service_.runner(), *method, ContextOf(context, method->full_name), request);
    reactor->Finish(reply.ok() ? WriteReply(*reply, out) : ToGrpcStatus(reply.status()));
  };
  if (!method->answers_from_memory) {
    // Parsed on the worker too: a large Apply request is not parsed on gRPC's thread.
    workers_.Schedule([this, method, bytes, reactor, answer] {
      std::unique_ptr<google::protobuf::Message> request = method->NewRequest();
      if (absl::Status parsed = ParseRequest(*bytes, max_request_bytes_, *request); !parsed.ok()) {
        reactor->Finish(ToGrpcStatus(parsed));
        return;
      }
      answer(*request);
    });
    return reactor;
  }
  std::unique_ptr<google::protobuf::Message> request = method->NewRequest();
  if (absl::Status parsed = ParseRequest(*bytes, max_request_bytes_, *request); !parsed.ok()) {
    reactor->Finish(ToGrpcStatus(parsed));
  } else if (method->answers_from_memory(*request)) {
    answer(*request);
  } else {
    workers_.Schedule(
        [answer, request = std::shared_ptr<const google::protobuf::Message>(std::move(request))] {
          answer(*request);
        });
  }
  return reactor;
}

}  // namespace larder::grpc_edge
