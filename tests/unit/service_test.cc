// The service layer called directly, without gRPC: what any new front end would do.
#include "server/service/feast_registry_service.h"

#include <catch2/catch.hpp>
#include <memory>
#include <set>
#include <string>

#include "feast/registry/RegistryServer.pb.h"
#include "google/protobuf/empty.pb.h"
#include "larder/v1/materialization.pb.h"
#include "larder/v1/registry.pb.h"
#include "server/registry/registry.h"
#include "server/service/larder_registry_service.h"
#include "server/service/materialization_service.h"
#include "storage/open_store.h"
#include "tests/support/scratch_database.h"
#include "tests/support/temp_dir.h"

namespace larder::service {
namespace {

namespace core = feast::core;
namespace reg = feast::registry;

struct Fixture {
  Fixture() : store(testing::OpenPreparedStore("sqlite:///" + dir.File("registry.db"))) {
    registry = std::make_unique<registry::Registry>(*store, clock);
    runner = std::make_unique<CallRunner>(*registry, nullptr, "");
    service = std::make_unique<FeastRegistryService>(*registry, *runner, staged);
  }

  // Runs method `name` through the one Run path, as a front end does.
  absl::StatusOr<Reply> Call(const std::string& name, const google::protobuf::Message& request,
                             CallContext context = {}) {
    const Method* method = service->Find(name);
    REQUIRE(method != nullptr);
    context.method = method->full_name;
    return Invoke(*runner, *method, context, request);
  }

  template <typename Response>
  Response Parse(const absl::StatusOr<Reply>& reply) {
    REQUIRE(reply.ok());
    Response response;
    REQUIRE(response.ParseFromString(reply->Serialize()));
    return response;
  }

