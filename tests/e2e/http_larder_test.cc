// Larder's own REST endpoints (/api/v1/larder/...: an object's history, the diff between two of
// its versions, the change feed newest first) through the real binary on every backend. Each
// answer is derived from what larder.v1 answers over gRPC for the same registry, so the HTTP
// transport is checked against the service it fronts; auth and DESCRIBE filtering as on gRPC.
#include <fstream>

#include "google/protobuf/util/json_util.h"
#include "larder/v1/registry.grpc.pb.h"
#include "tests/e2e/api_fixture.h"
#include "tests/e2e/http_client.h"
#include "tests/support/temp_dir.h"

namespace larder::testing {
namespace {

namespace v1 = ::larder::v1;

// MessageToDict, as the REST API renders objects.
Json Dict(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  std::string text;
  REQUIRE(google::protobuf::util::MessageToJsonString(message, &text, options).ok());
  return Json::parse(text);
}

struct V1 {
  explicit V1(ApiServer& api)
      : stub(v1::Registry::NewStub(
            grpc::CreateChannel(api.process().address(), grpc::InsecureChannelCredentials()))) {}
  std::vector<v1::Change> Changes(const v1::ListChangesRequest& request,
                                  const std::string& authorization = "") {
    grpc::ClientContext context;
    if (!authorization.empty()) context.AddMetadata("authorization", authorization);
    v1::ListChangesResponse response;
    REQUIRE(Describe(stub->ListChanges(&context, request, &response)) == "OK");
    return {response.changes().begin(), response.changes().end()};
  }
  std::vector<v1::Change> History(const std::string& project, const std::string& kind,
                                  const std::string& name) {
    grpc::ClientContext context;
    v1::GetObjectHistoryRequest request;
    request.set_project(project);
    request.set_kind(kind);
    request.set_name(name);
    v1::GetObjectHistoryResponse response;
    REQUIRE(Describe(stub->GetObjectHistory(&context, request, &response)) == "OK");
    return {response.changes().begin(), response.changes().end()};
  }
  std::unique_ptr<v1::Registry::Stub> stub;
};

// What the REST API says about one change (the feed's and history's common fields).
Json Summary(const v1::Change& change) {
  const Json dict = Dict(change);
  return {{"revision", change.revision()},   {"project", change.project()},
          {"kind", change.kind()},           {"name", change.name()},
          {"operation", change.operation()}, {"version", change.object_version()},
          {"actor", change.actor()},         {"changedAt", dict.value("changedAt", "")},
          {"requestId", change.request_id()}};
}

Json FeedOf(const std::vector<v1::Change>& oldest_first) {
  Json out = Json::array();
  for (auto it = oldest_first.rbegin(); it != oldest_first.rend(); ++it) {
    out.push_back(Summary(*it));
  }
  return out;
}

core::Entity DriverVersion(int version) {
  core::Entity driver = MakeEntity("driver", "driver_id");
  if (version >= 2) driver.mutable_spec()->set_description("the driver who drove");
  if (version >= 3) (*driver.mutable_spec()->mutable_tags())["team"] = "ml";
  return driver;
}

void HistoryAndDiff(ScratchDatabase& db) {
  ApiServer api(db);
  V1 v1api(api);
  const int port = api.process().http_port();
  REQUIRE_OK(api.Apply(MakeProject("demo")));
  for (int version = 1; version <= 3; ++version) {
    REQUIRE_OK(api.Apply("demo", DriverVersion(version)));
  }
  const core::DataSource source = FileSource("trips", "s3://bucket/trips.parquet");
  REQUIRE_OK(api.Apply("demo", source));
  REQUIRE_OK(api.Apply("demo", MakeFeatureView("driver_stats", {"driver"},
                                               {Field("rating", ValueType::DOUBLE)}, source)));

  // Every version, newest first, each with its stored object as the REST API renders objects.
  const std::vector<v1::Change> history = v1api.History("demo", "entity", "driver");
  REQUIRE(history.size() == 3);
  HttpResult got = HttpGet(port, "/api/v1/larder/history/entity/driver?project=demo");
  REQUIRE(got.status == 200);
  CHECK(got.Header("etag") == "\"r" + std::to_string(history.size() + 3) + "\"");
  Json want_versions = Json::array();
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    Json version = Summary(*it);
    core::Entity object;
    REQUIRE(object.ParseFromString(it->object()));
    version["object"] = Dict(object);
    want_versions.push_back(version);
  }
  const Json body = got.json();
  CHECK(body["project"] == "demo");
  CHECK(body["kind"] == "entity");
  CHECK(body["name"] == "driver");
  CHECK(body["versions"] == want_versions);
  CHECK(body["versions"][0]["version"] == 3);
  CHECK(body["versions"][0]["object"]["spec"]["tags"]["team"] == "ml");
  CHECK(body["versions"][2]["operation"] == "create");

