// Feast's commit=false writes staged per connection and applied by the closing commit in one
// transaction (docs/feast-compatibility.md, "Atomic feast apply"), through the real binary on
// every backend, with the call sequence Feast v0.66's `feast apply` sends.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "larder/v1/registry.grpc.pb.h"
#include "tests/e2e/api_fixture.h"

namespace larder::testing {
namespace {

namespace v1 = ::larder::v1;

// A client on a connection of its own: gRPC C++ (like grpc-python) otherwise shares one
// connection between channels to the same address.
struct Connection {
  explicit Connection(ApiServer& api) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    channel = grpc::CreateCustomChannel(api.process().address(), grpc::InsecureChannelCredentials(),
                                        args);
    feast = reg::RegistryServer::NewStub(channel);
    larder = v1::Registry::NewStub(channel);
  }
  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    Response response;
    return (feast.get()->*method)(&context, request, &response);
  }
  v1::GetServerInfoResponse Info() {
    grpc::ClientContext context;
    v1::GetServerInfoResponse response;
    REQUIRE(Describe(larder->GetServerInfo(&context, v1::GetServerInfoRequest(), &response)) ==
            "OK");
    return response;
  }
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<Stub> feast;
  std::unique_ptr<v1::Registry::Stub> larder;
};

reg::ApplyEntityRequest StageEntity(const std::string& name) {
  reg::ApplyEntityRequest request;
  request.set_project("shop");
  *request.mutable_entity() = MakeEntity(name, name + "_id");
  request.set_commit(false);
  return request;
}

bool Exists(Connection& c, const std::string& name) {
  const grpc::Status status = c.Call(&Stub::GetEntity, Named<reg::GetEntityRequest>("shop", name));
  if (status.ok()) return true;
  REQUIRE(status.error_code() == grpc::StatusCode::NOT_FOUND);
  return false;
}

void StagedApplyIsAtomic(ScratchDatabase& db) {
  ApiServer api(db);
  Connection ci(api), reader(api);

  // `feast apply` (CLI): the diff's writes with commit=false, then UpdateInfra(commit=true).
  reg::ApplyProjectRequest project;
  project.mutable_project()->mutable_spec()->set_name("shop");
  REQUIRE(Describe(ci.Call(&Stub::ApplyProject, project)) == "OK");
  REQUIRE(Describe(ci.Call(&Stub::ApplyEntity, StageEntity("customer"))) == "OK");
  REQUIRE(Describe(ci.Call(&Stub::ApplyEntity, StageEntity("store"))) == "OK");
  CHECK(ci.Info().staged_feast_writes() == 3);
  CHECK_FALSE(Exists(reader, "customer"));  // nobody sees a partial apply
  CHECK(reader.Info().current_revision() == 0);

  reg::UpdateInfraRequest infra;
  infra.set_project("shop");
  infra.set_commit(true);
  REQUIRE(Describe(ci.Call(&Stub::UpdateInfra, infra)) == "OK");
  CHECK(Exists(reader, "customer"));
  CHECK(Exists(reader, "store"));
  CHECK(ci.Info().staged_feast_writes() == 0);
  const int64_t applied = reader.Info().current_revision();
  CHECK(applied >= 3);  // the project, two entities (and the infra row when it is new)

  // FeatureStore.apply: commit=false writes and deletions, then Commit. A deletion of an
  // object that is not there fails the whole apply at the Commit: nothing lands.
  REQUIRE(Describe(ci.Call(&Stub::ApplyEntity, StageEntity("courier"))) == "OK");
  REQUIRE(Describe(ci.Call(&Stub::DeleteEntity,
                           Named<reg::DeleteEntityRequest>("shop", "store"))) == "OK");
  REQUIRE(Describe(ci.Call(&Stub::DeleteEntity,
                           Named<reg::DeleteEntityRequest>("shop", "ghost"))) == "OK");
  CHECK(ci.Call(&Stub::Commit, Empty()).error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK_FALSE(Exists(reader, "courier"));
  CHECK(Exists(reader, "store"));
  CHECK(reader.Info().current_revision() == applied);

  // The same apply without the bad deletion commits whole.
  REQUIRE(Describe(ci.Call(&Stub::ApplyEntity, StageEntity("courier"))) == "OK");
  REQUIRE(Describe(ci.Call(&Stub::DeleteEntity,
                           Named<reg::DeleteEntityRequest>("shop", "store"))) == "OK");
  REQUIRE(Describe(ci.Call(&Stub::Commit, Empty())) == "OK");
  CHECK(Exists(reader, "courier"));
  CHECK_FALSE(Exists(reader, "store"));
  CHECK(reader.Info().current_revision() == applied + 2);

  // A client that dies midway (its connection closes) leaves nothing behind, and what it
  // staged is discarded by the server within a few seconds.
  {
    Connection doomed(api);
    REQUIRE(Describe(doomed.Call(&Stub::ApplyEntity, StageEntity("half"))) == "OK");
    CHECK(reader.Info().staged_feast_sessions() == 1);
  }
  v1::GetServerInfoResponse after;
  for (int i = 0; i < 100; ++i) {
    after = reader.Info();
    if (after.staged_feast_sessions() == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(after.staged_feast_sessions() == 0);
  CHECK(after.staged_feast_writes() == 0);
  CHECK_FALSE(Exists(reader, "half"));
  CHECK(after.current_revision() == applied + 2);
}
LARDER_BACKEND_TEST("staged Feast apply: commit=false writes land with the commit, all or nothing",
                    StagedApplyIsAtomic)

void StagingOff(ScratchDatabase& db) {
  ApiServer api(db, {"--staged-apply=off"});
  Connection ci(api);
  REQUIRE(Describe(ci.Call(&Stub::ApplyEntity, StageEntity("customer"))) == "OK");
  CHECK(Exists(ci, "customer"));  // Feast's SQL registry behaviour: written at once
  CHECK(ci.Info().staged_feast_writes() == 0);
}
LARDER_BACKEND_TEST("staged Feast apply: --staged-apply=off writes commit=false at once",
                    StagingOff)

}  // namespace
}  // namespace larder::testing