  testing::TempDir dir;
  registry::SystemClock clock;
  std::unique_ptr<storage::SqlStore> store;
  std::unique_ptr<registry::Registry> registry;
  std::unique_ptr<CallRunner> runner;
  StagedWrites staged;
  std::unique_ptr<FeastRegistryService> service;
};

reg::ApplyEntityRequest ApplyDriver(const std::string& description = "") {
  reg::ApplyEntityRequest request;
  request.set_project("demo");
  request.mutable_entity()->mutable_spec()->set_name("driver");
  request.mutable_entity()->mutable_spec()->set_join_key("driver_id");
  request.mutable_entity()->mutable_spec()->set_description(description);
  return request;
}

TEST_CASE("the method table serves exactly the methods of Feast's RegistryServer proto",
          "[service]") {
  Fixture f;
  const google::protobuf::ServiceDescriptor* proto =
      reg::ApplyEntityRequest::descriptor()->file()->FindServiceByName("RegistryServer");
  REQUIRE(proto != nullptr);
  std::set<std::string> in_proto;
  for (int i = 0; i < proto->method_count(); ++i) {
    const google::protobuf::MethodDescriptor* m = proto->method(i);
    in_proto.insert(m->name());
    const Method* entry = f.service->Find(m->name());
    INFO(m->name());
    REQUIRE(entry != nullptr);
    CHECK(entry->request_type == m->input_type());
    CHECK(entry->full_name == proto->full_name() + "/" + m->name());
    CHECK(entry->counters != nullptr);
  }
  std::set<std::string> in_table;
  for (const Method& m : f.service->methods()) in_table.insert(m.name);
  CHECK(in_table == in_proto);
  CHECK(f.service->methods().size() == in_proto.size());  // no method listed twice
}

TEST_CASE("the larder.v1 table serves exactly the methods of larder.v1.Registry", "[service]") {
  Fixture f;
  LarderRegistryService larder(*f.registry, *f.runner);
  const google::protobuf::ServiceDescriptor* proto =
      larder::v1::ApplyBatchRequest::descriptor()->file()->FindServiceByName("Registry");
  REQUIRE(proto != nullptr);
  REQUIRE(larder.methods().size() == static_cast<size_t>(proto->method_count()));
  for (int i = 0; i < proto->method_count(); ++i) {
    const Method* entry = larder.Find(proto->method(i)->name());
    INFO(proto->method(i)->name());
    REQUIRE(entry != nullptr);
    CHECK(entry->request_type == proto->method(i)->input_type());
    CHECK(entry->full_name == proto->full_name() + "/" + proto->method(i)->name());
  }
}

TEST_CASE("the materialization table serves exactly the methods of larder.v1.Materialization",
          "[service]") {
  Fixture f;
  coordinator::MaterializationCoordinator coordinator(*f.registry, *f.store, f.clock);
  MaterializationService materialization(coordinator, *f.runner);
  const google::protobuf::ServiceDescriptor* proto =
      larder::v1::LeaseTasksRequest::descriptor()->file()->FindServiceByName("Materialization");
  REQUIRE(proto != nullptr);
  REQUIRE(materialization.methods().size() == static_cast<size_t>(proto->method_count()));
  for (int i = 0; i < proto->method_count(); ++i) {
    const Method* entry = materialization.Find(proto->method(i)->name());
    INFO(proto->method(i)->name());
    REQUIRE(entry != nullptr);
    CHECK(entry->request_type == proto->method(i)->input_type());
    CHECK(entry->full_name == proto->full_name() + "/" + proto->method(i)->name());
  }
}

TEST_CASE("service layer: apply, get, list and delete without any transport", "[service]") {
  Fixture f;
  REQUIRE(f.Call("ApplyEntity", ApplyDriver("first")).ok());

  reg::GetEntityRequest get;
  get.set_project("demo");
  get.set_name("driver");
  core::Entity got = f.Parse<core::Entity>(f.Call("GetEntity", get));
  CHECK(got.spec().name() == "driver");
  CHECK(got.spec().project() == "demo");
  CHECK(got.spec().description() == "first");

  reg::ListEntitiesRequest list;
  list.set_project("demo");
  auto listed = f.Parse<reg::ListEntitiesResponse>(f.Call("ListEntities", list));
  REQUIRE(listed.entities_size() == 1);
  CHECK(listed.entities(0).spec().join_key() == "driver_id");

  reg::DeleteEntityRequest del;
  del.set_project("demo");
  del.set_name("driver");
  REQUIRE(f.Call("DeleteEntity", del).ok());
  absl::StatusOr<Reply> gone = f.Call("GetEntity", get);
  CHECK(absl::IsNotFound(gone.status()));
}

TEST_CASE("every call, a cached read answered from memory included, passes the one Run path",
          "[service]") {
  Fixture f;
  REQUIRE(f.Call("ApplyEntity", ApplyDriver()).ok());
  reg::GetEntityRequest get;
  get.set_project("demo");
  get.set_name("driver");
  get.set_allow_cache(true);
  REQUIRE(f.Call("GetEntity", get).ok());  // catches the snapshot up after the write

  const Method* method = f.service->Find("GetEntity");
  REQUIRE(method->answers_from_memory);
  REQUIRE(method->answers_from_memory(get));  // the fast path: stored bytes, no database
  const CallStats::FrontEndCounters& grpc = method->counters->of(FrontEnd::kGrpc);
  const int64_t before = grpc.calls.load();
  const int64_t ok_before = grpc.finished_by_code[0].load();
  absl::StatusOr<Reply> reply = f.Call("GetEntity", get);
  REQUIRE(reply.ok());
  CHECK(reply->message() == nullptr);  // answered with the stored bytes
  CHECK(grpc.calls.load() == before + 1);
  CHECK(grpc.finished_by_code[0].load() == ok_before + 1);
  CHECK(grpc.in_flight.load() == 0);
  CHECK(grpc.latency.count() == grpc.calls.load());
  CHECK(f.runner->stats().Find(method->full_name) == method->counters);

  SECTION("a call whose client has gone is refused before it runs, and counted as an error") {
    CallContext cancelled;
    cancelled.cancelled = [] { return true; };
    const auto cancelled_code = static_cast<size_t>(absl::StatusCode::kCancelled);
    const int64_t errors = grpc.finished_by_code[cancelled_code].load();
    CHECK(absl::IsCancelled(f.Call("GetEntity", get, cancelled).status()));
    CHECK(grpc.finished_by_code[cancelled_code].load() == errors + 1);
  }
}

// In the sanitizer build (LARDER_SANITIZE) this also guards the registry assembly against
// writing zero bytes from a null pointer (UBSan; found by tests/fuzz/service_fuzzer).
TEST_CASE("service layer: Proto answers the assembled registry bytes", "[service]") {
  Fixture f;
  REQUIRE(f.Call("ApplyEntity", ApplyDriver()).ok());
  auto registry = f.Parse<core::Registry>(f.Call("Proto", google::protobuf::Empty()));
  REQUIRE(registry.entities_size() == 1);
  CHECK(registry.entities(0).spec().project() == "demo");
  REQUIRE(registry.projects_size() == 1);
  CHECK(registry.projects(0).spec().name() == "demo");
}

// --- Staged Feast applies (commit=false held until the session commits)

CallContext OnConnection(const std::string& peer) {
  CallContext context;
  context.peer = peer;
  return context;
}

reg::ApplyEntityRequest ApplyEntityIn(const std::string& project, const std::string& name,
                                      bool commit) {
  reg::ApplyEntityRequest request;
  request.set_project(project);
  request.mutable_entity()->mutable_spec()->set_name(name);
  request.mutable_entity()->mutable_spec()->set_join_key(name + "_id");
  request.set_commit(commit);
  return request;
}

bool EntityExists(Fixture& f, const std::string& project, const std::string& name) {
  absl::StatusOr<core::Entity> got = f.registry->Get<core::Entity>(project, name);
  if (!got.ok()) REQUIRE(absl::IsNotFound(got.status()));
  return got.ok();
}

TEST_CASE(
    "staged apply: commit=false writes are invisible until the session's Commit, then "
    "land in one transaction",
    "[service][staged]") {
  Fixture f;
  const CallContext a = OnConnection("ipv4:10.0.0.1:40001");
  REQUIRE(f.Call("ApplyEntity", ApplyEntityIn("demo", "driver", false), a).ok());
  REQUIRE(f.Call("ApplyEntity", ApplyEntityIn("demo", "rider", false), a).ok());
  CHECK(f.staged.held_writes() == 2);
  // Nobody sees a partial apply: not the database, not another connection.
  CHECK_FALSE(EntityExists(f, "demo", "driver"));
  reg::GetEntityRequest get;
  get.set_project("demo");
  get.set_name("driver");
  CHECK(absl::IsNotFound(f.Call("GetEntity", get, OnConnection("ipv4:10.0.0.2:40002")).status()));

  REQUIRE(f.Call("Commit", google::protobuf::Empty(), a).ok());
  CHECK(f.staged.held_writes() == 0);
  CHECK(EntityExists(f, "demo", "driver"));
  CHECK(EntityExists(f, "demo", "rider"));
  // One transaction: the two entities' changes carry one commit time and consecutive revisions.
  absl::StatusOr<std::vector<storage::ChangeRecord>> log = f.registry->ListChanges(0, 100);
  REQUIRE(log.ok());
  std::vector<storage::ChangeRecord> entities;
  for (const auto& c : *log) {
    if (c.kind == storage::ObjectKind::kEntity) entities.push_back(c);
  }
  REQUIRE(entities.size() == 2);
  CHECK(entities[1].revision == entities[0].revision + 1);
  CHECK(entities[1].changed_at_micros == entities[0].changed_at_micros);
}

TEST_CASE(
    "staged apply: a commit=true write commits the session's staged writes to its project "
    "with it",
    "[service][staged]") {
  Fixture f;
  const CallContext a = OnConnection("ipv4:10.0.0.1:40001");
  REQUIRE(f.Call("ApplyEntity", ApplyEntityIn("demo", "driver", false), a).ok());
  REQUIRE(f.Call("ApplyEntity", ApplyEntityIn("other", "store", false), a).ok());
  // What `feast apply` ends with: UpdateInfra(commit=true).
  reg::UpdateInfraRequest infra;
  infra.set_project("demo");
  infra.set_commit(true);
  REQUIRE(f.Call("UpdateInfra", infra, a).ok());
  CHECK(EntityExists(f, "demo", "driver"));
  CHECK_FALSE(EntityExists(f, "other", "store"));  // another project's writes still wait
  CHECK(f.staged.held_writes() == 1);
  REQUIRE(f.Call("Commit", google::protobuf::Empty(), a).ok());
  CHECK(EntityExists(f, "other", "store"));
}

TEST_CASE("staged apply: one failing write fails the commit and nothing of the apply lands",
          "[service][staged]") {
  Fixture f;
  const CallContext a = OnConnection("ipv4:10.0.0.1:40001");
  REQUIRE(f.Call("ApplyEntity", ApplyEntityIn("demo", "driver", false), a).ok());
  reg::DeleteEntityRequest del;
  del.set_project("demo");
  del.set_name("ghost");  // not there: Feast's EntityNotFoundException, at the commit
  REQUIRE(f.Call("DeleteEntity", del, a).ok());
  absl::StatusOr<Reply> commit = f.Call("Commit", google::protobuf::Empty(), a);
  CHECK(absl::IsNotFound(commit.status()));
  CHECK_FALSE(EntityExists(f, "demo", "driver"));
  CHECK(f.staged.held_writes() == 0);  // the failed apply is gone, not retried by the next commit
  REQUIRE(f.Call("Commit", google::protobuf::Empty(), a).ok());
  CHECK_FALSE(EntityExists(f, "demo", "driver"));
}

TEST_CASE("staged apply: sessions are per connection and credential", "[service][staged]") {
  Fixture f;
  CallContext a = OnConnection("ipv4:10.0.0.1:40001");
  CallContext a_other_user = a;
  a_other_user.authorization = "Bearer someone-else";
  REQUIRE(f.Call("ApplyEntity", ApplyEntityIn("demo", "driver", false), a).ok());
  REQUIRE(f.Call("Commit", google::protobuf::Empty(), OnConnection("ipv4:10.0.0.2:1")).ok());
  REQUIRE(f.Call("Commit", google::protobuf::Empty(), a_other_user).ok());
  CHECK_FALSE(EntityExists(f, "demo", "driver"));
  REQUIRE(f.Call("Commit", google::protobuf::Empty(), a).ok());
  CHECK(EntityExists(f, "demo", "driver"));
}

TEST_CASE("staged apply: a closed connection's or an idle session's writes are discarded",
          "[service][staged]") {
  StagedWrites staged({.idle_timeout = absl::Minutes(1)});
  const absl::Time t0 = absl::Now();
  auto nothing = [](registry::RegistryWrite&) { return absl::OkStatus(); };
  REQUIRE(staged.Stage(OnConnection("ipv4:10.0.0.1:1"), "demo", nothing, t0).ok());
  REQUIRE(staged.Stage(OnConnection("ipv4:10.0.0.2:2"), "demo", nothing, t0).ok());
  REQUIRE(
      staged.Stage(OnConnection("ipv4:10.0.0.3:3"), "demo", nothing, t0 + absl::Seconds(50)).ok());
  auto open = [](absl::string_view peer) { return peer != "ipv4:10.0.0.1:1"; };
  // A session that began after the connections were listed is not judged by that list.
  CHECK(staged.Expire(t0, open) == 0);
  CHECK(staged.Expire(t0 + absl::Seconds(1), open) == 1);  // 10.0.0.1's connection closed
  CHECK(staged.sessions() == 2);
  CHECK(staged.Expire(t0 + absl::Seconds(61)) == 1);  // 10.0.0.2 idle past the timeout
  CHECK(staged.sessions() == 1);
  CHECK(staged.Take(OnConnection("ipv4:10.0.0.3:3"), std::nullopt, t0).size() == 1);
}

TEST_CASE("staged apply: limits are refused with RESOURCE_EXHAUSTED, holding nothing more",
          "[service][staged]") {
  StagedWrites staged({.max_mutations_per_session = 2, .max_sessions = 1});
  auto nothing = [](registry::RegistryWrite&) { return absl::OkStatus(); };
  const absl::Time now = absl::Now();
  REQUIRE(staged.Stage(OnConnection("ipv4:10.0.0.1:1"), "demo", nothing, now).ok());
  REQUIRE(staged.Stage(OnConnection("ipv4:10.0.0.1:1"), "demo", nothing, now).ok());
  CHECK(absl::IsResourceExhausted(
      staged.Stage(OnConnection("ipv4:10.0.0.1:1"), "demo", nothing, now)));
  CHECK(absl::IsResourceExhausted(
      staged.Stage(OnConnection("ipv4:10.0.0.2:2"), "demo", nothing, now)));
  CHECK(staged.held_writes() == 2);
}

TEST_CASE("staged apply: off, or with no connection to key on, commit=false writes apply at once",
          "[service][staged]") {
  Fixture f;
  REQUIRE(f.Call("ApplyEntity", ApplyEntityIn("demo", "driver", false)).ok());  // no peer
  CHECK(EntityExists(f, "demo", "driver"));

  StagedWrites off({.enabled = false});
  FeastRegistryService unstaged(*f.registry, *f.runner, off);
  const Method* apply = unstaged.Find("ApplyEntity");
  REQUIRE(apply != nullptr);
  CallContext a = OnConnection("ipv4:10.0.0.1:40001");
  a.method = apply->full_name;
  REQUIRE(Invoke(*f.runner, *apply, a, ApplyEntityIn("demo", "rider", false)).ok());
  CHECK(EntityExists(f, "demo", "rider"));
}

}  // namespace
}  // namespace larder::service
