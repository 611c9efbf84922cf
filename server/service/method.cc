#include "server/service/method.h"

#include "google/protobuf/message.h"

namespace larder::service {

std::unique_ptr<google::protobuf::Message> Method::NewRequest() const {
  return std::unique_ptr<google::protobuf::Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(request_type)->New());
}

const Method* MethodTable::Find(absl::string_view name) const {
  for (const Method& method : methods_) {
    if (method.name == name) return &method;
  }
  return nullptr;
}

std::string ProjectOf(const Method& method, const google::protobuf::Message& request) {
  if (method.project_field == nullptr) return {};
  return request.GetReflection()->GetString(request, method.project_field);
}

absl::StatusOr<Reply> Invoke(const CallRunner& runner, const Method& method,
                             const CallContext& context, const google::protobuf::Message& request) {
  return runner.Run(context, *method.counters, ProjectOf(method, request),
                    [&](const Call& call) { return method.answer(call, request); });
}

}  // namespace larder::service
