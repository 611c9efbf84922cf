// What grpcurl sees without .proto files: server reflection lists the services and serves their
// descriptors.
#include <catch2/catch.hpp>

#include "google/protobuf/descriptor.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "tests/e2e/server_process.h"
#include "tests/support/temp_dir.h"

namespace larder::testing {
namespace {

using grpc::reflection::v1alpha::ServerReflection;
using grpc::reflection::v1alpha::ServerReflectionRequest;
using grpc::reflection::v1alpha::ServerReflectionResponse;

TEST_CASE("Server reflection lists the registry and serves its descriptors", "[e2e]") {
  TempDir dir;
  ServerProcess server({"--addr=127.0.0.1:0", "--db=sqlite:///" + dir.File("r.db")});
  REQUIRE(server.Start());
  auto stub = ServerReflection::NewStub(
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  auto stream = stub->ServerReflectionInfo(&context);

  ServerReflectionRequest list;
  list.set_list_services("");
  REQUIRE(stream->Write(list));
  ServerReflectionResponse services;
  REQUIRE(stream->Read(&services));
  std::vector<std::string> names;
  for (const auto& s : services.list_services_response().service()) names.push_back(s.name());
  CHECK(std::count(names.begin(), names.end(), "feast.registry.RegistryServer") == 1);
  CHECK(std::count(names.begin(), names.end(), "larder.v1.Registry") == 1);
  CHECK(std::count(names.begin(), names.end(), "grpc.health.v1.Health") == 1);

  ServerReflectionRequest symbol;
  symbol.set_file_containing_symbol("feast.registry.RegistryServer");
  REQUIRE(stream->Write(symbol));
  ServerReflectionResponse files;
  REQUIRE(stream->Read(&files));
  bool found_service = false;
  for (const std::string& bytes : files.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto file;
    REQUIRE(file.ParseFromString(bytes));
    for (const auto& service : file.service()) {
      if (file.package() == "feast.registry" && service.name() == "RegistryServer") {
        found_service = true;
        CHECK(service.method_size() == 55);
      }
    }
  }
  CHECK(found_service);
  stream->WritesDone();
}

}  // namespace
}  // namespace larder::testing
