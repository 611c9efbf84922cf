// The registry-wide RPCs of feast.registry.RegistryServer against the real larder binary, on
// every backend: projects, ApplyMaterialization, ListProjectMetadata, UpdateInfra/GetInfra,
// Commit, Refresh, Proto, lineage, ListFeatures/GetFeature and the dataset-job RPCs.
#include <regex>

#include "tests/e2e/api_fixture.h"

namespace larder::testing {
namespace {

using Names = std::vector<std::string>;
using grpc::StatusCode;

constexpr const char* kProtectedTag = "feast.dev/protected-project";

void ProjectRpcs(ScratchDatabase& db) {
  ApiServer api(db);
  core::Project alpha = MakeProject("alpha", "first project");
  (*alpha.mutable_spec()->mutable_tags())["team"] = "rides";
  alpha.mutable_spec()->set_owner("ml@example.com");
  *alpha.mutable_meta()->mutable_created_timestamp() = Ts(1000);  // ignored: server time rules
  const Timestamp before = NowTs();
  REQUIRE_OK(api.Apply(alpha));
  core::Project locked = MakeProject("locked");
  (*locked.mutable_spec()->mutable_tags())[kProtectedTag] = "true";
  REQUIRE_OK(api.Apply(locked));
  core::Project unlocked = MakeProject("unlocked");
  (*unlocked.mutable_spec()->mutable_tags())[kProtectedTag] = "false";
  REQUIRE_OK(api.Apply(unlocked));

  const auto got = api.Ok(&Stub::GetProject, [] {
    reg::GetProjectRequest r;
    r.set_name("alpha");
    return r;
  }());
  CHECK(Bytes(got.spec()) == Bytes(alpha.spec()));
  CHECK(Micros(got.meta().created_timestamp()) >= Micros(before));
  CHECK(Micros(got.meta().created_timestamp()) == Micros(got.meta().last_updated_timestamp()));

  // Protected projects are not listed, but GetProject returns them.
  for (const bool allow_cache : {false, true}) {
    reg::ListProjectsRequest list;
    list.set_allow_cache(allow_cache);
    const auto projects = api.Ok(&Stub::ListProjects, list);
    CHECK(SpecNames(projects.projects()) == Names{"alpha", "unlocked"});
    CHECK(PaginationText(projects.pagination()) == "0,0,2,1,0,0");
  }
  reg::GetProjectRequest get_locked;
  get_locked.set_name("locked");
  CHECK(api.Ok(&Stub::GetProject, get_locked).spec().tags().at(kProtectedTag) == "true");
  reg::ListProjectsRequest by_tag;
  (*by_tag.mutable_tags())["team"] = "rides";
  CHECK(SpecNames(api.Ok(&Stub::ListProjects, by_tag).projects()) == Names{"alpha"});

  reg::GetProjectRequest ghost;
  ghost.set_name("ghost");
  CHECK_FEAST_ERROR(api.Status(&Stub::GetProject, ghost), StatusCode::NOT_FOUND,
                    "ProjectObjectNotFoundException", "Project ghost does not exist");
  CHECK_PLAIN_ERROR(api.Apply(core::Project()), StatusCode::INVALID_ARGUMENT,
                    "project has no name");
}
LARDER_BACKEND_TEST("projects: ApplyProject, GetProject, ListProjects hides protected projects",
                    ProjectRpcs)

void DeleteProjectCascades(ScratchDatabase& db) {
  ApiServer api(db);
  const DemoRepo gone = MakeDemoRepo("gone");
  ApplyDemoRepo(api, gone);
  const core::DataSource stream = KafkaSource("driver_stream", gone.driver_source);
  REQUIRE_OK(api.Apply("gone", stream));
  REQUIRE_OK(api.Apply("gone", MakeStreamView("driver_stream_stats", {"driver"},
                                              {Field("clicks", ValueType::INT64)}, stream)));
  REQUIRE_OK(
      api.Apply("gone", MakeLabelView("driver_labels", {"driver"},
                                      {Field("is_fraud", ValueType::BOOL)}, gone.driver_source)));
  REQUIRE_OK(api.Apply("gone", MakeSavedDataset("ds", "team_a", "training")));
  REQUIRE_OK(api.Apply("gone", MakeValidationReference("vr", "ds")));
  REQUIRE_OK(api.Apply("gone", MakePermission("reader")));
  core::FeatureView changed = gone.driver_stats;  // a schema change: two history rows
  *changed.mutable_spec()->add_features() = Field("new_feature", ValueType::INT64);
  REQUIRE_OK(api.Apply("gone", changed));
  REQUIRE(PeekVersions(api.db_url(), "gone", "driver_hourly_stats").size() == 2);
  REQUIRE(!PeekMetadata(api.db_url(), "gone").empty());
  ApplyDemoRepo(api, MakeDemoRepo("kept"));

  reg::DeleteProjectRequest del;
  del.set_name("gone");
  REQUIRE_OK(api.Status(&Stub::DeleteProject, del));

  reg::GetProjectRequest get;
  get.set_name("gone");
  CHECK_FEAST_ERROR(api.Status(&Stub::GetProject, get), StatusCode::NOT_FOUND,
                    "ProjectObjectNotFoundException", "Project gone does not exist");
  CHECK_FEAST_ERROR(api.Status(&Stub::DeleteProject, del), StatusCode::NOT_FOUND,
                    "ProjectObjectNotFoundException", "Project gone does not exist");
  for (const bool cache : {false, true}) {
    INFO("allow_cache " << cache);
    auto in = [&](auto request) {
      request.set_project("gone");
      request.set_allow_cache(cache);
      return request;
    };
    CHECK(api.Ok(&Stub::ListEntities, in(reg::ListEntitiesRequest())).entities_size() == 0);
    CHECK(api.Ok(&Stub::ListDataSources, in(reg::ListDataSourcesRequest())).data_sources_size() ==
          0);
    CHECK(
        api.Ok(&Stub::ListFeatureViews, in(reg::ListFeatureViewsRequest())).feature_views_size() ==
        0);
    CHECK(api.Ok(&Stub::ListStreamFeatureViews, in(reg::ListStreamFeatureViewsRequest()))
              .stream_feature_views_size() == 0);
    CHECK(api.Ok(&Stub::ListOnDemandFeatureViews, in(reg::ListOnDemandFeatureViewsRequest()))
              .on_demand_feature_views_size() == 0);
    CHECK(api.Ok(&Stub::ListLabelViews, in(reg::ListLabelViewsRequest())).label_views_size() == 0);
    CHECK(api.Ok(&Stub::ListFeatureServices, in(reg::ListFeatureServicesRequest()))
              .feature_services_size() == 0);
    CHECK(api.Ok(&Stub::ListSavedDatasets, in(reg::ListSavedDatasetsRequest()))
              .saved_datasets_size() == 0);
    CHECK(api.Ok(&Stub::ListValidationReferences, in(reg::ListValidationReferencesRequest()))
              .validation_references_size() == 0);
    CHECK(api.Ok(&Stub::ListPermissions, in(reg::ListPermissionsRequest())).permissions_size() ==
          0);
    CHECK(api.Ok(&Stub::ListProjectMetadata, in(reg::ListProjectMetadataRequest()))
              .project_metadata_size() == 0);
    CHECK(Bytes(api.Ok(&Stub::GetInfra, in(reg::GetInfraRequest()))).empty());
  }
  // Larder also removes the version history and metadata rows Feast leaves behind.
  CHECK(PeekVersions(api.db_url(), "gone", "driver_hourly_stats").empty());
  CHECK(PeekMetadata(api.db_url(), "gone").empty());
  CHECK(!PeekRow(api.db_url(), storage::ObjectKind::kInfra, "gone", "infra_obj").has_value());
  // The other project is untouched.
  CHECK(SpecNames(api.Ok(&Stub::ListProjects, reg::ListProjectsRequest()).projects()) ==
        Names{"kept"});
  CHECK(api.Ok(&Stub::ListEntities, In<reg::ListEntitiesRequest>("kept")).entities_size() == 3);
  CHECK(api.Ok(&Stub::GetInfra, In<reg::GetInfraRequest>("kept")).infra_objects_size() == 2);
}
LARDER_BACKEND_TEST("projects: DeleteProject cascades to everything in the project",
                    DeleteProjectCascades)

void ApplyMaterializationRpc(ScratchDatabase& db) {
  ApiServer api(db);
  const DemoRepo repo = MakeDemoRepo();
  ApplyDemoRepo(api, repo);
  // Only the view's name is used: the rest of the request's view is ignored.
  reg::ApplyMaterializationRequest request;
  *request.mutable_feature_view() = repo.driver_stats;
  request.mutable_feature_view()->mutable_spec()->set_description("not applied");
  request.set_project("demo");
  *request.mutable_start_date() = Ts(1754000000, 123456000);
  *request.mutable_end_date() = Ts(1754086400);
  request.set_commit(true);
  api.Ok(&Stub::ApplyMaterialization, request);

  const auto view = api.Ok(&Stub::GetFeatureView,
                           Named<reg::GetFeatureViewRequest>("demo", "driver_hourly_stats"));
  CHECK(view.spec().description() == repo.driver_stats.spec().description());
  REQUIRE(view.meta().materialization_intervals_size() == 1);
  CHECK(Bytes(view.meta().materialization_intervals(0).start_time()) ==
        Bytes(request.start_date()));
  CHECK(Bytes(view.meta().materialization_intervals(0).end_time()) == Bytes(request.end_date()));
  CHECK(view.meta().state() == core::AVAILABLE_ONLINE);

  CHECK_FEAST_ERROR(api.Materialize("demo", "ghost", Ts(1), Ts(2)), StatusCode::NOT_FOUND,
                    "FeatureViewNotFoundException",
                    "Feature view ghost does not exist in project demo");
  CHECK_FEAST_ERROR(api.Materialize("demo", "driver_conv_adjusted", Ts(1), Ts(2)),
                    StatusCode::NOT_FOUND, "FeatureViewNotFoundException",
                    "Feature view driver_conv_adjusted does not exist in project demo");
  CHECK_PLAIN_ERROR(api.Materialize("", "driver_hourly_stats", Ts(1), Ts(2)),
                    StatusCode::INVALID_ARGUMENT, "request has no project");
}
LARDER_BACKEND_TEST("ApplyMaterialization appends an interval and sets AVAILABLE_ONLINE",
                    ApplyMaterializationRpc)

void MetadataInfraCommit(ScratchDatabase& db) {
  ApiServer api(db);
  // Nothing written yet: no metadata, an empty Infra.
  CHECK(api.Ok(&Stub::ListProjectMetadata, In<reg::ListProjectMetadataRequest>("demo"))
            .project_metadata_size() == 0);
  CHECK(Bytes(api.Ok(&Stub::GetInfra, In<reg::GetInfraRequest>("demo"))).empty());

  REQUIRE_OK(api.Apply("demo", MakeEntity("driver", "driver_id")));
  const auto metadata =
      api.Ok(&Stub::ListProjectMetadata, In<reg::ListProjectMetadataRequest>("demo"));
  REQUIRE(metadata.project_metadata_size() == 1);
  CHECK(metadata.project_metadata(0).project() == "demo");
  const std::string uuid = metadata.project_metadata(0).project_uuid();
  CHECK(std::regex_match(
      uuid, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  // Stable, and the same from the cache path (where Feast would answer an empty list).
  auto cached = In<reg::ListProjectMetadataRequest>("demo");
  cached.set_allow_cache(true);
  CHECK(Bytes(api.Ok(&Stub::ListProjectMetadata, cached)) == Bytes(metadata));
  REQUIRE_OK(api.Apply("demo", MakeEntity("customer", "customer_id")));
  CHECK(Bytes(api.Ok(&Stub::ListProjectMetadata, In<reg::ListProjectMetadataRequest>("demo"))) ==
        Bytes(metadata));

  // UpdateInfra stores the message opaquely; GetInfra (cache or not) reads it back.
  reg::UpdateInfraRequest update;
  *update.mutable_infra() = SqliteInfra("demo", {"driver_hourly_stats"});
  update.mutable_infra()->add_infra_objects()->mutable_custom_infra()->set_field("opaque\x01");
  update.set_project("demo");
  update.set_commit(true);
  api.Ok(&Stub::UpdateInfra, update);
  auto get = In<reg::GetInfraRequest>("demo");
  get.set_allow_cache(true);
  CHECK(Bytes(api.Ok(&Stub::GetInfra, get)) == Bytes(update.infra()));
  *update.mutable_infra() = SqliteInfra("demo", {"a", "b"});
  api.Ok(&Stub::UpdateInfra, update);
  CHECK(Bytes(api.Ok(&Stub::GetInfra, In<reg::GetInfraRequest>("demo"))) == Bytes(update.infra()));
  // UpdateInfra creates its project like any write.
  update.set_project("fresh");
  api.Ok(&Stub::UpdateInfra, update);
  reg::GetProjectRequest fresh;
  fresh.set_name("fresh");
  api.Ok(&Stub::GetProject, fresh);
  CHECK(api.Ok(&Stub::ListProjectMetadata, In<reg::ListProjectMetadataRequest>("fresh"))
            .project_metadata_size() == 1);

  // Commit: every write is already committed; nothing to do.
  api.Ok(&Stub::Commit, Empty());
}
LARDER_BACKEND_TEST("ListProjectMetadata, UpdateInfra, GetInfra and Commit", MetadataInfraCommit)

void RefreshSeesOtherReplicas(ScratchDatabase& db) {
  // No poller on the reader (by default it applies other replicas' changes every second): only
  // Refresh moves its snapshot here. A second server on the same database writes.
  ApiServer api(db, {"--cache-poll-ms=0"});
  ApiServer replica(db);
  REQUIRE_OK(api.Apply("demo", MakeEntity("driver", "driver_id")));
  auto cached = Named<reg::GetEntityRequest>("demo", "customer");
  cached.set_allow_cache(true);
  auto cached_list = In<reg::ListEntitiesRequest>("demo");
  cached_list.set_allow_cache(true);
  REQUIRE(api.Ok(&Stub::ListEntities, cached_list).entities_size() == 1);  // builds the snapshot

  REQUIRE_OK(replica.Apply("demo", MakeEntity("customer", "customer_id")));
  // Cached reads do not see another replica's write until Refresh (or the cache TTL).
  CHECK(api.Status(&Stub::GetEntity, cached).error_code() == StatusCode::NOT_FOUND);
  CHECK(api.Ok(&Stub::ListEntities, cached_list).entities_size() == 1);
  // Database reads do.
  CHECK(api.Ok(&Stub::GetEntity, Named<reg::GetEntityRequest>("demo", "customer"))
            .spec()
            .join_key() == "customer_id");

  reg::RefreshRequest refresh;
  refresh.set_project("demo");
  api.Ok(&Stub::Refresh, refresh);
  CHECK(api.Ok(&Stub::GetEntity, cached).spec().join_key() == "customer_id");
  CHECK(api.Ok(&Stub::ListEntities, cached_list).entities_size() == 2);
  // Refresh with nothing new, and for a project that does not exist ("None" is what
  // RemoteRegistry.refresh(None) sends), is fine too.
  api.Ok(&Stub::Refresh, refresh);
  refresh.set_project("None");
  api.Ok(&Stub::Refresh, refresh);
  CHECK(api.Ok(&Stub::ListEntities, cached_list).entities_size() == 2);
}
LARDER_BACKEND_TEST("Refresh makes another replica's writes visible to cached reads",
                    RefreshSeesOtherReplicas)

void ProtoRpc(ScratchDatabase& db) {
  ApiServer api(db);
  const core::Registry empty = api.Proto();
  CHECK(empty.projects_size() == 0);
  CHECK(!empty.has_last_updated());

  ApplyDemoRepo(api, MakeDemoRepo("a"));
  const core::DataSource stream = KafkaSource("driver_stream", MakeDemoRepo("a").driver_source);
  REQUIRE_OK(api.Apply("a", stream));
  REQUIRE_OK(api.Apply("a", MakeStreamView("driver_stream_stats", {"driver"},
                                           {Field("clicks", ValueType::INT64)}, stream)));
  REQUIRE_OK(api.Apply("a", MakeLabelView("driver_labels", {"driver"},
                                          {Field("is_fraud", ValueType::BOOL)}, stream)));
  REQUIRE_OK(api.Apply("a", MakeSavedDataset("ds", "ns", "coll")));
  REQUIRE_OK(api.Apply("a", MakeValidationReference("vr", "ds")));
  REQUIRE_OK(api.Apply("a", MakePermission("reader")));
  REQUIRE_OK(api.Apply("b", MakeEntity("rider", "rider_id")));
  REQUIRE_OK(
      api.Apply("b", MakeFeatureView("rider_stats", {"rider"}, {Field("rides", ValueType::INT64)},
                                     FileSource("rides", "data/rides.parquet"))));

  core::Registry proto = api.Proto();
  CHECK(SpecNames(proto.projects()) == Names{"a", "b"});
  auto with_project = [](const auto& items) {
    return NamesOf(items, [](const auto& o) { return o.spec().project() + "/" + o.spec().name(); });
  };
  // Grouped project by project, each object carrying its project.
  CHECK(with_project(proto.entities()) == Names{"a/__dummy", "a/customer", "a/driver", "b/rider"});
  CHECK(with_project(proto.feature_views()) ==
        Names{"a/customer_profile", "a/driver_hourly_stats", "b/rider_stats"});
  CHECK(with_project(proto.stream_feature_views()) == Names{"a/driver_stream_stats"});
  CHECK(with_project(proto.on_demand_feature_views()) == Names{"a/driver_conv_adjusted"});
  CHECK(with_project(proto.label_views()) == Names{"a/driver_labels"});
  CHECK(with_project(proto.feature_services()) == Names{"a/driver_activity"});
  CHECK(with_project(proto.saved_datasets()) == Names{"a/ds"});
  CHECK(with_project(proto.permissions()) == Names{"a/reader"});
  CHECK(NamesOf(proto.data_sources(), [](const core::DataSource& s) {
          return s.project() + "/" + s.name();
        }) == Names{"a/customer_stats_source", "a/driver_stats_source", "a/driver_stream"});
  CHECK(NamesOf(proto.validation_references(), [](const core::ValidationReference& r) {
          return r.project() + "/" + r.name();
        }) == Names{"a/vr"});
  // Not part of Proto(): infra, project metadata.
  CHECK(!proto.has_infra());
  CHECK(proto.GetReflection()->FieldSize(
            proto, proto.GetDescriptor()->FindFieldByName("project_metadata")) == 0);

  // last_updated is the newest project last_updated_timestamp.
  auto project_updated = [&](const core::Registry& r, int i) {
    return Micros(r.projects(i).meta().last_updated_timestamp());
  };
  CHECK(Micros(proto.last_updated()) ==
        std::max(project_updated(proto, 0), project_updated(proto, 1)));
  REQUIRE(project_updated(proto, 0) < project_updated(proto, 1));  // b was created later
  REQUIRE_OK(api.Apply(MakeProject("a", "now described")));
  proto = api.Proto();
  REQUIRE(project_updated(proto, 0) > project_updated(proto, 1));
  CHECK(Micros(proto.last_updated()) == project_updated(proto, 0));

  // Larder fills version_id with its change-log revision: it moves with every effective write
  // and stays put otherwise (Feast leaves it empty).
  const std::string version = proto.version_id();
  CHECK(std::regex_match(version, std::regex("[0-9]+")));
  CHECK(proto.registry_schema_version() == "1");
  REQUIRE_OK(api.Apply("b", MakeEntity("rider", "rider_id")));  // unchanged: no write
  CHECK(api.Proto().version_id() == version);
  REQUIRE_OK(api.Apply("b", MakeEntity("car", "car_id")));
  CHECK(std::stoll(api.Proto().version_id()) > std::stoll(version));
}
LARDER_BACKEND_TEST("Proto: projects and their objects grouped, last_updated = newest project",
                    ProtoRpc)

void LineageRpcs(ScratchDatabase& db) {
  ApiServer api(db);
  ApplyDemoRepo(api, MakeDemoRepo());
  const Names direct = {"featureView:driver_hourly_stats>featureService:driver_activity",
                        "featureView:customer_profile>featureService:driver_activity",
                        "featureView:driver_conv_adjusted>featureService:driver_activity",
                        "entity:customer>featureView:customer_profile",
                        "feature:current_balance>featureView:customer_profile",
                        "feature:avg_passenger_count>featureView:customer_profile",
                        "feature:lifetime_trip_count>featureView:customer_profile",
                        "dataSource:customer_stats_source>featureView:customer_profile",
                        "entity:driver>featureView:driver_hourly_stats",
                        "feature:conv_rate>featureView:driver_hourly_stats",
                        "feature:acc_rate>featureView:driver_hourly_stats",
                        "feature:avg_daily_trips>featureView:driver_hourly_stats",
                        "dataSource:driver_stats_source>featureView:driver_hourly_stats",
                        "feature:conv_rate_plus_val1>featureView:driver_conv_adjusted",
                        "feature:conv_rate_plus_val2>featureView:driver_conv_adjusted",
                        "featureView:driver_hourly_stats>featureView:driver_conv_adjusted"};
  const Names indirect = {"entity:driver>featureService:driver_activity",
                          "feature:conv_rate>featureService:driver_activity",
                          "feature:acc_rate>featureService:driver_activity",
                          "feature:avg_daily_trips>featureService:driver_activity",
                          "dataSource:driver_stats_source>featureService:driver_activity",
                          "entity:customer>featureService:driver_activity",
                          "feature:current_balance>featureService:driver_activity",
                          "feature:avg_passenger_count>featureService:driver_activity",
                          "feature:lifetime_trip_count>featureService:driver_activity",
                          "dataSource:customer_stats_source>featureService:driver_activity",
                          "feature:conv_rate_plus_val1>featureService:driver_activity",
                          "feature:conv_rate_plus_val2>featureService:driver_activity",
                          "featureView:driver_hourly_stats>featureService:driver_activity",
                          "entity:customer>dataSource:customer_stats_source",
                          "entity:driver>dataSource:driver_stats_source"};

  const auto lineage =
      api.Ok(&Stub::GetRegistryLineage, In<reg::GetRegistryLineageRequest>("demo"));
  CHECK(RelationsText(lineage.relationships()) == direct);
  CHECK(RelationsText(lineage.indirect_relationships()) == indirect);
  CHECK(PaginationText(lineage.relationships_pagination()) == "0,0,16,1,0,0");
  CHECK(PaginationText(lineage.indirect_relationships_pagination()) == "0,0,15,1,0,0");

  // Both filters: relations touching that object, in both lists, each paged on its own.
  auto filtered = In<reg::GetRegistryLineageRequest>("demo");
  filtered.set_filter_object_type("entity");
  filtered.set_filter_object_name("driver");
  filtered.mutable_pagination()->set_page(1);
  filtered.mutable_pagination()->set_limit(1);
  const auto by_driver = api.Ok(&Stub::GetRegistryLineage, filtered);
  CHECK(RelationsText(by_driver.relationships()) ==
        Names{"entity:driver>featureView:driver_hourly_stats"});
  CHECK(PaginationText(by_driver.relationships_pagination()) == "1,1,1,1,0,0");
  CHECK(RelationsText(by_driver.indirect_relationships()) ==
        Names{"entity:driver>featureService:driver_activity"});
  CHECK(PaginationText(by_driver.indirect_relationships_pagination()) == "1,1,2,2,1,0");
  // One filter alone filters nothing.
  filtered.clear_filter_object_name();
  filtered.clear_pagination();
  CHECK(api.Ok(&Stub::GetRegistryLineage, filtered).relationships_size() == 16);
  // An unknown project has no lineage.
  const auto nothing =
      api.Ok(&Stub::GetRegistryLineage, In<reg::GetRegistryLineageRequest>("nope"));
  CHECK(nothing.relationships_size() == 0);
  CHECK(PaginationText(nothing.relationships_pagination()) == "0,0,0,0,0,0");

  auto relations = In<reg::GetObjectRelationshipsRequest>("demo");
  relations.set_object_type("entity");
  relations.set_object_name("driver");
  CHECK(RelationsText(api.Ok(&Stub::GetObjectRelationships, relations).relationships()) ==
        Names{"entity:driver>featureView:driver_hourly_stats"});
  relations.set_include_indirect(true);
  const auto with_indirect = api.Ok(&Stub::GetObjectRelationships, relations);
  CHECK(RelationsText(with_indirect.relationships()) ==
        Names{"entity:driver>featureView:driver_hourly_stats",
              "entity:driver>featureService:driver_activity",
              "entity:driver>dataSource:driver_stats_source"});
  CHECK(PaginationText(with_indirect.pagination()) == "0,0,3,1,0,0");
  relations.set_object_type("featureView");
  relations.set_object_name("driver_conv_adjusted");
  relations.set_include_indirect(false);
  relations.mutable_sorting()->set_sort_by("source.name");
  CHECK(RelationsText(api.Ok(&Stub::GetObjectRelationships, relations).relationships()) ==
        Names{"feature:conv_rate_plus_val1>featureView:driver_conv_adjusted",
              "feature:conv_rate_plus_val2>featureView:driver_conv_adjusted",
              "featureView:driver_conv_adjusted>featureService:driver_activity",
              "featureView:driver_hourly_stats>featureView:driver_conv_adjusted"});

  // Stream views report their sources; label views are "labelView", also in projections.
  const DemoRepo other = MakeDemoRepo("other");
  const core::DataSource stream = KafkaSource("driver_stream", other.driver_source);
  REQUIRE_OK(api.Apply("other", stream));
  REQUIRE_OK(api.Apply("other", MakeStreamView("driver_stream_stats", {"driver"},
                                               {Field("clicks", ValueType::INT64)}, stream)));
  REQUIRE_OK(
      api.Apply("other", MakeLabelView("driver_labels", {"driver"},
                                       {Field("is_fraud", ValueType::BOOL)}, other.driver_source)));
  REQUIRE_OK(api.Apply(
      "other", MakeFeatureService(
                   "labels", {Projection("driver_labels", {Field("is_fraud", ValueType::BOOL)})})));
  const auto other_lineage =
      api.Ok(&Stub::GetRegistryLineage, In<reg::GetRegistryLineageRequest>("other"));
  CHECK(RelationsText(other_lineage.relationships()) ==
        Names{"labelView:driver_labels>featureService:labels",
              "dataSource:driver_stream>featureView:driver_stream_stats",
              "dataSource:driver_stats_source>featureView:driver_stream_stats",
              "entity:driver>labelView:driver_labels",
              "dataSource:driver_stats_source>labelView:driver_labels"});
  CHECK(RelationsText(other_lineage.indirect_relationships()) ==
        Names{"entity:driver>featureService:labels",
              "dataSource:driver_stats_source>featureService:labels",
              "entity:driver>dataSource:driver_stats_source"});

  relations.set_object_type("bogus");
  CHECK_PLAIN_ERROR(api.Status(&Stub::GetObjectRelationships, relations),
                    StatusCode::INVALID_ARGUMENT,
                    "unknown object_type 'bogus' (one of dataSource, entity, featureView, "
                    "labelView, featureService, feature, savedDataset)");
}
LARDER_BACKEND_TEST("lineage: GetRegistryLineage and GetObjectRelationships", LineageRpcs)

std::string FeatureText(const reg::Feature& f) {
  return f.feature_view() + "/" + f.name() + ":" + f.type() + ":" + f.kind();
}

void FeatureRpcs(ScratchDatabase& db) {
  ApiServer api(db);
  const DemoRepo repo = MakeDemoRepo();
  ApplyDemoRepo(api, repo);
  core::FeatureSpecV2 tagged = Field("is_fraud", ValueType::BOOL);
  tagged.set_description("fraud label");
  (*tagged.mutable_tags())["source"] = "manual";
  REQUIRE_OK(api.Apply("demo", MakeLabelView("driver_labels", {"driver"},
                                             {tagged, Field("reasons", ValueType::STRING_LIST)},
                                             repo.driver_source)));

  auto list = [&](auto&& adjust) {
    auto request = In<reg::ListFeaturesRequest>("demo");
    adjust(request);
    return api.Ok(&Stub::ListFeatures, request);
  };
  using Req = reg::ListFeaturesRequest;
  const auto all = list([](Req&) {});
  CHECK(NamesOf(all.features(), FeatureText) ==
        Names{"customer_profile/current_balance:Float32:feature",
              "customer_profile/avg_passenger_count:Float32:feature",
              "customer_profile/lifetime_trip_count:Int64:feature",
              "driver_hourly_stats/conv_rate:Float32:feature",
              "driver_hourly_stats/acc_rate:Float32:feature",
              "driver_hourly_stats/avg_daily_trips:Int64:feature",
              "driver_conv_adjusted/conv_rate_plus_val1:Float64:feature",
              "driver_conv_adjusted/conv_rate_plus_val2:Float64:feature",
              "driver_labels/is_fraud:Bool:label", "driver_labels/reasons:Array(String):label"});
  CHECK(PaginationText(all.pagination()) == "0,0,10,1,0,0");
  CHECK(NamesOf(list([](Req& r) { r.set_feature_view("driver_hourly_stats"); }).features(),
                FeatureText) == Names{"driver_hourly_stats/conv_rate:Float32:feature",
                                      "driver_hourly_stats/acc_rate:Float32:feature",
                                      "driver_hourly_stats/avg_daily_trips:Int64:feature"});
  CHECK(NamesOf(list([](Req& r) { r.set_kind("label"); }).features(), FeatureText) ==
        Names{"driver_labels/is_fraud:Bool:label", "driver_labels/reasons:Array(String):label"});
  CHECK(NamesOf(list([](Req& r) { r.set_name("conv_rate"); }).features(), FeatureText) ==
        Names{"driver_hourly_stats/conv_rate:Float32:feature"});
  const auto page = list([](Req& r) {
    r.mutable_sorting()->set_sort_by("name");
    r.mutable_pagination()->set_page(1);
    r.mutable_pagination()->set_limit(2);
  });
  CHECK(NamesOf(page.features(), FeatureText) ==
        Names{"driver_hourly_stats/acc_rate:Float32:feature",
              "driver_hourly_stats/avg_daily_trips:Int64:feature"});
  CHECK(PaginationText(page.pagination()) == "1,2,10,5,1,0");

  reg::GetFeatureRequest get;
  get.set_project("demo");
  get.set_feature_view("driver_labels");
  get.set_name("is_fraud");
  const auto feature = api.Ok(&Stub::GetFeature, get);
  CHECK(FeatureText(feature) == "driver_labels/is_fraud:Bool:label");
  CHECK(feature.description() == "fraud label");
  CHECK(feature.tags().at("source") == "manual");
  get.set_feature_view("driver_hourly_stats");
  get.set_name("conv_rate");
  const auto conv = api.Ok(&Stub::GetFeature, get);
  // Larder fills owner and timestamps from the parent view (Feast leaves them empty).
  const auto view = api.Ok(&Stub::GetFeatureView,
                           Named<reg::GetFeatureViewRequest>("demo", "driver_hourly_stats"));
  CHECK(conv.owner() == view.spec().owner());
  CHECK(Bytes(conv.created_timestamp()) == Bytes(view.meta().created_timestamp()));
  get.set_name("nope");
  CHECK_FEAST_ERROR(api.Status(&Stub::GetFeature, get), StatusCode::NOT_FOUND,
                    "FeastObjectNotFoundException",
                    "Feature nope not found in feature view driver_hourly_stats in project demo");
}
LARDER_BACKEND_TEST("features: ListFeatures and GetFeature", FeatureRpcs)

void DatasetJobRpcs(ScratchDatabase& db) {
  ApiServer api(db);
  reg::CreateDatasetFromRetrievalRequest create;
  create.set_name("ds");
  create.set_project("demo");
  const grpc::Status created = api.Status(&Stub::CreateDatasetFromRetrieval, create);
  CHECK(created.error_code() == StatusCode::UNIMPLEMENTED);
  CHECK(created.error_message().find("offline store") != std::string::npos);  // plain text
  CHECK(created.error_message().rfind("{", 0) != 0);

  reg::GetDatasetDataRequest data;
  data.set_name("ds");
  data.set_project("demo");
  const grpc::Status read = api.Status(&Stub::GetDatasetData, data);
  CHECK(read.error_code() == StatusCode::UNIMPLEMENTED);
  CHECK(read.error_message().rfind("{", 0) != 0);

  reg::GetDatasetJobStatusRequest status;
  status.set_job_id("job-1");
  CHECK_FEAST_ERROR(api.Status(&Stub::GetDatasetJobStatus, status), StatusCode::NOT_FOUND,
                    "FeastObjectNotFoundException", "Dataset job 'job-1' not found");

  reg::ListDatasetJobsRequest jobs;
  jobs.set_project("demo");
  CHECK(api.Ok(&Stub::ListDatasetJobs, jobs).jobs_size() == 0);
  jobs.set_project("");
  jobs.set_status_filter("running");
  CHECK(api.Ok(&Stub::ListDatasetJobs, jobs).jobs_size() == 0);
}
LARDER_BACKEND_TEST(
    "dataset jobs: CreateDatasetFromRetrieval and GetDatasetData are "
    "UNIMPLEMENTED, no job exists",
    DatasetJobRpcs)

}  // namespace
}  // namespace larder::testing
