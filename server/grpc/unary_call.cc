#include "server/grpc/unary_call.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/metadata_keys.h"
#include "grpcpp/security/auth_context.h"
#include "grpcpp/support/proto_buffer_reader.h"

namespace larder::grpc_edge {
namespace {

absl::string_view MetadataValue(const grpc::ServerContextBase* context, const char* key) {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find(key);
  if (it == metadata.end()) return {};
  return absl::string_view(it->second.data(), it->second.size());
}

// A slice over bytes someone else owns: `owner` is kept alive until gRPC has sent them.
grpc::Slice SharedSlice(std::shared_ptr<const void> owner, absl::string_view bytes) {
  if (bytes.empty()) return grpc::Slice();
  auto* keep_alive = new std::shared_ptr<const void>(std::move(owner));
  return grpc::Slice(
      const_cast<char*>(bytes.data()), bytes.size(),
      [](void* held) { delete static_cast<std::shared_ptr<const void>*>(held); }, keep_alive);
}

// The common name of a client certificate the TLS handshake verified, or "". gRPC only fills
// the x509 properties of an authenticated (verified) peer.
std::string VerifiedClientName(const grpc::ServerContextBase* context) {
  std::shared_ptr<const grpc::AuthContext> auth = context->auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return {};
  std::vector<grpc::string_ref> names = auth->FindPropertyValues("x509_common_name");
  if (names.empty()) return {};
  return std::string(names.front().data(), names.front().size());
}

}  // namespace

service::CallContext ContextOf(grpc::CallbackServerContext* context, absl::string_view method) {
  service::CallContext out;
  out.method = method;
  out.authorization = std::string(MetadataValue(context, common::kAuthorizationKey));
  out.request_id = std::string(MetadataValue(context, common::kRequestIdKey));
  out.peer = context->peer();  // names the connection (ip:port): staged Feast applies key on it
  out.cancelled = [context] { return context->IsCancelled(); };
  out.transport_identity = VerifiedClientName(context);
  return out;
}

absl::Status ParseRequest(const grpc::ByteBuffer& bytes, size_t max_bytes,
                          google::protobuf::Message& request) {
  if (bytes.Length() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        request.GetDescriptor()->name(), " of ", bytes.Length(),
        " bytes exceeds the server's limit of ", max_bytes, " bytes (--max-message-bytes)"));
  }
  grpc::ByteBuffer view(bytes);  // shares the slices; the reader needs a mutable buffer
  grpc::ProtoBufferReader reader(&view);
  if (!request.ParseFromZeroCopyStream(&reader)) {
    return absl::InvalidArgumentError(absl::StrCat("malformed request: the ", bytes.Length(),
                                                   " bytes received are not a valid ",
                                                   request.GetDescriptor()->full_name()));
  }
  return absl::OkStatus();
}

grpc::Status WriteReply(const service::Reply& reply, grpc::ByteBuffer* out) {
  if (reply.message() != nullptr) {
    auto bytes = std::make_shared<const std::string>(reply.message()->SerializeAsString());
    grpc::Slice slice = SharedSlice(bytes, *bytes);
    *out = grpc::ByteBuffer(&slice, 1);
    return grpc::Status::OK;
  }
  std::vector<grpc::Slice> slices;
  slices.reserve(reply.pieces().size());
  for (const service::Reply::Piece& piece : reply.pieces()) {
    if (!piece.bytes.empty()) slices.push_back(SharedSlice(piece.owner, piece.bytes));
  }
  *out = grpc::ByteBuffer(slices.data(), slices.size());
  return grpc::Status::OK;
}

}  // namespace larder::grpc_edge
