#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "server/service/call.h"
#include "server/service/reply.h"

namespace larder::grpc_edge {

// What the service layer needs to know about a gRPC call: metadata and cancellation.
service::CallContext ContextOf(grpc::CallbackServerContext* context, absl::string_view method);

// Parses `bytes` into `request` (INVALID_ARGUMENT when larger than `max_bytes` or malformed,
// with a message that says which).
absl::Status ParseRequest(const grpc::ByteBuffer& bytes, size_t max_bytes,
                          google::protobuf::Message& request);

// Writes `reply` into `out`: a message is serialized, encoded pieces are sent as they are (their
// owners are kept alive until gRPC has sent them).
grpc::Status WriteReply(const service::Reply& reply, grpc::ByteBuffer* out);

}  // namespace larder::grpc_edge
