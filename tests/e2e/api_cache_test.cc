// allow_cache=true reads and Proto() come from Larder's in-memory snapshot, which advances by the
// change log. These tests drive every kind of write (create, update, no-op, delete, project
// delete and re-create, materialization, infra) through the real larder binary, locally and from
// a second replica on the same database, and after each step require the cached answers and
// Proto() to equal what the database answers.
#include <optional>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/e2e/api_fixture.h"

namespace larder::testing {
namespace {

using Names = std::vector<std::string>;

template <typename Request, typename Response>
Response Read(ApiServer& api, ApiServer::Method<Request, Response> method, Request request,
              bool allow_cache) {
  request.set_allow_cache(allow_cache);
  return api.Ok(method, request);
}

// The cached and the database answer of one read, byte for byte.
template <typename Request, typename Response>
void Agree(ApiServer& api, ApiServer::Method<Request, Response> method, const Request& request,
           const char* what) {
  INFO(what);
  const Response db = Read(api, method, request, false);
  const Response cached = Read(api, method, request, true);
  CHECK(Bytes(cached) == Bytes(db));
}

// Proto() rebuilt from database List reads, as Feast's servicer assembles it.
core::Registry RegistryFromDatabase(ApiServer& api) {
  core::Registry r;
  const auto projects = Read(api, &Stub::ListProjects, reg::ListProjectsRequest(), false);
  for (const core::Project& project : projects.projects()) {
    *r.add_projects() = project;
    const auto& u = project.meta().last_updated_timestamp();
    if (!r.has_last_updated() || Micros(u) > Micros(r.last_updated())) {
      *r.mutable_last_updated() = u;
    }
    const std::string& p = project.spec().name();
    auto append = [&](auto method, auto request, auto items_of, auto* out) {
      request.set_project(p);
      const auto response = Read(api, method, request, false);
      for (const auto& item : items_of(response)) *out->Add() = item;
    };
    append(
        &Stub::ListEntities, reg::ListEntitiesRequest(), [](const auto& x) { return x.entities(); },
        r.mutable_entities());
    append(
        &Stub::ListDataSources, reg::ListDataSourcesRequest(),
        [](const auto& x) { return x.data_sources(); }, r.mutable_data_sources());
    append(
        &Stub::ListFeatureViews, reg::ListFeatureViewsRequest(),
        [](const auto& x) { return x.feature_views(); }, r.mutable_feature_views());
    append(
        &Stub::ListStreamFeatureViews, reg::ListStreamFeatureViewsRequest(),
        [](const auto& x) { return x.stream_feature_views(); }, r.mutable_stream_feature_views());
    append(
        &Stub::ListOnDemandFeatureViews, reg::ListOnDemandFeatureViewsRequest(),
        [](const auto& x) { return x.on_demand_feature_views(); },
        r.mutable_on_demand_feature_views());
    append(
        &Stub::ListLabelViews, reg::ListLabelViewsRequest(),
        [](const auto& x) { return x.label_views(); }, r.mutable_label_views());
    append(
        &Stub::ListFeatureServices, reg::ListFeatureServicesRequest(),
        [](const auto& x) { return x.feature_services(); }, r.mutable_feature_services());
    append(
        &Stub::ListSavedDatasets, reg::ListSavedDatasetsRequest(),
        [](const auto& x) { return x.saved_datasets(); }, r.mutable_saved_datasets());
    append(
        &Stub::ListValidationReferences, reg::ListValidationReferencesRequest(),
        [](const auto& x) { return x.validation_references(); }, r.mutable_validation_references());
    append(
        &Stub::ListPermissions, reg::ListPermissionsRequest(),
        [](const auto& x) { return x.permissions(); }, r.mutable_permissions());
  }
  return r;
}

// Every cached read of `projects` (and of the project list) equals the database read, and
// Proto() equals the registry assembled from database reads.
void CheckCacheAgrees(ApiServer& api, const Names& projects, const char* step) {
  INFO("after " << step);
  Agree(api, &Stub::ListProjects, reg::ListProjectsRequest(), "ListProjects");
  for (const std::string& p : projects) {
    INFO("project " << p);
    Agree(api, &Stub::ListEntities, In<reg::ListEntitiesRequest>(p), "ListEntities");
    Agree(api, &Stub::ListDataSources, In<reg::ListDataSourcesRequest>(p), "ListDataSources");
    Agree(api, &Stub::ListFeatureViews, In<reg::ListFeatureViewsRequest>(p), "ListFeatureViews");
    Agree(api, &Stub::ListStreamFeatureViews, In<reg::ListStreamFeatureViewsRequest>(p),
          "ListStreamFeatureViews");
    Agree(api, &Stub::ListOnDemandFeatureViews, In<reg::ListOnDemandFeatureViewsRequest>(p),
          "ListOnDemandFeatureViews");
    Agree(api, &Stub::ListLabelViews, In<reg::ListLabelViewsRequest>(p), "ListLabelViews");
    Agree(api, &Stub::ListAllFeatureViews, In<reg::ListAllFeatureViewsRequest>(p),
          "ListAllFeatureViews");
    Agree(api, &Stub::ListFeatureServices, In<reg::ListFeatureServicesRequest>(p),
          "ListFeatureServices");
    Agree(api, &Stub::ListSavedDatasets, In<reg::ListSavedDatasetsRequest>(p), "ListSavedDatasets");
    Agree(api, &Stub::ListValidationReferences, In<reg::ListValidationReferencesRequest>(p),
          "ListValidationReferences");
    Agree(api, &Stub::ListPermissions, In<reg::ListPermissionsRequest>(p), "ListPermissions");
    Agree(api, &Stub::ListFeatures, In<reg::ListFeaturesRequest>(p), "ListFeatures");
    Agree(api, &Stub::GetRegistryLineage, In<reg::GetRegistryLineageRequest>(p),
          "GetRegistryLineage");
    Agree(api, &Stub::ListProjectMetadata, In<reg::ListProjectMetadataRequest>(p),
          "ListProjectMetadata");
    Agree(api, &Stub::GetInfra, In<reg::GetInfraRequest>(p), "GetInfra");
    // Single-object reads, for every object the database lists.
    const auto entities = Read(api, &Stub::ListEntities, In<reg::ListEntitiesRequest>(p), false);
    for (const auto& e : entities.entities()) {
      Agree(api, &Stub::GetEntity, Named<reg::GetEntityRequest>(p, e.spec().name()), "GetEntity");
    }
    const auto views =
        Read(api, &Stub::ListAllFeatureViews, In<reg::ListAllFeatureViewsRequest>(p), false);
    Names view_names = AnyViewNames(views.feature_views());
    const auto labels = Read(api, &Stub::ListLabelViews, In<reg::ListLabelViewsRequest>(p), false);
    for (const auto& v : labels.label_views()) {
      view_names.push_back(v.spec().name());
    }
    for (const std::string& name : view_names) {
      Agree(api, &Stub::GetAnyFeatureView, Named<reg::GetAnyFeatureViewRequest>(p, name),
            "GetAnyFeatureView");
    }
  }
  core::Registry proto = api.Proto();
  proto.clear_version_id();
  proto.clear_registry_schema_version();
  CHECK(Bytes(proto) == Bytes(RegistryFromDatabase(api)));
}

void CacheFollowsLocalWrites(ScratchDatabase& db) {
  ApiServer api(db, {"--cache-poll-ms=0"});
  DemoRepo repo = MakeDemoRepo();
  const Names projects = {"demo", "other"};
  CheckCacheAgrees(api, projects, "nothing");

  ApplyDemoRepo(api, repo);
  // Names whose byte order and case-insensitive order differ.
  for (const std::string name : {"Zeta", "beta_2", "beta2", "alpha"}) {
    REQUIRE_OK(api.Apply("demo", MakeEntity(name, "id")));
  }
  REQUIRE_OK(api.Apply("other", MakeEntity("rider", "rider_id")));
  const core::DataSource stream = KafkaSource("driver_stream", repo.driver_source);
  REQUIRE_OK(api.Apply("demo", stream));
  REQUIRE_OK(api.Apply("demo", MakeStreamView("driver_stream_stats", {"driver"},
                                              {Field("clicks", ValueType::INT64)}, stream)));
  REQUIRE_OK(api.Apply("demo", MakeLabelView("driver_labels", {"driver"},
                                             {Field("is_fraud", ValueType::BOOL)}, stream)));
  REQUIRE_OK(api.Apply("demo", MakeSavedDataset("ds", "ns", "coll")));
  REQUIRE_OK(api.Apply("demo", MakeValidationReference("vr", "ds")));
  REQUIRE_OK(api.Apply("demo", MakePermission("reader")));
  CheckCacheAgrees(api, projects, "creates");

  repo.driver_stats.mutable_spec()->set_description("v2");
  REQUIRE_OK(api.Apply("demo", repo.driver_stats));
  REQUIRE_OK(api.Apply("demo", repo.customer_profile));  // unchanged
  REQUIRE_OK(api.Materialize("demo", "driver_hourly_stats", Ts(100), Ts(200)));
  REQUIRE_OK(api.Apply(MakeProject("demo", "described")));
  reg::UpdateInfraRequest infra;
  *infra.mutable_infra() = SqliteInfra("demo", {"x"});
  infra.set_project("demo");
  api.Ok(&Stub::UpdateInfra, infra);
  CheckCacheAgrees(api, projects, "updates");

  REQUIRE_OK(api.Status(&Stub::DeleteEntity, Named<reg::DeleteEntityRequest>("demo", "beta2")));
  REQUIRE_OK(api.Status(&Stub::DeleteDataSource,
                        Named<reg::DeleteDataSourceRequest>("demo", "customer_stats_source")));
  REQUIRE_OK(api.Status(&Stub::DeleteFeatureView,
                        Named<reg::DeleteFeatureViewRequest>("demo", "driver_labels")));
  REQUIRE_OK(api.Status(&Stub::DeleteFeatureView,
                        Named<reg::DeleteFeatureViewRequest>("demo", "customer_profile")));
  REQUIRE_OK(api.Status(&Stub::DeleteFeatureService,
                        Named<reg::DeleteFeatureServiceRequest>("demo", "driver_activity")));
  REQUIRE_OK(
      api.Status(&Stub::DeleteSavedDataset, Named<reg::DeleteSavedDatasetRequest>("demo", "ds")));
  REQUIRE_OK(api.Status(&Stub::DeleteValidationReference,
                        Named<reg::DeleteValidationReferenceRequest>("demo", "vr")));
  REQUIRE_OK(
      api.Status(&Stub::DeletePermission, Named<reg::DeletePermissionRequest>("demo", "reader")));
  CheckCacheAgrees(api, projects, "deletes");

  // A deleted project's objects must not reappear when the project is created again.
  reg::DeleteProjectRequest del;
  del.set_name("demo");
  api.Ok(&Stub::DeleteProject, del);
  CheckCacheAgrees(api, projects, "project delete");
  REQUIRE_OK(api.Apply("demo", MakeEntity("driver", "driver_id")));
  CheckCacheAgrees(api, projects, "project re-created");
  CHECK(SpecNames(api.Proto().entities()) == Names{"driver", "rider"});
}
LARDER_BACKEND_TEST("cache: allow_cache reads and Proto() follow every kind of local write",
                    CacheFollowsLocalWrites)

void CacheFollowsReplicaAfterRefresh(ScratchDatabase& db) {
  // No poller: only Refresh (and Proto, which catches up first) see the other replica.
  ApiServer api(db, {"--cache-poll-ms=0"});
  ApiServer replica(db, {"--cache-poll-ms=0"});
  const Names projects = {"demo", "old", "new"};
  ApplyDemoRepo(api, MakeDemoRepo("demo"));
  ApplyDemoRepo(api, MakeDemoRepo("old"));
  CheckCacheAgrees(api, projects, "local applies");

  DemoRepo changed = MakeDemoRepo("demo");
  changed.customer_profile.mutable_spec()->set_description("changed by the replica");
  REQUIRE_OK(replica.Apply("demo", MakeEntity("rider", "rider_id")));
  REQUIRE_OK(replica.Apply("demo", changed.customer_profile));
  REQUIRE_OK(replica.Status(&Stub::DeleteFeatureService,
                            Named<reg::DeleteFeatureServiceRequest>("demo", "driver_activity")));
  REQUIRE_OK(replica.Materialize("demo", "driver_hourly_stats", Ts(100), Ts(200)));
  reg::DeleteProjectRequest del;
  del.set_name("old");
  replica.Ok(&Stub::DeleteProject, del);
  REQUIRE_OK(replica.Apply("new", MakeEntity("car", "car_id")));

  // Cached reads are stale until Refresh; database reads are not.
  auto cached = Named<reg::GetEntityRequest>("demo", "rider");
  cached.set_allow_cache(true);
  CHECK(api.Status(&Stub::GetEntity, cached).error_code() == grpc::StatusCode::NOT_FOUND);
  reg::ListProjectsRequest cached_projects;
  cached_projects.set_allow_cache(true);
  CHECK(SpecNames(api.Ok(&Stub::ListProjects, cached_projects).projects()) == Names{"demo", "old"});
  api.Ok(&Stub::GetEntity, Named<reg::GetEntityRequest>("demo", "rider"));

  reg::RefreshRequest refresh;
  refresh.set_project("demo");
  api.Ok(&Stub::Refresh, refresh);
  CheckCacheAgrees(api, projects, "replica writes + Refresh");
  CHECK(SpecNames(api.Ok(&Stub::ListProjects, cached_projects).projects()) == Names{"demo", "new"});

  // Proto() catches up by itself.
  REQUIRE_OK(replica.Apply("new", MakeEntity("bus", "bus_id")));
  CHECK(SpecNames(api.Proto().entities()) ==
        Names{"__dummy", "customer", "driver", "rider", "bus", "car"});
}
LARDER_BACKEND_TEST("cache: Refresh applies another replica's writes, Proto() catches up",
                    CacheFollowsReplicaAfterRefresh)

// Polls a cached GetEntity on `api` until it answers `description` (NOT_FOUND is "not yet"),
// for at most `limit`; returns how long that took, or nullopt.
std::optional<absl::Duration> CachedEntityShows(ApiServer& api, const std::string& name,
                                                const std::string& description,
                                                absl::Duration limit) {
  auto request = Named<reg::GetEntityRequest>("demo", name);
  request.set_allow_cache(true);
  const absl::Time start = absl::Now();
  while (absl::Now() - start < limit) {
    core::Entity entity;
    const grpc::Status status = api.Call(&Stub::GetEntity, request, &entity);
    if (status.ok() && entity.spec().description() == description) return absl::Now() - start;
    REQUIRE((status.ok() || status.error_code() == grpc::StatusCode::NOT_FOUND));
    absl::SleepFor(absl::Milliseconds(20));
  }
  return std::nullopt;
}

void CacheFollowsReplicaPromptly(ScratchDatabase& db) {
  // On PostgreSQL the poll is a minute away, so only the commit's NOTIFY can explain a cached
  // read catching up within 2 s; elsewhere the default 1 s poll must do it.
  const bool notifies = db.backend() == TestBackend::kPostgres;
  const std::vector<std::string> args =
      notifies ? std::vector<std::string>{"--cache-poll-ms=60000"} : std::vector<std::string>{};
  const absl::Duration limit = notifies ? absl::Seconds(2) : absl::Seconds(5);
  ApiServer writer(db, args);
  ApiServer reader(db, args);

  core::Entity driver = MakeEntity("driver", "driver_id");
  driver.mutable_spec()->set_description("first");
  REQUIRE_OK(writer.Apply("demo", driver));
  INFO("reader output:\n" << reader.process().output());
  CHECK(CachedEntityShows(reader, "driver", "first", limit).has_value());

  // An update to an object the reader's snapshot already holds, and then a burst of writes.
  driver.mutable_spec()->set_description("second");
  REQUIRE_OK(writer.Apply("demo", driver));
  CHECK(CachedEntityShows(reader, "driver", "second", limit).has_value());
  for (int i = 0; i < 20; ++i) {
    REQUIRE_OK(writer.Apply("demo", MakeEntity("burst" + std::to_string(i), "id")));
  }
  CHECK(CachedEntityShows(reader, "burst19", "burst19 id", limit).has_value());

  // A minute-long poll does not hold up shutdown (the poller waits in slices of at most 1 s).
  CHECK(reader.process().Stop() == 0);
}
LARDER_BACKEND_TEST(
    "cache: another replica's writes reach cached reads promptly (NOTIFY on "
    "PostgreSQL, the poll elsewhere)",
    CacheFollowsReplicaPromptly)

}  // namespace
}  // namespace larder::testing
