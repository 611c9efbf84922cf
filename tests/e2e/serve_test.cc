// Drives the real larder binary over gRPC with generated C++ stubs.
#include <catch2/catch.hpp>

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <utility>

#include "feast/registry/RegistryServer.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "tests/e2e/server_process.h"
#include "tests/support/temp_dir.h"

namespace larder::testing {
namespace {

using feast::registry::RegistryServer;

std::unique_ptr<RegistryServer::Stub> Connect(const ServerProcess& server) {
  return RegistryServer::NewStub(
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
}

feast::core::Entity Driver() {
  feast::core::Entity e;
  e.mutable_spec()->set_name("driver");
  e.mutable_spec()->set_join_key("driver_id");
  e.mutable_spec()->set_value_type(feast::types::ValueType::INT64);
  (*e.mutable_spec()->mutable_tags())["team"] = "rides";
  return e;
}

TEST_CASE("larder serves ApplyEntity/GetEntity and Feast's JSON errors", "[e2e]") {
  TempDir dir;
  ServerProcess server({"serve", "--addr=127.0.0.1:0", "--db=sqlite:///" + dir.File("r.db")});
  REQUIRE(server.Start());
  INFO(server.output());
  auto stub = Connect(server);

  feast::registry::ApplyEntityRequest apply;
  *apply.mutable_entity() = Driver();
  apply.set_project("demo");
  apply.set_commit(true);
  google::protobuf::Empty empty;
  grpc::ClientContext apply_context;
  REQUIRE(stub->ApplyEntity(&apply_context, apply, &empty).ok());

  feast::registry::GetEntityRequest get;
  get.set_project("demo");
  get.set_name("driver");
  feast::core::Entity got;
  grpc::ClientContext get_context;
  REQUIRE(stub->GetEntity(&get_context, get, &got).ok());
  // The spec comes back byte for byte (plus the project the server fills in).
  feast::core::EntitySpecV2 expected = Driver().spec();
  expected.set_project("demo");
  CHECK(got.spec().SerializeAsString() == expected.SerializeAsString());
  CHECK(got.meta().has_created_timestamp());

  get.set_name("rider");
  grpc::ClientContext missing_context;
  grpc::Status missing = stub->GetEntity(&missing_context, get, &got);
  CHECK(missing.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(missing.error_message() ==
        R"({"module": "feast.errors", "class": "EntityNotFoundException", )"
        R"("message": "Entity rider does not exist in project demo"})");

  feast::registry::ListProjectsRequest list;
  feast::registry::ListProjectsResponse projects;
  grpc::ClientContext list_context;
  REQUIRE(stub->ListProjects(&list_context, list, &projects).ok());
  REQUIRE(projects.projects_size() == 1);
  CHECK(projects.projects(0).spec().name() == "demo");
  CHECK(projects.pagination().total_pages() == 1);

  CHECK(server.Stop(SIGTERM) == 0);
  CHECK(server.output().find("stopped") != std::string::npos);
}

TEST_CASE("Unknown fields from newer Feast clients survive the round trip", "[e2e]") {
  TempDir dir;
  ServerProcess server({"--addr=127.0.0.1:0", "--db=sqlite:///" + dir.File("r.db")});
  REQUIRE(server.Start());
  auto stub = Connect(server);

  feast::core::Entity entity = Driver();
  // Field 99 of EntitySpecV2 and value type 30 (PDF_BYTES) are unknown to v0.66 protos.
  std::string spec_bytes = entity.spec().SerializeAsString();
  spec_bytes += std::string("\x9a\x06\x05hello", 8);  // field 99, length-delimited, "hello"
  spec_bytes += std::string("\x10\x1e", 2);           // field 2 (value_type) = 30
  feast::core::EntitySpecV2 future_spec;
  REQUIRE(future_spec.ParseFromString(spec_bytes));
  *entity.mutable_spec() = future_spec;

  feast::registry::ApplyEntityRequest apply;
  *apply.mutable_entity() = entity;
  apply.set_project("demo");
  apply.set_commit(true);
  google::protobuf::Empty empty;
  grpc::ClientContext c1;
  REQUIRE(stub->ApplyEntity(&c1, apply, &empty).ok());

  feast::registry::GetEntityRequest get;
  get.set_project("demo");
  get.set_name("driver");
  feast::core::Entity got;
  grpc::ClientContext c2;
  REQUIRE(stub->GetEntity(&c2, get, &got).ok());
  CHECK(static_cast<int>(got.spec().value_type()) == 30);
  CHECK(got.spec().SerializeAsString().find("hello") != std::string::npos);
}

TEST_CASE("larder answers gRPC health checks", "[e2e]") {
  TempDir dir;
  ServerProcess server({"--addr=127.0.0.1:0", "--db=sqlite:///" + dir.File("r.db")});
  REQUIRE(server.Start());
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::ClientContext context;
  REQUIRE(health->Check(&context, request, &response).ok());
  CHECK(response.status() == grpc::health::v1::HealthCheckResponse::SERVING);

  grpc::ClientContext by_name;
  request.set_service("feast.registry.RegistryServer");
  REQUIRE(health->Check(&by_name, request, &response).ok());
  CHECK(response.status() == grpc::health::v1::HealthCheckResponse::SERVING);

  grpc::ClientContext unknown;
  request.set_service("no.such.Service");
  CHECK(health->Check(&unknown, request, &response).error_code() == grpc::StatusCode::NOT_FOUND);

  // Watch sends the current status first; the stream ends when the server shuts down.
  grpc::ClientContext watching;
  request.set_service("");
  auto stream = health->Watch(&watching, request);
  REQUIRE(stream->Read(&response));
  CHECK(response.status() == grpc::health::v1::HealthCheckResponse::SERVING);
  CHECK(server.Stop() == 0);  // the open stream does not hold up shutdown
  while (stream->Read(&response)) {
  }
  CHECK(stream->Finish().error_code() != grpc::StatusCode::OK);
}

// A newcomer runs `larder serve` (or deploy/run-server.sh) without --db: the database must be
// ./larder.db, not /larder.db (sqlite:///larder.db read as an absolute path). Run as a user who
// cannot write the filesystem root, so the old reading fails to start instead of passing.
TEST_CASE("Without --db, a non-root user's larder creates larder.db in its working directory",
          "[e2e]") {
  TempDir dir;
  auto make_server = [&](std::vector<std::string> args) {
    auto server = std::make_unique<ServerProcess>(std::move(args));
    server->set_working_directory(dir.path());
    return server;
  };
  std::optional<std::pair<uid_t, gid_t>> user;
  if (geteuid() == 0) {
    const passwd* nobody = getpwnam("nobody");
    if (nobody == nullptr) {
      WARN("SKIPPED: running as root and there is no user 'nobody' to run larder as");
      return;
    }
    if (chown(dir.path().c_str(), nobody->pw_uid, nobody->pw_gid) != 0) {
      WARN("SKIPPED: cannot give the temporary directory to 'nobody': " << strerror(errno));
      return;
    }
    user.emplace(nobody->pw_uid, nobody->pw_gid);
    // The binary's path may not be open to other users (e.g. a private home directory).
    auto probe = make_server({"--help"});
    probe->set_user(user->first, user->second);
    if (const int code = probe->RunToExit(); code != 0) {
      WARN("SKIPPED: 'nobody' cannot run " << LARDER_BINARY << " (exit code " << code
                                           << "): " << probe->output());
      return;
    }
  }
  auto server = make_server({"serve", "--addr=127.0.0.1:0"});
  if (user.has_value()) server->set_user(user->first, user->second);
  REQUIRE(server->Start());
  INFO(server->output());
  CHECK(std::filesystem::is_regular_file(dir.File("larder.db")));

  auto stub = Connect(*server);
  feast::registry::ApplyEntityRequest apply;
  *apply.mutable_entity() = Driver();
  apply.set_project("demo");
  apply.set_commit(true);
  google::protobuf::Empty empty;
  grpc::ClientContext apply_context;
  REQUIRE(stub->ApplyEntity(&apply_context, apply, &empty).ok());
  feast::registry::GetEntityRequest get;
  get.set_project("demo");
  get.set_name("driver");
  feast::core::Entity got;
  grpc::ClientContext get_context;
  REQUIRE(stub->GetEntity(&get_context, get, &got).ok());
  CHECK(got.spec().join_key() == "driver_id");
  CHECK(server->Stop(SIGTERM) == 0);
}

TEST_CASE("Start-up failures exit non-zero with a clear message", "[e2e]") {
  TempDir dir;
  SECTION("bad URL scheme") {
    ServerProcess bad({"--addr=127.0.0.1:0", "--db=oracle://x/y"});
    CHECK(bad.RunToExit() == 1);
    CHECK(bad.output().find("unsupported database URL scheme") != std::string::npos);
  }
  SECTION("unwritable SQLite location") {
    ServerProcess bad({"--addr=127.0.0.1:0", "--db=sqlite:////proc/larder/nope.db"});
    CHECK(bad.RunToExit() == 1);
    CHECK(bad.output().find("cannot open SQLite database") != std::string::npos);
  }
  SECTION("port already in use") {
    ServerProcess first({"--addr=127.0.0.1:0", "--db=sqlite:///" + dir.File("a.db")});
    REQUIRE(first.Start());
    ServerProcess second({"--addr=" + first.address(), "--db=sqlite:///" + dir.File("b.db")});
    CHECK(second.RunToExit() == 1);
    CHECK(second.output().find("cannot listen on") != std::string::npos);
  }
  SECTION("unknown flag") {
    ServerProcess bad({"--bogus"});
    CHECK(bad.RunToExit() == 2);
    CHECK(bad.output().find("unknown flag '--bogus'") != std::string::npos);
  }
}

}  // namespace
}  // namespace larder::testing

#include "storage/open_store.h"

namespace larder::testing {
namespace {

TEST_CASE("A Feast database is served only after larder migrate", "[e2e]") {
  TempDir dir;
  const std::string url = "sqlite:///" + dir.File("feast.db");
  {
    // A minimal Feast SqlRegistry database: Feast's projects table and a project row.
    auto parsed = storage::ParseDatabaseUrl(url);
    REQUIRE(parsed.ok());
    auto connection = storage::BackendFor(*parsed).factory();
    REQUIRE(connection.ok());
    REQUIRE((*connection)
                ->ExecuteScript("CREATE TABLE projects (project_id VARCHAR(255) NOT NULL, "
                                "project_name VARCHAR(255) NOT NULL, last_updated_timestamp "
                                "BIGINT NOT NULL, project_proto BLOB NOT NULL, PRIMARY KEY "
                                "(project_id))")
                .ok());
    REQUIRE((*connection)
                ->ExecuteScript(
                    "INSERT INTO projects VALUES ('legacy', 'legacy', 1, X'0a080a066c6567616379')")
                .ok());
  }
  ServerProcess refused({"serve", "--addr=127.0.0.1:0", "--db=" + url});
  CHECK(refused.RunToExit() == 1);
  CHECK(refused.output().find("larder migrate") != std::string::npos);

  ServerProcess migrate({"migrate", "--db=" + url});
  CHECK(migrate.RunToExit() == 0);
  CHECK(migrate.output().find("schema at version") != std::string::npos);

  ServerProcess server({"serve", "--addr=127.0.0.1:0", "--db=" + url});
  REQUIRE(server.Start());
  auto stub = Connect(server);
  feast::registry::GetProjectRequest get;
  get.set_name("legacy");
  feast::core::Project project;
  grpc::ClientContext context;
  REQUIRE(stub->GetProject(&context, get, &project).ok());
  CHECK(project.spec().name() == "legacy");
}

}  // namespace
}  // namespace larder::testing
