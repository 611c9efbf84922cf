#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace larder::grpc_edge {

// The one conversion from internal statuses to what a Feast client receives. A status carrying
// a Feast exception class becomes Feast's JSON details
// {"module": "feast.errors", "class": ..., "message": ...}, which the Python client re-raises as
// that class; any other status keeps its code and a plain-text message.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace larder::grpc_edge
