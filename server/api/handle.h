#pragma once

#include "absl/status/status.h"
#include "grpcpp/server_context.h"
#include "server/api/grpc_status.h"

namespace larder::api {

// The single path every RPC takes: refuse calls whose deadline already passed (the client has
// given up, so doing the work would only load the database), run the body, convert the status.
template <typename Body>
grpc::Status Handle(grpc::ServerContextBase* context, Body&& body) {
  if (context->IsCancelled()) {
    return grpc::Status(grpc::StatusCode::CANCELLED, "call cancelled or deadline exceeded");
  }
  return ToGrpcStatus(body());
}

}  // namespace larder::api
