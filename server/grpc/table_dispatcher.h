#pragma once

#include <cstddef>
#include <vector>

#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "server/grpc/worker_pool.h"
#include "server/service/method.h"

namespace larder::grpc_edge {

// Routes the unary calls of one gRPC service, by their index in its descriptor, to the service
// layer's table: parses the request (oversize or malformed -> INVALID_ARGUMENT with a message
// that says which), runs the method through the one CallRunner::Run path and writes the reply.
// Requests the table says are answered from memory run on gRPC's own thread; everything else
// (anything that may wait on the database) on the worker pool, since callback threads must not
// block. Thread-safe.
class TableDispatcher {
 public:
  // `methods`, `runner` and `workers` are not owned and must outlive the dispatcher.
  // `service_full_name` names the protobuf service whose descriptor indexes the calls.
  TableDispatcher(absl::string_view service_full_name, const std::vector<service::Method>& methods,
                  const service::CallRunner& runner, size_t max_request_bytes, WorkerPool& workers);

  grpc::ServerUnaryReactor* Dispatch(int method_index, grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request, grpc::ByteBuffer* response);

 private:
  const service::CallRunner& runner_;
  const size_t max_request_bytes_;
  // By descriptor index: the table's entry for each method (null: not served; the service-layer
  // tests check every table covers its proto).
  std::vector<const service::Method*> by_index_;
  WorkerPool& workers_;
};

}  // namespace larder::grpc_edge
