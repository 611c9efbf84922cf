#pragma once

// Shared pieces of the end-to-end API tests (api_*_test.cc): a larder server on a scratch
// database with a client stub, builders for realistic Feast objects, the §6 example repository,
// Feast's error JSON, and read-only peeks at the database for what gRPC cannot show (the
// integer last_updated_timestamp column, feast_metadata, version history).
//
// Not thread-safe except ApiServer::Call, which may be used from several threads at once.

#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "feast/registry/RegistryServer.grpc.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "grpcpp/grpcpp.h"
#include "storage/object_kind.h"
#include "storage/store.h"
#include "tests/e2e/server_process.h"
#include "tests/support/scratch_database.h"

namespace larder::testing {

namespace core = ::feast::core;
namespace reg = ::feast::registry;
using Stub = ::feast::registry::RegistryServer::Stub;
using Empty = ::google::protobuf::Empty;
using Timestamp = ::google::protobuf::Timestamp;
using ValueType = ::feast::types::ValueType;

// "OK" or "<CODE>: <details>", so a failed REQUIRE shows what the server said.
std::string Describe(const grpc::Status& status);
const char* CodeName(grpc::StatusCode code);

// Feast's error details: {"module": "feast.errors", "class": ..., "message": ...} as Python's
// json.dumps writes it (the test strings are ASCII, so no escaping is needed).
std::string FeastJson(const std::string& feast_class, const std::string& message);

// Byte-stable serialization (map entries in key order) for "nothing changed" comparisons.
std::string Bytes(const google::protobuf::Message& message);

Timestamp Ts(int64_t seconds, int32_t nanos = 0);
int64_t Micros(const Timestamp& t);
// The test's wall clock, truncated to microseconds like the server's.
Timestamp NowTs();
std::string Text(const Timestamp& t);  // RFC 3339, for messages

// A larder process serving a fresh database, and a stub connected to it.
class ApiServer {
 public:
  // `extra_args` are appended to `serve --addr=127.0.0.1:0 --db=<url>`.
  explicit ApiServer(const ScratchDatabase& db, std::vector<std::string> extra_args = {})
      : ApiServer(db.url(), std::move(extra_args)) {}
  explicit ApiServer(const std::string& db_url, std::vector<std::string> extra_args = {});
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  template <typename Request, typename Response>
  using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&, Response*);

  // One unary call with a 30 s deadline. Thread-safe. A write is sent with commit=true, as
  // Feast's client sends a write on its own (commit=false writes wait for a commit: see
  // staged_apply_test.cc).
  template <typename Request, typename Response>
  grpc::Status Call(Method<Request, Response> method, const std::type_identity_t<Request>& request,
                    Response* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    if (!authorization_.empty()) context.AddMetadata("authorization", authorization_);
    if constexpr (requires(Request r) { r.set_commit(true); }) {
      if (!request.commit()) {
        Request committing = request;
        committing.set_commit(true);
        return (stub_.get()->*method)(&context, committing, response);
      }
    }
    return (stub_.get()->*method)(&context, request, response);
  }
  // The `authorization` metadata every later call sends, e.g. "Bearer <token>" (empty: none).
  // Not thread-safe: set it before calling from several threads.
  void set_authorization(std::string value) { authorization_ = std::move(value); }
  // The status alone, for calls expected to fail.
  template <typename Request, typename Response>
  grpc::Status Status(Method<Request, Response> method,
                      const std::type_identity_t<Request>& request) {
    Response ignored;
    return Call(method, request, &ignored);
  }
  // The response of a call that must succeed.
  template <typename Request, typename Response>
  Response Ok(Method<Request, Response> method, const std::type_identity_t<Request>& request) {
    Response response;
    const grpc::Status status = Call(method, request, &response);
    INFO("server output:\n" << process_.output());
    REQUIRE(Describe(status) == "OK");
    return response;
  }

  // Apply<Kind> with commit=false, as `feast apply` sends them.
  grpc::Status Apply(const std::string& project, const core::Entity& entity);
  grpc::Status Apply(const std::string& project, const core::DataSource& source);
  grpc::Status Apply(const std::string& project, const core::FeatureView& view);
  grpc::Status Apply(const std::string& project, const core::StreamFeatureView& view);
  grpc::Status Apply(const std::string& project, const core::OnDemandFeatureView& view);
  grpc::Status Apply(const std::string& project, const core::LabelView& view);
  grpc::Status Apply(const std::string& project, const core::FeatureService& service);
  grpc::Status Apply(const std::string& project, const core::SavedDataset& dataset);
  grpc::Status Apply(const std::string& project, const core::ValidationReference& reference);
  grpc::Status Apply(const std::string& project, const core::Permission& permission);
  grpc::Status Apply(const core::Project& project);
  grpc::Status Materialize(const std::string& project, const std::string& view,
                           const Timestamp& start, const Timestamp& end);

  core::Registry Proto() { return Ok(&Stub::Proto, Empty()); }

  Stub& stub() { return *stub_; }
  ServerProcess& process() { return process_; }
  const std::string& db_url() const { return db_url_; }

 private:
  std::string db_url_;
  std::string authorization_;
  ServerProcess process_;
  std::unique_ptr<Stub> stub_;
};

// A Get/Delete request naming (project, name); a List request for a project.
template <typename Request>
Request Named(const std::string& project, const std::string& name) {
  Request request;
  request.set_project(project);
  request.set_name(name);
  return request;
}
template <typename Request>
Request In(const std::string& project) {
  Request request;
  request.set_project(project);
  return request;
}

