// larder-probe: asks a Larder server's grpc.health.v1.Health whether it is SERVING, for container
// HEALTHCHECKs, compose health checks and scripts. Exits 0 when SERVING, 1 otherwise (also when
// the server cannot be reached within the timeout), 2 on bad usage. A separate binary so the
// probe needs no database URL or server configuration and starts in milliseconds.
//
// Usage: larder-probe [host:port] [--service=NAME] [--timeout-ms=N]
//   host:port defaults to LARDER_PROBE_ADDR, then 127.0.0.1:6570.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace {

int Usage(const std::string& why) {
  std::cerr << "larder-probe: " << why
            << "\nusage: larder-probe [host:port] [--service=NAME] [--timeout-ms=N]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const char* env_addr = std::getenv("LARDER_PROBE_ADDR");
  std::string address = env_addr != nullptr && *env_addr != '\0' ? env_addr : "127.0.0.1:6570";
  std::string service;
  int timeout_ms = 2000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (absl::StartsWith(arg, "--service=")) {
      service = arg.substr(sizeof("--service=") - 1);
    } else if (absl::StartsWith(arg, "--timeout-ms=")) {
      if (!absl::SimpleAtoi(arg.substr(sizeof("--timeout-ms=") - 1), &timeout_ms) ||
          timeout_ms <= 0) {
        return Usage("--timeout-ms must be a positive number");
      }
    } else if (arg == "--help" || arg == "-h") {
      return Usage("checks a Larder server's health");
    } else if (!absl::StartsWith(arg, "-")) {
      address = arg;
    } else {
      return Usage("unknown flag " + arg);
    }
  }

  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  // Wait for the connection within the deadline instead of failing on the first refusal, so a
  // server that is just starting is reported by its status, not by a race.
  context.set_wait_for_ready(true);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    std::cerr << "larder-probe: " << address << ": " << status.error_message() << std::endl;
    return 1;
  }
  const bool serving = response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  std::cout << address << ": "
            << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status())
            << std::endl;
  return serving ? 0 : 1;
}
