// What reaches the service as raw bytes: requests over --max-message-bytes and requests that are
// not valid protobuf get INVALID_ARGUMENT with a message that says so (not gRPC's own
// RESOURCE_EXHAUSTED/INTERNAL) and change nothing; and reads answered with stored bytes (Get of
// every kind, plain List, Proto) still fill in the project of objects Feast stored without one.
#include <future>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/generic/generic_stub.h"
#include "storage/open_store.h"
#include "tests/e2e/api_fixture.h"

namespace larder::testing {
namespace {

using grpc::StatusCode;

// One unary call of `method` with `bytes` as the request, through a stub that sends them as is.
grpc::Status RawCall(ApiServer& api, const std::string& method, const std::string& bytes,
                     grpc::ByteBuffer* response) {
  grpc::GenericStub generic(
      grpc::CreateChannel(api.process().address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  std::promise<grpc::Status> done;
  generic.UnaryCall(&context, "/feast.registry.RegistryServer/" + method, grpc::StubOptions(),
                    &request, response, [&done](grpc::Status s) { done.set_value(std::move(s)); });
  return done.get_future().get();
}

void OversizeRequestRefused(ScratchDatabase& db) {
  ApiServer api(db, {"--max-message-bytes=4096"});
  core::Entity big = MakeEntity("driver", "driver_id");
  big.mutable_spec()->set_description(std::string(5000, 'd'));
  const grpc::Status status = api.Apply("demo", big);
  CHECK(status.error_code() == StatusCode::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(),
             Catch::Contains("exceeds the server's limit of 4096 bytes (--max-message-bytes)"));
  // Nothing was written, and a request under the limit still works.
  CHECK(api.Ok(&Stub::ListProjects, reg::ListProjectsRequest()).projects_size() == 0);
  big.mutable_spec()->set_description("small");
  CHECK_OK(api.Apply("demo", big));
}
LARDER_BACKEND_TEST(
    "wire: a request over --max-message-bytes is INVALID_ARGUMENT and writes "
    "nothing",
    OversizeRequestRefused)

void MalformedRequestRefused(ScratchDatabase& db) {
  ApiServer api(db);
  // A truncated length-delimited field; and fields 1 and 2 holding invalid UTF-8 (a string
  // field in each of these requests).
  const std::string truncated("\x0a\x10\x01\x02", 4);
  const std::string bad_utf8("\x0a\x02\xc3\x28\x12\x02\xc3\x28", 8);
  for (const std::string method : {"ApplyEntity", "GetEntity", "ListEntities", "Proto"}) {
    for (const std::string* bytes : {&truncated, &bad_utf8}) {
      if (method == "Proto" && bytes == &bad_utf8) continue;  // Empty has no string field
      INFO(method << " with " << bytes->size() << " bytes");
      grpc::ByteBuffer response;
      const grpc::Status status = RawCall(api, method, *bytes, &response);
      CHECK(status.error_code() == StatusCode::INVALID_ARGUMENT);
      CHECK_THAT(status.error_message(), Catch::Contains("malformed request"));
    }
  }
  CHECK(api.Ok(&Stub::ListProjects, reg::ListProjectsRequest()).projects_size() == 0);
  // The server is unharmed.
  REQUIRE_OK(api.Apply("demo", MakeEntity("driver", "driver_id")));
  CHECK(api.Ok(&Stub::GetEntity, Named<reg::GetEntityRequest>("demo", "driver")).spec().name() ==
        "driver");
}
LARDER_BACKEND_TEST("wire: malformed request bytes are INVALID_ARGUMENT and change nothing",
                    MalformedRequestRefused)

// Feast's own SqlRegistry may store objects whose spec.project is empty; Larder's answers always
// carry the project, also when they are the stored bytes sent as they are.
void StoredBytesGetTheirProject(ScratchDatabase& db) {
  {
    ApiServer api(db);
    REQUIRE_OK(api.Apply("demo", MakeEntity("driver", "driver_id")));
    REQUIRE_OK(
        api.Apply("demo", MakeFeatureView("stats", {"driver"}, {Field("trips", ValueType::INT64)},
                                          FileSource("src", "s.parquet"))));
  }
  auto url = storage::ParseDatabaseUrl(db.url());
  REQUIRE(url.ok());
  auto store = storage::OpenStore(*url, storage::StoreOptions());
  REQUIRE(store.ok());
  auto strip_project = [&](storage::ObjectKind kind, const std::string& name, auto message) {
    REQUIRE((*store)
                ->Run(storage::TxMode::kReadWrite,
                      [&](storage::Transaction& tx) -> absl::Status {
                        auto row = tx.GetObject(kind, "demo", name, storage::Lock::kForUpdate);
                        if (!row.ok()) return row.status();
                        if (!message.ParseFromString((*row)->proto)) {
                          return absl::DataLossError("stored row does not parse");
                        }
                        message.mutable_spec()->clear_project();
                        (*row)->proto = message.SerializeAsString();
                        return tx.UpdateObject(kind, **row);
                      })
                .ok());
  };
  strip_project(storage::ObjectKind::kEntity, "driver", core::Entity());
  strip_project(storage::ObjectKind::kFeatureView, "stats", core::FeatureView());
  store->reset();

  ApiServer api(db);
  for (const bool cached : {false, true}) {
    INFO("allow_cache " << cached);
    auto get_entity = Named<reg::GetEntityRequest>("demo", "driver");
    get_entity.set_allow_cache(cached);
    const core::Entity entity = api.Ok(&Stub::GetEntity, get_entity);
    CHECK(entity.spec().project() == "demo");
    CHECK(entity.spec().join_key() == "driver_id");
    auto get_view = Named<reg::GetFeatureViewRequest>("demo", "stats");
    get_view.set_allow_cache(cached);
    const core::FeatureView view = api.Ok(&Stub::GetFeatureView, get_view);
    CHECK(view.spec().project() == "demo");
    CHECK(view.spec().features_size() == 1);
    auto list_views = In<reg::ListFeatureViewsRequest>("demo");
    list_views.set_allow_cache(cached);
    const auto listed = api.Ok(&Stub::ListFeatureViews, list_views);
    REQUIRE(listed.feature_views_size() == 1);
    CHECK(listed.feature_views(0).spec().project() == "demo");
    CHECK(PaginationText(listed.pagination()) == "0,0,1,1,0,0");
  }
  for (const bool cached : {false, true}) {
    auto list_all = In<reg::ListAllFeatureViewsRequest>("demo");
    list_all.set_allow_cache(cached);
    const auto listed = api.Ok(&Stub::ListAllFeatureViews, list_all);
    REQUIRE(listed.feature_views_size() == 1);
    CHECK(listed.feature_views(0).feature_view().spec().project() == "demo");
  }
  const core::Registry registry = api.Proto();
  REQUIRE(registry.entities_size() == 1);
  CHECK(registry.entities(0).spec().project() == "demo");
  REQUIRE(registry.feature_views_size() == 1);
  CHECK(registry.feature_views(0).spec().project() == "demo");
  CHECK(registry.projects_size() == 1);
}
LARDER_BACKEND_TEST(
    "wire: objects stored without a project are answered with it (Get, List, Proto)",
    StoredBytesGetTheirProject)

// ListAllFeatureViews with only pagination is answered with the stored bytes; it must answer
// exactly what the decoding path (taken here by a filter every view passes) answers: the same
// views of every kind in the same order, the same pagination metadata.
void ListAllFeatureViewsStoredMatchesDecoded(ScratchDatabase& db) {
  ApiServer api(db);
  const core::DataSource source = FileSource("src", "s.parquet");
  REQUIRE_OK(api.Apply("demo", MakeEntity("driver", "driver_id")));
  for (const char* name : {"b_view", "a_view", "c_view"}) {
    REQUIRE_OK(api.Apply(
        "demo", MakeFeatureView(name, {"driver"}, {Field("trips", ValueType::INT64)}, source)));
  }
  const core::DataSource kafka = KafkaSource("events", source);
  REQUIRE_OK(api.Apply(
      "demo", MakeStreamView("stream_view", {"driver"}, {Field("n", ValueType::INT64)}, kafka)));
  REQUIRE_OK(api.Apply(
      "demo", MakeLabelView("labels", {"driver"}, {Field("ok", ValueType::BOOL)}, source)));
  for (const bool cached : {false, true}) {
    for (const auto& [page, limit] :
         std::vector<std::pair<int, int>>{{0, 0}, {1, 2}, {2, 2}, {3, 2}}) {
      INFO("allow_cache " << cached << " page " << page << " limit " << limit);
      auto plain = In<reg::ListAllFeatureViewsRequest>("demo");
      plain.set_allow_cache(cached);
      plain.mutable_pagination()->set_page(page);
      plain.mutable_pagination()->set_limit(limit);
      auto decoded = plain;
      decoded.mutable_updated_since()->set_seconds(1);  // every view passes
      const auto stored = api.Ok(&Stub::ListAllFeatureViews, plain);
      const auto typed = api.Ok(&Stub::ListAllFeatureViews, decoded);
      CHECK(google::protobuf::util::MessageDifferencer::Equals(stored, typed));
      if (page == 0) CHECK(stored.feature_views_size() == 4);  // never the label view
    }
  }
}
LARDER_BACKEND_TEST("wire: ListAllFeatureViews from stored bytes answers what decoding answers",
                    ListAllFeatureViewsStoredMatchesDecoded)

}  // namespace
}  // namespace larder::testing
