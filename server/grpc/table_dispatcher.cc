#include "server/grpc/table_dispatcher.h"

#include <memory>
#include <utility>

#include "google/protobuf/descriptor.h"
#include "server/grpc/grpc_status.h"
#include "server/grpc/unary_call.h"

namespace larder::grpc_edge {

TableDispatcher::TableDispatcher(absl::string_view service_full_name,
                                 const std::vector<service::Method>& methods,
                                 const service::CallRunner& runner, size_t max_request_bytes,
                                 WorkerPool& workers)
    : runner_(runner), max_request_bytes_(max_request_bytes), workers_(workers) {
  const google::protobuf::ServiceDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          std::string(service_full_name));
  by_index_.resize(descriptor == nullptr ? 0 : static_cast<size_t>(descriptor->method_count()));
  for (size_t i = 0; i < by_index_.size(); ++i) {
    for (const service::Method& method : methods) {
      if (method.name == descriptor->method(static_cast<int>(i))->name()) by_index_[i] = &method;
    }
  }
}

grpc::ServerUnaryReactor* TableDispatcher::Dispatch(int method_index,
                                                    grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* bytes,
                                                    grpc::ByteBuffer* out) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const service::Method* method = static_cast<size_t>(method_index) < by_index_.size()
                                      ? by_index_[static_cast<size_t>(method_index)]
                                      : nullptr;
  if (method == nullptr) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "method not served"));
    return reactor;
  }
  // Parses, runs the method through the one Run path and finishes the call. The request bytes,
  // the response and the context stay valid until Finish.
  auto answer = [this, method, context, out, reactor](const google::protobuf::Message& request) {
    absl::StatusOr<service::Reply> reply =
        service::Invoke(runner_, *method, ContextOf(context, method->full_name), request);
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
    workers_.Schedule([answer, request = std::shared_ptr<const google::protobuf::Message>(
                                   std::move(request))] { answer(*request); });
  }
  return reactor;
}

}  // namespace larder::grpc_edge
