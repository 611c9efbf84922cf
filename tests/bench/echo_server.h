#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "bench/echo.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/server.h"
#include "tests/bench/closed_loop.h"

namespace larder::bench {

// An in-process echo server: the read ceiling. Built with the same gRPC and the same server
// settings as `larder` (callback API, no SO_REUSEPORT, 256 MB message limits), listening on
// 127.0.0.1 on a free port. Without `callback_api`, the same echo as a synchronous service: the
// other threading model gRPC offers, measured beside it so the choice stays visible.
// Thread-safe; shuts down on destruction.
class EchoServer {
 public:
  // UNAVAILABLE when it cannot listen.
  static absl::StatusOr<std::unique_ptr<EchoServer>> Start(bool callback_api = true);
  ~EchoServer();
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  class Service final : public larder::bench::Echo::Service {
    grpc::Status Echo(grpc::ServerContext*, const EchoMessage* request,
                      EchoMessage* response) override {
      *response = *request;
      return grpc::Status::OK;
    }
  };

  class CallbackService final : public larder::bench::Echo::CallbackService {
    grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context, const EchoMessage* request,
                                   EchoMessage* response) override {
      *response = *request;
      grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
  };

  EchoServer() = default;
  Service service_;
  CallbackService callback_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// One closed-loop cell of Echo calls (a 16-byte payload) over `channel`.
CellResult RunEchoCell(const std::shared_ptr<grpc::Channel>& channel, const LoopOptions& options);

}  // namespace larder::bench