// Names of listed objects, in response order.
template <typename Repeated, typename NameOf>
std::vector<std::string> NamesOf(const Repeated& items, NameOf name_of) {
  std::vector<std::string> names;
  for (const auto& item : items) names.push_back(name_of(item));
  return names;
}
template <typename Repeated>
std::vector<std::string> SpecNames(const Repeated& items) {
  return NamesOf(items, [](const auto& item) { return item.spec().name(); });
}
std::vector<std::string> AnyViewNames(
    const google::protobuf::RepeatedPtrField<reg::AnyFeatureView>& views);
// "page,limit,total_count,total_pages,has_next,has_previous", e.g. "2,2,5,3,1,1".
std::string PaginationText(const reg::PaginationMetadata& m);

// --- Builders of realistic Feast objects (as the Python SDK's to_proto writes them).
core::FeatureSpecV2 Field(const std::string& name, ValueType::Enum type);
core::Entity MakeEntity(const std::string& name, const std::string& join_key,
                        ValueType::Enum type = ValueType::INT64);
core::DataSource FileSource(const std::string& name, const std::string& path);
core::DataSource RequestSource(const std::string& name, std::vector<core::FeatureSpecV2> schema);
core::DataSource KafkaSource(const std::string& name, const core::DataSource& batch);
core::FeatureView MakeFeatureView(const std::string& name, std::vector<std::string> entities,
                                  std::vector<core::FeatureSpecV2> features,
                                  const core::DataSource& batch_source);
core::StreamFeatureView MakeStreamView(const std::string& name, std::vector<std::string> entities,
                                       std::vector<core::FeatureSpecV2> features,
                                       const core::DataSource& stream_source);
// `sources` maps source names to OnDemandSources; see ViewSource/RequestInput.
core::OnDemandFeatureView MakeOnDemandView(const std::string& name,
                                           std::vector<core::FeatureSpecV2> features,
                                           std::map<std::string, core::OnDemandSource> sources);
core::OnDemandSource ViewSource(const core::FeatureView& view);
core::OnDemandSource RequestInput(const core::DataSource& request_source);
core::LabelView MakeLabelView(const std::string& name, std::vector<std::string> entities,
                              std::vector<core::FeatureSpecV2> features,
                              const core::DataSource& source);
// A projection of all the view's features (what `feast apply` sends: typed feature columns).
core::FeatureViewProjection Projection(const std::string& view_name,
                                       std::vector<core::FeatureSpecV2> features);
core::FeatureService MakeFeatureService(const std::string& name,
                                        std::vector<core::FeatureViewProjection> projections);
core::SavedDataset MakeSavedDataset(const std::string& name, const std::string& name_space,
                                    const std::string& collection);
core::ValidationReference MakeValidationReference(const std::string& name,
                                                  const std::string& dataset);
core::Permission MakePermission(const std::string& name);
core::Project MakeProject(const std::string& name, const std::string& description = "");
core::Infra SqliteInfra(const std::string& project, std::vector<std::string> views);

// Project "demo" with entities "driver" and "secret" and two permissions: role "reader" may
// DESCRIBE entities named driver* only, role "admin" may do everything to entities, projects and
// permissions. `api` must call with an admin's token (the auth tests' tokens file gives them).
void ApplyReaderAndAdminPolicy(ApiServer& api);

// --- The example repository of spec §6 (project "demo").
struct DemoRepo {
  std::string project = "demo";
  core::Project project_object;  // the Project the CLI synthesises (no description)
  core::DataSource driver_source, customer_source;
  core::Entity driver, customer, dummy;  // dummy = the placeholder entity "__dummy"
  core::FeatureView driver_stats, customer_profile;
  core::OnDemandFeatureView conv_adjusted;
  core::FeatureService activity;
  core::Infra infra;  // the SQLite online tables of the two feature views
};
DemoRepo MakeDemoRepo(const std::string& project = "demo");
// Applies the repository as the first `feast apply` (plan path) does: project, data sources,
// entities (with __dummy), feature views, the on-demand view, the feature service, then
// UpdateInfra(commit=true).
void ApplyDemoRepo(ApiServer& api, const DemoRepo& repo);

// "type:name>type:name" per relation, in response order.
std::vector<std::string> RelationsText(
    const google::protobuf::RepeatedPtrField<reg::EntityRelation>& relations);

// --- Read-only peeks at the database (a second client, as another replica would be).
std::optional<storage::ObjectRow> PeekRow(const std::string& db_url, storage::ObjectKind kind,
                                          const std::string& project, const std::string& name);
// Every feast_metadata row of the project, as key -> value.
std::map<std::string, std::string> PeekMetadata(const std::string& db_url,
                                                const std::string& project);
// The change log, oldest first.
std::vector<storage::ChangeRecord> PeekChanges(const std::string& db_url);
std::vector<storage::VersionRecord> PeekVersions(const std::string& db_url,
                                                 const std::string& project,
                                                 const std::string& view);

}  // namespace larder::testing

// REQUIRE/CHECK that a gRPC call succeeded, printing its status otherwise.
#define REQUIRE_OK(expr) REQUIRE(::larder::testing::Describe(expr) == "OK")
#define CHECK_OK(expr) CHECK(::larder::testing::Describe(expr) == "OK")
// CHECK a failure's exact code and, for Feast exceptions, its exact JSON details.
#define CHECK_FEAST_ERROR(expr, code, feast_class, message)     \
  CHECK(::larder::testing::Describe(expr) ==                    \
        std::string(::larder::testing::CodeName(code)) + ": " + \
            ::larder::testing::FeastJson(feast_class, message))
#define CHECK_PLAIN_ERROR(expr, code, message) \
  CHECK(::larder::testing::Describe(expr) ==   \
        std::string(::larder::testing::CodeName(code)) + ": " + (message))
