#include "server/http/proto_json.h"

#include <string>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"

namespace larder::http {

Json ProtoToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  // MessageToDict's defaults: no default-valued fields, camelCase names, enums by name.
  options.always_print_primitive_fields = false;
  options.preserve_proto_field_names = false;
  options.always_print_enums_as_ints = false;
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(message, &text, options).ok()) {
    return Json::object();
  }
  return Json::parse(text, nullptr, /*allow_exceptions=*/false);
}

absl::StatusOr<std::unique_ptr<google::protobuf::Message>> ReplyMessage(
    const service::Method& method, const service::Reply& reply) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(method.service);
  const google::protobuf::MethodDescriptor* descriptor =
      service == nullptr ? nullptr : service->FindMethodByName(method.name);
  if (descriptor == nullptr) {
    return absl::InternalError("no descriptor for " + method.full_name);
  }
  std::unique_ptr<google::protobuf::Message> message(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(descriptor->output_type())
          ->New());
  if (reply.message() != nullptr) {
    message->CopyFrom(*reply.message());
  } else if (!message->ParseFromString(reply.Serialize())) {
    return absl::InternalError("stored reply of " + method.full_name + " does not parse");
  }
  return message;
}

}  // namespace larder::http