  // The diff between two versions: one entry per changed leaf.
  auto paths = [](const Json& diff) {
    std::vector<std::string> out;
    for (const Json& entry : diff["changes"]) {
      out.push_back(entry["path"].get<std::string>() + " " + entry["change"].get<std::string>());
    }
    return out;
  };
  const Json latest =
      HttpGet(port, "/api/v1/larder/history/entity/driver/diff?project=demo").json();
  CHECK(latest["from"]["version"] == 2);
  CHECK(latest["to"]["version"] == 3);
  CHECK(latest["to"]["revision"] == history[2].revision());
  CHECK(paths(latest) ==
        std::vector<std::string>{"spec.tags added", "meta.lastUpdatedTimestamp changed"});
  CHECK(latest["changes"][0]["to"] == Json{{"team", "ml"}});
  const Json one_two =
      HttpGet(port, "/api/v1/larder/history/entity/driver/diff?project=demo&from=1&to=2").json();
  CHECK(paths(one_two) ==
        std::vector<std::string>{"spec.description changed", "meta.lastUpdatedTimestamp changed"});
  CHECK(one_two["changes"][0]["from"] == "driver id");
  CHECK(one_two["changes"][0]["to"] == "the driver who drove");
  const Json created =
      HttpGet(port, "/api/v1/larder/history/entity/driver/diff?project=demo&from=0&to=1").json();
  CHECK(created["from"] == Json{{"version", 0}});
  CHECK(paths(created) == std::vector<std::string>{"spec added", "meta added"});

  // Features inside a view are matched by name, not position.
  core::FeatureView wider = MakeFeatureView(
      "driver_stats", {"driver"},
      {Field("acc_rate", ValueType::FLOAT), Field("rating", ValueType::DOUBLE)}, source);
  REQUIRE_OK(api.Apply("demo", wider));
  const Json view_diff =
      HttpGet(port, "/api/v1/larder/history/feature_view/driver_stats/diff?project=demo").json();
  std::vector<std::string> view_paths = paths(view_diff);
  CHECK(std::count(view_paths.begin(), view_paths.end(), "spec.features[acc_rate] added") == 1);
  for (const std::string& path : view_paths) CHECK(path.find("[rating]") == std::string::npos);

