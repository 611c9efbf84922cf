// Feast's REST registry API (v0.66, /api/v1) through the real binary on every backend, for a
// registry seeded over gRPC with every object kind. Each endpoint's JSON is compared field by
// field with what Feast's REST server builds for the same objects: the expectation is derived
// here from the gRPC answer the same way Feast's handlers derive theirs (MessageToDict of the
// RegistryServer response, then the handler's reshaping), and the mapping rules themselves
// (camelCase, int64 as strings, enums by name, RFC 3339 times) are checked on known fields.
#include <fstream>

#include "google/protobuf/util/json_util.h"
#include "tests/e2e/api_fixture.h"
#include "tests/e2e/http_client.h"
#include "tests/support/temp_dir.h"

namespace larder::testing {
namespace {

// Feast's MessageToDict: camelCase names, no default-valued fields, enums by name.
Json Dict(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  options.always_print_primitive_fields = false;
  std::string text;
  REQUIRE(google::protobuf::util::MessageToJsonString(message, &text, options).ok());
  return Json::parse(text);
}

// The members of a JSON array (an absent key of MessageToDict is an empty list).
Json ListOf(const Json& dict, const std::string& key) {
  return dict.contains(key) ? dict[key] : Json::array();
}
Json ObjectOf(const Json& dict, const std::string& key) {
  return dict.contains(key) ? dict[key] : Json::object();
}

// Compares two JSON values field by field, so a failure names the first differing path.
void CheckSameJson(const Json& got, const Json& want, const std::string& path = "$") {
  INFO(path << "\n got: " << got.dump() << "\nwant: " << want.dump());
  if (got.is_number() && want.is_number()) {  // 1 parses unsigned, a built 1 is signed
    CHECK(got == want);
    return;
  }
  REQUIRE(got.type() == want.type());
  if (want.is_object()) {
    std::vector<std::string> got_keys, want_keys;
    for (const auto& [key, value] : got.items()) got_keys.push_back(key);
    for (const auto& [key, value] : want.items()) want_keys.push_back(key);
    std::sort(got_keys.begin(), got_keys.end());
    std::sort(want_keys.begin(), want_keys.end());
    REQUIRE(got_keys == want_keys);
    for (const auto& [key, value] : want.items()) CheckSameJson(got[key], value, path + "." + key);
  } else if (want.is_array()) {
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      CheckSameJson(got[i], want[i], path + "[" + std::to_string(i) + "]");
    }
  } else {
    CHECK(got == want);
  }
}

// Feast's _extract_feature_view_from_any.
Json Flatten(const Json& any) {
  for (const auto& [key, value] : any.items()) {
    if (!value.is_object() || value.empty()) continue;
    Json flat = Json::object();
    flat["type"] = key;
    for (const auto& [field, content] : value.items()) flat[field] = content;
    return flat;
  }
  return Json::object();
}

struct Seeded {
  DemoRepo repo = MakeDemoRepo("demo");
};

// Every kind: the demo repository (project, sources, entities, views, on-demand view, feature
// service) plus a stream view, a label view, a saved dataset, a permission, a validation
// reference, and a second project.
Seeded Seed(ApiServer& api) {
  Seeded seeded;
  ApplyDemoRepo(api, seeded.repo);
  const std::string p = seeded.repo.project;
  const core::DataSource kafka = KafkaSource("driver_events", seeded.repo.driver_source);
  REQUIRE_OK(api.Apply(p, kafka));
  REQUIRE_OK(api.Apply(p, MakeStreamView("driver_stream", {"driver"},
                                         {Field("trips_5m", ValueType::INT64)}, kafka)));
  REQUIRE_OK(
      api.Apply(p, MakeLabelView("driver_labels", {"driver"}, {Field("is_fraud", ValueType::BOOL)},
                                 seeded.repo.driver_source)));
  REQUIRE_OK(api.Apply(p, MakeSavedDataset("training_set", "ns", "coll")));
  REQUIRE_OK(api.Apply(p, MakeValidationReference("ref", "training_set")));
  REQUIRE_OK(api.Apply(p, MakePermission("readers")));
  REQUIRE_OK(api.Apply(MakeProject("other", "another team")));
  REQUIRE_OK(api.Apply("other", MakeEntity("merchant", "merchant_id", ValueType::STRING)));
  return seeded;
}

Json RelationshipsOf(ApiServer& api, const std::string& project, const std::string& type,
                     const std::string& name) {
  reg::GetObjectRelationshipsRequest request;
  request.set_project(project);
  request.set_object_type(type);
  request.set_object_name(name);
  request.set_include_indirect(true);
  request.set_allow_cache(true);
  return ListOf(Dict(api.Ok(&Stub::GetObjectRelationships, request)), "relationships");
}

Json GetJson(int port, const std::string& path, int want_status = 200) {
  HttpResult result = HttpGet(port, path);
  INFO(path << " -> " << result.status << " " << result.body);
  REQUIRE(result.status == want_status);
  CHECK(result.Header("content-type") == "application/json");
  Json json = result.json();
  REQUIRE_FALSE(json.is_discarded());
  return json;
}

void ObjectEndpoints(ScratchDatabase& db) {
  ApiServer api(db);
  const int port = api.process().http_port();
  REQUIRE(port > 0);
  Seeded seeded = Seed(api);
  const std::string p = "demo";

  // The mapping rules on known fields: camelCase names, enums by name, RFC 3339 times.
  const Json driver = GetJson(port, "/api/v1/entities/driver?project=demo");
  CHECK(driver["spec"]["joinKey"] == "driver_id");
  CHECK(driver["spec"]["valueType"] == "INT64");
  CHECK(driver["meta"]["createdTimestamp"].get<std::string>().back() == 'Z');
  CHECK_FALSE(driver["spec"].contains("join_key"));

  // --- Entities: list, across projects, one (with its related data sources).
  {
    const Json grpc = Dict(api.Ok(&Stub::ListEntities, In<reg::ListEntitiesRequest>(p)));
    Json want = Json::object();
    want["entities"] = ListOf(grpc, "entities");
    want["pagination"] = ObjectOf(grpc, "pagination");
    CheckSameJson(GetJson(port, "/api/v1/entities?project=demo"), want);

    // include_relationships: {name: relationships} for each listed entity.
    want["relationships"] = Json::object();
    for (const Json& entity : want["entities"]) {
      const std::string name = entity["spec"]["name"];
      want["relationships"][name] = RelationshipsOf(api, p, "entity", name);
    }
    CheckSameJson(GetJson(port, "/api/v1/entities?project=demo&include_relationships=true"), want);

    Json one = Dict(api.Ok(&Stub::GetEntity, Named<reg::GetEntityRequest>(p, "driver")));
    const Json sources = ListOf(
        Dict(api.Ok(&Stub::ListDataSources, In<reg::ListDataSourcesRequest>(p))), "dataSources");
    Json related_sources = Json::array();
    for (const Json& relationship : RelationshipsOf(api, p, "entity", "driver")) {
      if (relationship["target"]["type"] != "dataSource") continue;
      for (const Json& source : sources) {
        if (source["name"] == relationship["target"]["name"] &&
            std::find(related_sources.begin(), related_sources.end(), source) ==
                related_sources.end()) {
          related_sources.push_back(source);
        }
      }
    }
    CHECK_FALSE(related_sources.empty());
    one["dataSources"] = related_sources;
    CheckSameJson(driver, one);
  }

  // --- The /all lists: every project's objects tagged with their project, paged 1/50.
  {
    Json all = Json::array();
    for (const std::string project : {"demo", "other"}) {
      for (Json entity :
           ListOf(Dict(api.Ok(&Stub::ListEntities, In<reg::ListEntitiesRequest>(project))),
                  "entities")) {
        entity["project"] = project;
        all.push_back(entity);
      }
    }
    Json want = Json::object();
    want["entities"] = all;
    want["pagination"] = {{"page", 1},
                          {"limit", 50},
                          {"totalCount", static_cast<int64_t>(all.size())},
                          {"totalPages", 1}};
    CheckSameJson(GetJson(port, "/api/v1/entities/all"), want);
    // Paging and sorting by project, descending: "other" first; page 2 of 2 per page.
    const Json page =
        GetJson(port, "/api/v1/entities/all?limit=2&page=1&sort_by=project&sort_order=desc");
    REQUIRE(page["entities"].size() == 2);
    CHECK(page["entities"][0]["project"] == "other");
    CHECK(page["pagination"]["hasNext"] == true);
    CHECK_FALSE(page["pagination"].contains("hasPrevious"));
  }

  // --- Data sources, feature services, saved datasets, permissions: list and get.
  struct Case {
    std::string path, key, name;
    Json list, one;
  };
  std::vector<Case> cases;
  cases.push_back({"data_sources", "dataSources", "driver_stats_source",
                   Dict(api.Ok(&Stub::ListDataSources, In<reg::ListDataSourcesRequest>(p))),
                   Dict(api.Ok(&Stub::GetDataSource,
                               Named<reg::GetDataSourceRequest>(p, "driver_stats_source")))});
  cases.push_back({"feature_services", "featureServices", "driver_activity",
                   Dict(api.Ok(&Stub::ListFeatureServices, In<reg::ListFeatureServicesRequest>(p))),
                   Dict(api.Ok(&Stub::GetFeatureService,
                               Named<reg::GetFeatureServiceRequest>(p, "driver_activity")))});
  cases.push_back({"saved_datasets", "savedDatasets", "training_set",
                   Dict(api.Ok(&Stub::ListSavedDatasets, In<reg::ListSavedDatasetsRequest>(p))),
                   Dict(api.Ok(&Stub::GetSavedDataset,
                               Named<reg::GetSavedDatasetRequest>(p, "training_set")))});
  cases.push_back(
      {"permissions", "permissions", "readers",
       Dict(api.Ok(&Stub::ListPermissions, In<reg::ListPermissionsRequest>(p))),
       Dict(api.Ok(&Stub::GetPermission, Named<reg::GetPermissionRequest>(p, "readers")))});
  for (const Case& c : cases) {
    INFO(c.path);
    REQUIRE_FALSE(ListOf(c.list, c.key).empty());
    Json want = Json::object();
    want[c.key] = ListOf(c.list, c.key);
    want["pagination"] = ObjectOf(c.list, "pagination");
    CheckSameJson(GetJson(port, "/api/v1/" + c.path + "?project=demo"), want);
    CheckSameJson(GetJson(port, "/api/v1/" + c.path + "/" + c.name + "?project=demo"), c.one);
  }
  // The data source's timestamps and the feature service's nested projections keep Feast's names.
  CHECK(cases[1].one["spec"]["features"][0].contains("featureViewName"));

  // --- Feature views of every kind in one list, flattened to {"type": kind, ...}.
  {
    const Json grpc =
        Dict(api.Ok(&Stub::ListAllFeatureViews, In<reg::ListAllFeatureViewsRequest>(p)));
    Json views = Json::array();
    for (const Json& any : ListOf(grpc, "featureViews")) views.push_back(Flatten(any));
    std::set<std::string> types;
    for (const Json& view : views) types.insert(view["type"]);
    CHECK(types ==
          std::set<std::string>{"featureView", "onDemandFeatureView", "streamFeatureView"});
    Json want = Json::object();
    want["featureViews"] = views;
    want["pagination"] = ObjectOf(grpc, "pagination");
    CheckSameJson(GetJson(port, "/api/v1/feature_views?project=demo"), want);
    // A filter is passed through (views of entity "customer" only).
    const Json customer = GetJson(port, "/api/v1/feature_views?project=demo&entity=customer");
    REQUIRE(customer["featureViews"].size() == 1);
    CHECK(customer["featureViews"][0]["spec"]["name"] == "customer_profile");

    for (const std::string name : {"driver_hourly_stats", "driver_stream"}) {
      reg::GetAnyFeatureViewRequest request = Named<reg::GetAnyFeatureViewRequest>(p, name);
      const Json one =
          Flatten(ObjectOf(Dict(api.Ok(&Stub::GetAnyFeatureView, request)), "anyFeatureView"));
      CheckSameJson(GetJson(port, "/api/v1/feature_views/" + name + "?project=demo"), one);
    }
    // int64 as a string, a Duration as "<seconds>s".
    const Json stats = GetJson(port, "/api/v1/feature_views/driver_hourly_stats?project=demo");
    CHECK(stats["spec"]["ttl"].get<std::string>().back() == 's');
  }

  // --- Label views answer under "featureViews", typed "labelView".
  {
    const Json grpc = Dict(api.Ok(&Stub::ListLabelViews, In<reg::ListLabelViewsRequest>(p)));
    Json views = ListOf(grpc, "labelViews");
    for (Json& view : views) view["type"] = "labelView";
    Json want = Json::object();
    want["featureViews"] = views;
    want["pagination"] = ObjectOf(grpc, "pagination");
    CheckSameJson(GetJson(port, "/api/v1/label_views?project=demo"), want);
  }

  // --- Projects.
  {
    const Json grpc = Dict(api.Ok(&Stub::ListProjects, reg::ListProjectsRequest()));
    Json want = Json::object();
    want["projects"] = ListOf(grpc, "projects");
    want["pagination"] = ObjectOf(grpc, "pagination");
    CheckSameJson(GetJson(port, "/api/v1/projects"), want);
    reg::GetProjectRequest request;
    request.set_name("other");
    CheckSameJson(GetJson(port, "/api/v1/projects/other"),
                  Dict(api.Ok(&Stub::GetProject, request)));
  }

  // --- Lineage: the registry graph renamed as Feast's handler does, and one object's.
  {
    reg::GetRegistryLineageRequest request;
    request.set_project(p);
    request.set_allow_cache(true);
    const Json grpc = Dict(api.Ok(&Stub::GetRegistryLineage, request));
    Json want = Json::object();
    want["relationships"] = ListOf(grpc, "relationships");
    want["indirect_relationships"] = ListOf(grpc, "indirectRelationships");
    want["relationships_pagination"] = ObjectOf(grpc, "relationshipsPagination");
    want["indirect_relationships_pagination"] = ObjectOf(grpc, "indirectRelationshipsPagination");
    CHECK_FALSE(want["relationships"].empty());
    CheckSameJson(GetJson(port, "/api/v1/lineage/registry?project=demo"), want);

    reg::GetObjectRelationshipsRequest one;
    one.set_project(p);
    one.set_object_type("featureView");
    one.set_object_name("driver_hourly_stats");
    one.set_include_indirect(true);
    CheckSameJson(GetJson(port,
                          "/api/v1/lineage/objects/featureView/driver_hourly_stats?project=demo&"
                          "include_indirect=true"),
                  Dict(api.Ok(&Stub::GetObjectRelationships, one)));
  }
}
LARDER_BACKEND_TEST("http: every Feast REST read endpoint matches Feast's JSON", ObjectEndpoints)

void Errors(ScratchDatabase& db) {
  ApiServer api(db);
  const int port = api.process().http_port();
  REQUIRE_OK(api.Apply(MakeProject("demo")));

  // Feast's exception handlers: FeastObjectNotFoundException -> 404 with Feast's message.
  Json missing = GetJson(port, "/api/v1/entities/nope?project=demo", 404);
  CHECK(missing == Json{{"status_code", 404},
                        {"detail", "Entity nope does not exist in project demo"},
                        {"error_type", "FeastObjectNotFoundException"}});
  CHECK(GetJson(port, "/api/v1/feature_views/nope?project=demo", 404)["error_type"] ==
        "FeastObjectNotFoundException");
  // Query validation: 422 naming the parameter.
  CHECK(GetJson(port, "/api/v1/entities", 422)["detail"].get<std::string>().find("project") !=
        std::string::npos);
  CHECK(GetJson(port, "/api/v1/entities?project=demo&limit=101", 422)["detail"]
            .get<std::string>()
            .find("limit") != std::string::npos);
  GetJson(port, "/api/v1/entities?project=demo&page=0", 422);
  GetJson(port, "/api/v1/entities?project=demo&allow_cache=perhaps", 422);
  GetJson(port, "/api/v1/entities?project=demo&sort_order=sideways", 422);
  GetJson(port, "/api/v1/lineage/objects/table/x?project=demo", 422);
  // Unknown paths: FastAPI's 404.
  CHECK(GetJson(port, "/api/v1/nothing-here", 404)["detail"] == "Not Found");
  GetJson(port, "/no/such/thing", 404);
  // Needs an offline store: 501 saying so.
  Json offline = GetJson(port, "/api/v1/saved_datasets/data/x?project=demo", 501);
  CHECK(offline["detail"].get<std::string>().find("offline store") != std::string::npos);
  // Writes are not served over REST.
  CHECK(HttpRequestOf(port, "POST", "/api/v1/entities").status == 405);
  CHECK(HttpRequestOf(port, "DELETE", "/api/v1/entities/x?project=demo").status == 405);
}
LARDER_BACKEND_TEST("http: Feast REST errors, statuses and bodies", Errors)

void EtagAndGzip(ScratchDatabase& db) {
  ApiServer api(db);
  const int port = api.process().http_port();
  REQUIRE_OK(api.Apply("demo", MakeEntity("driver", "driver_id")));

  const std::string path = "/api/v1/entities?project=demo&allow_cache=false";
  HttpResult first = HttpGet(port, path);
  REQUIRE(first.status == 200);
  const std::string etag = first.Header("etag");
  REQUIRE(etag.size() > 2);
  CHECK(etag.front() == '"');
  HttpResult same = HttpGet(port, path, {{"If-None-Match", etag}});
  CHECK(same.status == 304);
  CHECK(same.body.empty());
  CHECK(HttpGet(port, path, {{"If-None-Match", "\"r0\""}}).status == 200);
  // A write moves the registry revision: the old tag no longer matches.
  REQUIRE_OK(api.Apply("demo", MakeEntity("customer", "customer_id")));
  HttpResult after = HttpGet(port, path, {{"If-None-Match", etag}});
  CHECK(after.status == 200);
  CHECK(after.Header("etag") != etag);
  CHECK(after.json()["entities"].size() == 2);

  // gzip when asked (the client decompresses; the header shows it was compressed).
  HttpResult zipped = HttpGet(port, path, {{"Accept-Encoding", "gzip"}});
  CHECK(zipped.status == 200);
  CHECK(zipped.Header("content-encoding") == "gzip");
  CHECK(zipped.json()["entities"].size() == 2);
  CHECK(HttpGet(port, path).Header("content-encoding").empty());
}
LARDER_BACKEND_TEST("http: ETag is the registry revision, If-None-Match gives 304, gzip",
                    EtagAndGzip)

constexpr char kTokens[] =
    "tok-admin admin roles=admin\n"
    "tok-reader reader roles=reader\n";

void Auth(ScratchDatabase& db) {
  TempDir dir;
  const std::string tokens = dir.File("tokens");
  std::ofstream(tokens) << kTokens;
  ApiServer api(db, {"--auth-tokens=" + tokens, "--default-project=demo"});
  const int port = api.process().http_port();
  api.set_authorization("Bearer tok-admin");
  ApplyReaderAndAdminPolicy(api);

  const std::string path = "/api/v1/entities?project=demo&allow_cache=false";
  HttpResult none = HttpGet(port, path);
  CHECK(none.status == 401);
  CHECK(none.json()["detail"] == "Missing authorization header");
  CHECK(HttpGet(port, path, {{"Authorization", "Bearer tok-wrong"}}).status == 401);
  // The probes need no token.
  CHECK(HttpGet(port, "/healthz").status == 200);

  auto names = [&](const std::string& token) {
    std::vector<std::string> out;
    HttpResult result = HttpGet(port, path, {{"Authorization", "Bearer " + token}});
    REQUIRE(result.status == 200);
    const Json body = result.json();  // kept alive: a range-for over a temporary's member dangles
    for (const Json& entity : body["entities"]) out.push_back(entity["spec"]["name"]);
    return out;
  };
  // Feast's permission checks, exactly as the same token meets them over gRPC: the admin sees
  // every entity; the reader's list is refused as a whole (Feast's filter mode fails a List on
  // the first object it may not describe), its Get of a permitted entity works.
  api.set_authorization("Bearer tok-admin");
  CHECK(names("tok-admin") ==
        SpecNames(api.Ok(&Stub::ListEntities, In<reg::ListEntitiesRequest>("demo")).entities()));
  CHECK(names("tok-admin") == std::vector<std::string>{"driver", "secret"});
  api.set_authorization("Bearer tok-reader");
  CHECK(api.Status(&Stub::ListEntities, In<reg::ListEntitiesRequest>("demo")).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  HttpResult reader_list = HttpGet(port, path, {{"Authorization", "Bearer tok-reader"}});
  CHECK(reader_list.status == 403);
  CHECK(reader_list.json()["error_type"] == "FeastPermissionError");
  HttpResult allowed = HttpGet(port, "/api/v1/entities/driver?project=demo",
                               {{"Authorization", "Bearer tok-reader"}});
  CHECK(allowed.status == 200);
  CHECK(allowed.json()["spec"]["name"] == "driver");
  HttpResult denied = HttpGet(port, "/api/v1/entities/secret?project=demo",
                              {{"Authorization", "Bearer tok-reader"}});
  CHECK(denied.status == 403);
  CHECK(denied.json()["error_type"] == "FeastPermissionError");
}
LARDER_BACKEND_TEST("http: bearer auth and Feast permission filtering as on gRPC", Auth)

}  // namespace
}  // namespace larder::testing
