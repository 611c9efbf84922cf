#include "tests/bench/echo_server.h"

#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace larder::bench {

absl::StatusOr<std::unique_ptr<EchoServer>> EchoServer::Start(bool callback_api) {
  std::unique_ptr<EchoServer> echo(new EchoServer());
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &echo->port_);
  // The same settings server/main.cc gives larder's server.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(256 << 20);
  builder.SetMaxSendMessageSize(256 << 20);
  if (callback_api) {
    builder.RegisterService(&echo->callback_service_);
  } else {
    builder.RegisterService(&echo->service_);
  }
  echo->server_ = builder.BuildAndStart();
  if (echo->server_ == nullptr || echo->port_ == 0) {
    return absl::UnavailableError("echo server cannot listen on 127.0.0.1");
  }
  return echo;
}

EchoServer::~EchoServer() {
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_->Wait();
  }
}

CellResult RunEchoCell(const std::shared_ptr<grpc::Channel>& channel, const LoopOptions& options) {
  std::shared_ptr<larder::bench::Echo::Stub> stub = larder::bench::Echo::NewStub(channel);
  return RunClosedLoop<EchoMessage, EchoMessage>(
      options,
      [](int, int64_t, EchoMessage& request) {
        if (request.payload().empty()) request.set_payload(std::string(16, 'e'));
      },
      [stub](grpc::ClientContext* context, const EchoMessage* request, EchoMessage* response,
             std::function<void(grpc::Status)> done) {
        stub->async()->Echo(context, request, response, std::move(done));
      });
}

}  // namespace larder::bench