  // Errors: Feast's error body, 404 for what is not there, 422 for what does not parse.
  HttpResult missing = HttpGet(port, "/api/v1/larder/history/entity/nobody?project=demo");
  CHECK(missing.status == 404);
  CHECK(missing.json()["detail"] == "no history for entity 'nobody' in project 'demo'");
  CHECK(
      HttpGet(port, "/api/v1/larder/history/entity/driver/diff?project=demo&from=1&to=9").status ==
      404);
  CHECK(HttpGet(port, "/api/v1/larder/history/entity/driver/diff?project=demo&from=x").status ==
        422);
  CHECK(HttpGet(port, "/api/v1/larder/history/widget/driver?project=demo").status == 422);
  CHECK(HttpGet(port, "/api/v1/larder/history/entity/driver").status == 422);
}
LARDER_BACKEND_TEST("http: /api/v1/larder history of an object and diffs between versions",
                    HistoryAndDiff)

void ChangeFeed(ScratchDatabase& db) {
  ApiServer api(db);
  V1 v1api(api);
  const int port = api.process().http_port();
  REQUIRE_OK(api.Apply(MakeProject("demo")));
  REQUIRE_OK(api.Apply(MakeProject("other")));
  for (int version = 1; version <= 3; ++version) {
    REQUIRE_OK(api.Apply("demo", DriverVersion(version)));
  }
  for (int i = 0; i < 5; ++i) {
    REQUIRE_OK(api.Apply("other", MakeEntity("customer_" + std::to_string(i), "customer_id")));
  }
  REQUIRE_OK(api.Apply("demo", MakeEntity("gone", "gone_id")));
  api.Ok(&Stub::DeleteEntity, Named<reg::DeleteEntityRequest>("demo", "gone"));

  const std::vector<v1::Change> all = v1api.Changes({});
  const Json want = FeedOf(all);
  const Json feed = HttpGet(port, "/api/v1/larder/changes").json();
  CHECK(feed["changes"] == want);
  CHECK(feed["currentRevision"] == all.back().revision());
  CHECK(feed["nextBefore"].is_null());
  CHECK(feed["changes"][0]["operation"] == "delete");
  CHECK(feed["changes"][0]["name"] == "gone");

  // Paged: following nextBefore walks the same feed, a page at a time.
  Json walked = Json::array();
  std::string path = "/api/v1/larder/changes?limit=4";
  for (int pages = 0; pages < 10; ++pages) {
    const Json page = HttpGet(port, path).json();
    REQUIRE(page["changes"].size() <= 4);
    for (const Json& change : page["changes"]) walked.push_back(change);
    if (page["nextBefore"].is_null()) break;
    path = "/api/v1/larder/changes?limit=4&before=" + page["nextBefore"].dump();
  }
  CHECK(walked == want);

  // Filters are larder.v1's.
  v1::ListChangesRequest demo_entities;
  demo_entities.set_project("demo");
  demo_entities.set_kind("entity");
  CHECK(HttpGet(port, "/api/v1/larder/changes?project=demo&kind=entity").json()["changes"] ==
        FeedOf(v1api.Changes(demo_entities)));
  const Json few = HttpGet(port, "/api/v1/larder/changes?project=other&limit=2").json();
  CHECK(few["changes"].size() == 2);
  CHECK(few["changes"][0]["name"] == "customer_4");
  CHECK(few["nextBefore"] == few["changes"][1]["revision"]);

  CHECK(HttpGet(port, "/api/v1/larder/changes?limit=0").status == 422);
  CHECK(HttpGet(port, "/api/v1/larder/changes?before=-3").status == 422);
  CHECK(HttpGet(port, "/api/v1/larder/changes?kind=widget").status == 422);
}
LARDER_BACKEND_TEST("http: /api/v1/larder/changes is the change feed, newest first, paged",
                    ChangeFeed)

constexpr char kTokens[] =
    "tok-admin admin roles=admin\n"
    "tok-reader reader roles=reader\n";

void HistoryAuth(ScratchDatabase& db) {
  TempDir dir;
  const std::string tokens = dir.File("tokens");
  std::ofstream(tokens) << kTokens;
  ApiServer api(db, {"--auth-tokens=" + tokens, "--default-project=demo"});
  V1 v1api(api);
  const int port = api.process().http_port();
  api.set_authorization("Bearer tok-admin");
  ApplyReaderAndAdminPolicy(api);

  CHECK(HttpGet(port, "/api/v1/larder/changes").status == 401);
  CHECK(HttpGet(port, "/api/v1/larder/history/entity/driver?project=demo").status == 401);
  // The admin's feed is what the same token reads over gRPC.
  const HttpResult admin =
      HttpGet(port, "/api/v1/larder/changes", {{"Authorization", "Bearer tok-admin"}});
  REQUIRE(admin.status == 200);
  CHECK(admin.json()["changes"] == FeedOf(v1api.Changes({}, "Bearer tok-admin")));
  CHECK(admin.json()["changes"].size() == 5);
  // The reader may describe driver only: its feed of driver is gRPC's; a feed that would show
  // what it may not describe is refused as a whole, as Feast's filter refuses a list (and as
  // ListChanges does over gRPC).
  v1::ListChangesRequest driver_only;
  driver_only.set_name("driver");
  const HttpResult reader =
      HttpGet(port, "/api/v1/larder/changes?name=driver", {{"Authorization", "Bearer tok-reader"}});
  REQUIRE(reader.status == 200);
  CHECK(reader.json()["changes"] == FeedOf(v1api.Changes(driver_only, "Bearer tok-reader")));
  CHECK(reader.json()["changes"].size() == 1);
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer tok-reader");
    v1::ListChangesResponse ignored;
    CHECK(v1api.stub->ListChanges(&context, {}, &ignored).error_code() ==
          grpc::StatusCode::PERMISSION_DENIED);
  }
  const HttpResult refused =
      HttpGet(port, "/api/v1/larder/changes", {{"Authorization", "Bearer tok-reader"}});
  CHECK(refused.status == 403);
  CHECK(refused.json()["error_type"] == "FeastPermissionError");
  CHECK(HttpGet(port, "/api/v1/larder/history/entity/driver?project=demo",
                {{"Authorization", "Bearer tok-reader"}})
            .status == 200);
  CHECK(HttpGet(port, "/api/v1/larder/history/entity/secret?project=demo",
                {{"Authorization", "Bearer tok-reader"}})
            .status == 403);
  CHECK(HttpGet(port, "/api/v1/larder/history/entity/secret?project=demo",
                {{"Authorization", "Bearer tok-admin"}})
            .status == 200);
}
LARDER_BACKEND_TEST("http: /api/v1/larder needs a token and filters by DESCRIBE as on gRPC",
                    HistoryAuth)

}  // namespace
}  // namespace larder::testing
