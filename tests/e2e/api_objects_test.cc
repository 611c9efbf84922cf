// The object RPCs of feast.registry.RegistryServer, each driven through the generated C++ stub
// against the real larder binary, on every backend: entities, data sources, the four feature
// view kinds, feature services, saved datasets, validation references and permissions.
// (Projects, materialization, infra, metadata, Proto, lineage, features and the dataset-job RPCs
// are in api_registry_test.cc.)
#include "tests/e2e/api_fixture.h"

namespace larder::testing {
namespace {

using Names = std::vector<std::string>;
using grpc::StatusCode;

void EntityRpcs(ScratchDatabase& db) {
  ApiServer api(db);
  core::Entity driver = MakeEntity("driver", "driver_id");
  (*driver.mutable_spec()->mutable_tags())["team"] = "rides";
  (*driver.mutable_spec()->mutable_tags())["tier"] = "gold";
  REQUIRE_OK(api.Apply("p", driver));
  REQUIRE_OK(api.Apply("p", MakeEntity("customer", "customer_id", ValueType::STRING)));
  REQUIRE_OK(api.Apply("other", MakeEntity("driver", "other_id")));

  // The spec comes back as sent, with the project filled in and server timestamps.
  const core::Entity got = api.Ok(&Stub::GetEntity, Named<reg::GetEntityRequest>("p", "driver"));
  core::EntitySpecV2 expected = driver.spec();
  expected.set_project("p");
  CHECK(Bytes(got.spec()) == Bytes(expected));
  REQUIRE(got.meta().has_created_timestamp());
  CHECK(Micros(got.meta().created_timestamp()) == Micros(got.meta().last_updated_timestamp()));
  auto cached = Named<reg::GetEntityRequest>("p", "driver");
  cached.set_allow_cache(true);
  CHECK(Bytes(api.Ok(&Stub::GetEntity, cached)) == Bytes(got));

  const auto all = api.Ok(&Stub::ListEntities, In<reg::ListEntitiesRequest>("p"));
  CHECK(SpecNames(all.entities()) == Names{"customer", "driver"});
  CHECK(PaginationText(all.pagination()) == "0,0,2,1,0,0");
  auto by_tag = In<reg::ListEntitiesRequest>("p");
  (*by_tag.mutable_tags())["team"] = "rides";
  CHECK(SpecNames(api.Ok(&Stub::ListEntities, by_tag).entities()) == Names{"driver"});
  const auto none = api.Ok(&Stub::ListEntities, In<reg::ListEntitiesRequest>("nowhere"));
  CHECK(none.entities_size() == 0);
  CHECK(none.has_pagination());
  CHECK(PaginationText(none.pagination()) == "0,0,0,0,0,0");

  REQUIRE_OK(api.Status(&Stub::DeleteEntity, Named<reg::DeleteEntityRequest>("p", "driver")));
  CHECK_FEAST_ERROR(api.Status(&Stub::GetEntity, Named<reg::GetEntityRequest>("p", "driver")),
                    StatusCode::NOT_FOUND, "EntityNotFoundException",
                    "Entity driver does not exist in project p");
  CHECK_FEAST_ERROR(api.Status(&Stub::DeleteEntity, Named<reg::DeleteEntityRequest>("p", "driver")),
                    StatusCode::NOT_FOUND, "EntityNotFoundException",
                    "Entity driver does not exist in project p");
  // Same name, other project: untouched.
  CHECK(
      api.Ok(&Stub::GetEntity, Named<reg::GetEntityRequest>("other", "driver")).spec().join_key() ==
      "other_id");

  CHECK_PLAIN_ERROR(api.Apply("", driver), StatusCode::INVALID_ARGUMENT, "request has no project");
  CHECK_PLAIN_ERROR(api.Apply("p", core::Entity()), StatusCode::INVALID_ARGUMENT,
                    "entity has no name");
}
LARDER_BACKEND_TEST("entities: ApplyEntity, GetEntity, ListEntities, DeleteEntity", EntityRpcs)

void DataSourceRpcs(ScratchDatabase& db) {
  ApiServer api(db);
  core::DataSource file = FileSource("driver_stats_source", "data/driver_stats.parquet");
  (*file.mutable_tags())["team"] = "rides";
  const core::DataSource kafka = KafkaSource("driver_stream", file);
  const core::DataSource request =
      RequestSource("val_to_add", {Field("val_to_add", ValueType::INT64)});
  for (const core::DataSource* source :
       std::initializer_list<const core::DataSource*>{&file, &kafka, &request}) {
    REQUIRE_OK(api.Apply("p", *source));
  }

  const core::DataSource got =
      api.Ok(&Stub::GetDataSource, Named<reg::GetDataSourceRequest>("p", "driver_stream"));
  core::DataSource expected = kafka;
  expected.set_project("p");
  core::DataSource got_definition = got;
  got_definition.clear_meta();
  CHECK(Bytes(got_definition) == Bytes(expected));
  REQUIRE(got.meta().has_created_timestamp());
  CHECK(Micros(got.meta().created_timestamp()) == Micros(got.meta().last_updated_timestamp()));

  CHECK(NamesOf(api.Ok(&Stub::ListDataSources, In<reg::ListDataSourcesRequest>("p")).data_sources(),
                [](const core::DataSource& s) { return s.name(); }) ==
        Names{"driver_stats_source", "driver_stream", "val_to_add"});
  auto by_tag = In<reg::ListDataSourcesRequest>("p");
  (*by_tag.mutable_tags())["team"] = "rides";  // top-level tags of a data source
  CHECK(NamesOf(api.Ok(&Stub::ListDataSources, by_tag).data_sources(),
                [](const core::DataSource& s) { return s.name(); }) ==
        Names{"driver_stats_source"});

  REQUIRE_OK(
      api.Status(&Stub::DeleteDataSource, Named<reg::DeleteDataSourceRequest>("p", "val_to_add")));
  const std::string message = "Data source val_to_add does not exist in project p";
  CHECK_FEAST_ERROR(
      api.Status(&Stub::GetDataSource, Named<reg::GetDataSourceRequest>("p", "val_to_add")),
      StatusCode::NOT_FOUND, "DataSourceObjectNotFoundException", message);
  CHECK_FEAST_ERROR(
      api.Status(&Stub::DeleteDataSource, Named<reg::DeleteDataSourceRequest>("p", "val_to_add")),
      StatusCode::NOT_FOUND, "DataSourceObjectNotFoundException", message);
  CHECK_PLAIN_ERROR(api.Apply("p", core::DataSource()), StatusCode::INVALID_ARGUMENT,
                    "data_source has no name");
}
LARDER_BACKEND_TEST(
    "data sources: ApplyDataSource, GetDataSource, ListDataSources, "
    "DeleteDataSource",
    DataSourceRpcs)

// One view of each kind in project "p", created in this order (so their last_updated
// timestamps increase in this order): driver_hourly_stats (FV), driver_daily (batch FV),
// driver_stream_stats (SFV), driver_labels (label view), conv_plus (ODFV).
struct ViewSet {
  core::DataSource stats = FileSource("driver_stats_source", "data/driver_stats.parquet");
  core::DataSource trips = FileSource("trips_source", "data/trips.parquet");
  core::DataSource stream = KafkaSource("driver_stream", stats);
  core::DataSource request = RequestSource("val_to_add", {Field("val_to_add", ValueType::INT64)});
  core::FeatureView hourly = MakeFeatureView(
      "driver_hourly_stats", {"driver"},
      {Field("conv_rate", ValueType::FLOAT), Field("acc_rate", ValueType::FLOAT)}, stats);
  core::FeatureView daily = [this] {
    core::FeatureView v = MakeFeatureView("driver_daily", {"driver"},
                                          {Field("trips_today", ValueType::INT64)}, trips);
    v.mutable_spec()->mutable_feature_transformation()->mutable_user_defined_function()->set_name(
        "daily");
    return v;
  }();
  core::StreamFeatureView streaming = MakeStreamView("driver_stream_stats", {"driver"},
                                                     {Field("clicks", ValueType::INT64)}, stream);
  core::LabelView labels =
      MakeLabelView("driver_labels", {"driver"}, {Field("is_fraud", ValueType::BOOL)}, stats);
  core::OnDemandFeatureView odfv = MakeOnDemandView(
      "conv_plus", {Field("conv_plus_val", ValueType::DOUBLE)},
      {{"driver_hourly_stats", ViewSource(hourly)}, {"val_to_add", RequestInput(request)}});

  ViewSet() { (*hourly.mutable_spec()->mutable_tags())["team"] = "rides"; }

  void ApplyAll(ApiServer& api, const std::string& project = "p") const {
    REQUIRE_OK(api.Apply(project, MakeEntity("driver", "driver_id")));
    for (const auto* s : {&stats, &trips, &stream, &request}) REQUIRE_OK(api.Apply(project, *s));
    REQUIRE_OK(api.Apply(project, hourly));
    REQUIRE_OK(api.Apply(project, daily));
    REQUIRE_OK(api.Apply(project, streaming));
    REQUIRE_OK(api.Apply(project, labels));
    REQUIRE_OK(api.Apply(project, odfv));
  }
};

template <typename Spec>
Spec WithProject(Spec spec, const std::string& project) {
  spec.set_project(project);
  return spec;
}

void FeatureViewKindRpcs(ScratchDatabase& db) {
  ApiServer api(db);
  const ViewSet v;
  v.ApplyAll(api);

  // Each kind's Get returns the view as sent (plus project) with server-owned meta.
  const auto hourly =
      api.Ok(&Stub::GetFeatureView, Named<reg::GetFeatureViewRequest>("p", "driver_hourly_stats"));
  CHECK(Bytes(hourly.spec()) == Bytes(WithProject(v.hourly.spec(), "p")));
  CHECK(hourly.meta().has_created_timestamp());
  CHECK(hourly.meta().current_version_number() == 0);
  // A batch feature view is a FeatureView with a transformation, in the same table.
  const auto daily =
      api.Ok(&Stub::GetFeatureView, Named<reg::GetFeatureViewRequest>("p", "driver_daily"));
  CHECK(daily.spec().has_feature_transformation());
  CHECK(SpecNames(api.Ok(&Stub::ListFeatureViews, In<reg::ListFeatureViewsRequest>("p"))
                      .feature_views()) == Names{"driver_daily", "driver_hourly_stats"});

  const auto streaming =
      api.Ok(&Stub::GetStreamFeatureView,
             Named<reg::GetStreamFeatureViewRequest>("p", "driver_stream_stats"));
  CHECK(Bytes(streaming.spec()) == Bytes(WithProject(v.streaming.spec(), "p")));
  CHECK(SpecNames(api.Ok(&Stub::ListStreamFeatureViews, In<reg::ListStreamFeatureViewsRequest>("p"))
                      .stream_feature_views()) == Names{"driver_stream_stats"});

  const auto odfv = api.Ok(&Stub::GetOnDemandFeatureView,
                           Named<reg::GetOnDemandFeatureViewRequest>("p", "conv_plus"));
  CHECK(Bytes(odfv.spec()) == Bytes(WithProject(v.odfv.spec(), "p")));
  CHECK(SpecNames(
            api.Ok(&Stub::ListOnDemandFeatureViews, In<reg::ListOnDemandFeatureViewsRequest>("p"))
                .on_demand_feature_views()) == Names{"conv_plus"});

  const auto labels =
      api.Ok(&Stub::GetLabelView, Named<reg::GetLabelViewRequest>("p", "driver_labels"));
  CHECK(Bytes(labels.spec()) == Bytes(WithProject(v.labels.spec(), "p")));
  CHECK(
      SpecNames(api.Ok(&Stub::ListLabelViews, In<reg::ListLabelViewsRequest>("p")).label_views()) ==
      Names{"driver_labels"});

  // GetFeatureView sees only plain (and batch) feature views; every kind's miss is
  // FeatureViewNotFoundException.
  CHECK_FEAST_ERROR(api.Status(&Stub::GetFeatureView,
                               Named<reg::GetFeatureViewRequest>("p", "driver_stream_stats")),
                    StatusCode::NOT_FOUND, "FeatureViewNotFoundException",
                    "Feature view driver_stream_stats does not exist in project p");
  CHECK_FEAST_ERROR(api.Status(&Stub::GetStreamFeatureView,
                               Named<reg::GetStreamFeatureViewRequest>("p", "driver_hourly_stats")),
                    StatusCode::NOT_FOUND, "FeatureViewNotFoundException",
                    "Feature view driver_hourly_stats does not exist in project p");

  // GetAnyFeatureView answers with the arm of whichever kind holds the name.
  const std::vector<std::pair<std::string, reg::AnyFeatureView::AnyFeatureViewCase>> arms = {
      {"driver_hourly_stats", reg::AnyFeatureView::kFeatureView},
      {"driver_daily", reg::AnyFeatureView::kFeatureView},
      {"driver_stream_stats", reg::AnyFeatureView::kStreamFeatureView},
      {"conv_plus", reg::AnyFeatureView::kOnDemandFeatureView},
      {"driver_labels", reg::AnyFeatureView::kLabelView}};
  for (const auto& [name, arm] : arms) {
    INFO(name);
    const auto any =
        api.Ok(&Stub::GetAnyFeatureView, Named<reg::GetAnyFeatureViewRequest>("p", name));
    CHECK(any.any_feature_view().any_feature_view_case() == arm);
  }
  CHECK_FEAST_ERROR(
      api.Status(&Stub::GetAnyFeatureView, Named<reg::GetAnyFeatureViewRequest>("p", "ghost")),
      StatusCode::NOT_FOUND, "FeatureViewNotFoundException",
      "Feature view ghost does not exist in project p");

  // Bad requests.
  CHECK_PLAIN_ERROR(api.Status(&Stub::ApplyFeatureView, In<reg::ApplyFeatureViewRequest>("p")),
                    StatusCode::INVALID_ARGUMENT,
                    "ApplyFeatureViewRequest carries no feature view");
  core::FeatureView bad_name = v.hourly;
  bad_name.mutable_spec()->set_name("driver@v2");
  const grpc::Status bad = api.Apply("p", bad_name);
  CHECK(bad.error_code() == StatusCode::INVALID_ARGUMENT);
  CHECK(bad.error_message().rfind("{", 0) != 0);  // plain text, not Feast JSON

  // Names are unique across the four kinds; the message names both Python classes.
  core::LabelView clash = v.labels;
  clash.mutable_spec()->set_name("driver_stream_stats");
  CHECK_FEAST_ERROR(
      api.Apply("p", clash), StatusCode::ALREADY_EXISTS, "ConflictingFeatureViewNames",
      "Feature view name 'driver_stream_stats' is already used by a StreamFeatureView. A "
      "LabelView cannot have the same name. Feature view names must be unique across all "
      "feature view types in a project.");
  core::FeatureView batch_clash = v.daily;
  batch_clash.mutable_spec()->set_name("conv_plus");
  CHECK_FEAST_ERROR(
      api.Apply("p", batch_clash), StatusCode::ALREADY_EXISTS, "ConflictingFeatureViewNames",
      "Feature view name 'conv_plus' is already used by a OnDemandFeatureView. A "
      "BatchFeatureView cannot have the same name. Feature view names must be unique across "
      "all feature view types in a project.");
}
LARDER_BACKEND_TEST(
    "feature views: ApplyFeatureView of each kind, Get/List per kind, "
    "GetAnyFeatureView",
    FeatureViewKindRpcs)

void ListAllFeatureViewsFilters(ScratchDatabase& db) {
  ApiServer api(db);
  const ViewSet v;
  v.ApplyAll(api);
  REQUIRE_OK(api.Apply("p", MakeFeatureService("fs", {Projection("driver_hourly_stats", {}),
                                                      Projection("conv_plus", {}),
                                                      Projection("driver_labels", {})})));
  auto list = [&](auto&& adjust) {
    auto request = In<reg::ListAllFeatureViewsRequest>("p");
    adjust(request);
    return api.Ok(&Stub::ListAllFeatureViews, request);
  };
  auto names = [&](auto&& adjust) { return AnyViewNames(list(adjust).feature_views()); };
  using Req = reg::ListAllFeatureViewsRequest;

  // FVs, then SFVs, then ODFVs; label views never.
  const auto all = list([](Req&) {});
  CHECK(AnyViewNames(all.feature_views()) ==
        Names{"driver_daily", "driver_hourly_stats", "driver_stream_stats", "conv_plus"});
  CHECK(PaginationText(all.pagination()) == "0,0,4,1,0,0");
  CHECK(names([](Req& r) { r.set_entity("driver"); }) ==
        Names{"driver_daily", "driver_hourly_stats", "driver_stream_stats"});
  CHECK(names([](Req& r) { r.set_feature("conv_rate"); }) == Names{"driver_hourly_stats"});
  CHECK(names([](Req& r) { r.set_feature("conv_plus_val"); }) == Names{"conv_plus"});
  CHECK(names([](Req& r) { r.set_feature("is_fraud"); }).empty());  // a label-view feature
  // Batch or stream source; an ODFV only through its request sources.
  CHECK(names([](Req& r) { r.set_data_source("driver_stats_source"); }) ==
        Names{"driver_hourly_stats", "driver_stream_stats"});
  CHECK(names([](Req& r) { r.set_data_source("driver_stream"); }) == Names{"driver_stream_stats"});
  CHECK(names([](Req& r) { r.set_data_source("val_to_add"); }) == Names{"conv_plus"});
  CHECK(names([](Req& r) {
          r.set_entity("driver");
          r.set_data_source("trips_source");
        }) == Names{"driver_daily"});
  // Views projected by the service, by underlying name (its label view is still left out).
  CHECK(names([](Req& r) { r.set_feature_service("fs"); }) ==
        Names{"driver_hourly_stats", "conv_plus"});
  const auto unknown_service = list([](Req& r) { r.set_feature_service("nope"); });
  CHECK(unknown_service.feature_views_size() == 0);
  CHECK(unknown_service.has_pagination());
  CHECK(PaginationText(unknown_service.pagination()) == "0,0,0,0,0,0");
  CHECK(names([](Req& r) { (*r.mutable_tags())["team"] = "rides"; }) ==
        Names{"driver_hourly_stats"});

  // updated_since (when present) keeps views updated at or after it, to the microsecond.
  auto updated = [&](const std::string& name) {
    const auto any =
        api.Ok(&Stub::GetAnyFeatureView, Named<reg::GetAnyFeatureViewRequest>("p", name));
    const auto& a = any.any_feature_view();
    if (a.has_on_demand_feature_view()) {
      return a.on_demand_feature_view().meta().last_updated_timestamp();
    }
    if (a.has_stream_feature_view()) return a.stream_feature_view().meta().last_updated_timestamp();
    return a.feature_view().meta().last_updated_timestamp();
  };
  core::FeatureView daily = v.daily;
  daily.mutable_spec()->set_description("changed");
  REQUIRE_OK(api.Apply("p", daily));
  const Timestamp odfv_time = updated("conv_plus");
  REQUIRE(Micros(updated("driver_stream_stats")) < Micros(odfv_time));
  REQUIRE(Micros(odfv_time) < Micros(updated("driver_daily")));
  CHECK(names([&](Req& r) { *r.mutable_updated_since() = odfv_time; }) ==
        Names{"driver_daily", "conv_plus"});
  const Timestamp daily_time = updated("driver_daily");
  CHECK(names([&](Req& r) { *r.mutable_updated_since() = daily_time; }) == Names{"driver_daily"});
  CHECK(names([&](Req& r) {
          *r.mutable_updated_since() = Ts(daily_time.seconds(), daily_time.nanos() + 1000);
        }).empty());
  CHECK(names([](Req& r) { r.mutable_updated_since(); }).size() == 4);  // present, epoch

  // Sorting and paging apply to the merged list.
  const auto page = list([](Req& r) {
    r.mutable_sorting()->set_sort_by("name");
    r.mutable_pagination()->set_page(2);
    r.mutable_pagination()->set_limit(3);
  });
  CHECK(AnyViewNames(page.feature_views()) == Names{"driver_stream_stats"});
  CHECK(PaginationText(page.pagination()) == "2,3,4,2,0,1");
}
LARDER_BACKEND_TEST("feature views: ListAllFeatureViews filters, never label views",
                    ListAllFeatureViewsFilters)

void DeleteFeatureViewAnyKind(ScratchDatabase& db) {
  ApiServer api(db);
  const ViewSet v;
  v.ApplyAll(api);
  v.ApplyAll(api, "other");
  for (const std::string name : {"driver_hourly_stats", "driver_daily", "driver_stream_stats",
                                 "conv_plus", "driver_labels"}) {
    INFO(name);
    REQUIRE_OK(
        api.Status(&Stub::DeleteFeatureView, Named<reg::DeleteFeatureViewRequest>("p", name)));
    const std::string message = "Feature view " + name + " does not exist in project p";
    CHECK_FEAST_ERROR(
        api.Status(&Stub::GetAnyFeatureView, Named<reg::GetAnyFeatureViewRequest>("p", name)),
        StatusCode::NOT_FOUND, "FeatureViewNotFoundException", message);
    CHECK_FEAST_ERROR(
        api.Status(&Stub::DeleteFeatureView, Named<reg::DeleteFeatureViewRequest>("p", name)),
        StatusCode::NOT_FOUND, "FeatureViewNotFoundException", message);
    CHECK(PeekVersions(api.db_url(), "p", name).empty());  // history goes with the view
    // The same name in another project is untouched.
    api.Ok(&Stub::GetAnyFeatureView, Named<reg::GetAnyFeatureViewRequest>("other", name));
  }
  CHECK(api.Ok(&Stub::ListAllFeatureViews, In<reg::ListAllFeatureViewsRequest>("p"))
            .feature_views_size() == 0);
  CHECK(api.Ok(&Stub::ListLabelViews, In<reg::ListLabelViewsRequest>("p")).label_views_size() == 0);
  // The freed name can now be taken by another kind.
  core::OnDemandFeatureView reuse = v.odfv;
  reuse.mutable_spec()->set_name("driver_hourly_stats");
  CHECK_OK(api.Apply("p", reuse));
}
LARDER_BACKEND_TEST("feature views: DeleteFeatureView deletes whichever kind holds the name",
                    DeleteFeatureViewAnyKind)

void FeatureViewVersions(ScratchDatabase& db) {
  ApiServer api(db);
  const ViewSet v;
  v.ApplyAll(api);
  auto get = [&] {
    return api.Ok(&Stub::GetFeatureView,
                  Named<reg::GetFeatureViewRequest>("p", "driver_hourly_stats"));
  };
  auto history = [&](const std::string& name) {
    std::vector<int32_t> numbers;
    for (const auto& r : PeekVersions(api.db_url(), "p", name)) numbers.push_back(r.version_number);
    return numbers;
  };
  // A new view is version 0, recorded in the history.
  CHECK(get().meta().current_version_number() == 0);
  CHECK(history("driver_hourly_stats") == std::vector<int32_t>{0});
  // A change outside the schema keeps the number; a schema change (a new feature) makes v1.
  core::FeatureView view = v.hourly;
  view.mutable_spec()->set_description("described");
  REQUIRE_OK(api.Apply("p", view));
  CHECK(get().meta().current_version_number() == 0);
  CHECK(history("driver_hourly_stats") == std::vector<int32_t>{0});
  *view.mutable_spec()->add_features() = Field("trips", ValueType::INT64);
  REQUIRE_OK(api.Apply("p", view));
  const core::FeatureView v1 = get();
  CHECK(v1.meta().current_version_number() == 1);
  const auto records = PeekVersions(api.db_url(), "p", "driver_hourly_stats");
  REQUIRE(records.size() == 2);
  CHECK(records[1].view_type == "feature_view");
  core::FeatureView recorded;
  REQUIRE(recorded.ParseFromString(records[1].proto));
  CHECK(recorded.spec().project() == "p");
  CHECK(recorded.spec().features_size() == 3);
  CHECK(recorded.meta().current_version_number() == 1);
  // "latest" is an ordinary apply (pinned versions are in api_versions_test.cc).
  view.mutable_spec()->set_version("latest");
  CHECK_OK(api.Apply("p", view));
  CHECK(get().meta().current_version_number() == 1);
  // On-demand views: a new transformation is a new version.
  core::OnDemandFeatureView odfv = v.odfv;
  odfv.mutable_spec()
      ->mutable_feature_transformation()
      ->mutable_user_defined_function()
      ->set_body_text("def conv_plus(inputs):\n    return inputs * 2\n");
  REQUIRE_OK(api.Apply("p", odfv));
  CHECK(api.Ok(&Stub::GetOnDemandFeatureView,
               Named<reg::GetOnDemandFeatureViewRequest>("p", "conv_plus"))
            .meta()
            .current_version_number() == 1);
  CHECK(history("conv_plus") == std::vector<int32_t>{0, 1});
}
LARDER_BACKEND_TEST("feature views: schema changes number versions in the version history",
                    FeatureViewVersions)

void FeatureServiceRpcs(ScratchDatabase& db) {
  ApiServer api(db);
  const ViewSet v;
  v.ApplyAll(api);
  const core::FeatureService a = MakeFeatureService(
      "svc_a", {Projection("driver_hourly_stats", {Field("conv_rate", ValueType::FLOAT)})});
  core::FeatureService b = MakeFeatureService(
      "svc_b", {Projection("conv_plus", {Field("conv_plus_val", ValueType::DOUBLE)}),
                Projection("driver_hourly_stats", {Field("acc_rate", ValueType::FLOAT)})});
  (*b.mutable_spec()->mutable_tags())["team"] = "rides";
  REQUIRE_OK(api.Apply("p", a));
  REQUIRE_OK(api.Apply("p", b));

  // Typed projections are stored as sent.
  const auto got =
      api.Ok(&Stub::GetFeatureService, Named<reg::GetFeatureServiceRequest>("p", "svc_b"));
  CHECK(Bytes(got.spec()) == Bytes(WithProject(b.spec(), "p")));
  CHECK(got.meta().has_created_timestamp());

  auto using_view = [&](const std::string& view) {
    auto request = In<reg::ListFeatureServicesRequest>("p");
    request.set_feature_view(view);
    return SpecNames(api.Ok(&Stub::ListFeatureServices, request).feature_services());
  };
  CHECK(using_view("") == Names{"svc_a", "svc_b"});
  CHECK(using_view("driver_hourly_stats") == Names{"svc_a", "svc_b"});
  CHECK(using_view("conv_plus") == Names{"svc_b"});
  CHECK(using_view("driver_stream_stats").empty());
  auto by_tag = In<reg::ListFeatureServicesRequest>("p");
  (*by_tag.mutable_tags())["team"] = "rides";
  CHECK(SpecNames(api.Ok(&Stub::ListFeatureServices, by_tag).feature_services()) == Names{"svc_b"});

  // Projections without (typed) feature columns are filled from the stored views.
  REQUIRE_OK(api.Apply(
      "p", MakeFeatureService(
               "svc_c", {Projection("driver_hourly_stats", {}),
                         Projection("conv_plus", {Field("conv_plus_val", ValueType::INVALID)})})));
  const auto c =
      api.Ok(&Stub::GetFeatureService, Named<reg::GetFeatureServiceRequest>("p", "svc_c"));
  REQUIRE(c.spec().features_size() == 2);
  CHECK(Bytes(c.spec().features(0)) ==
        Bytes(Projection("driver_hourly_stats", {Field("conv_rate", ValueType::FLOAT),
                                                 Field("acc_rate", ValueType::FLOAT)})));
  CHECK(Bytes(c.spec().features(1)) ==
        Bytes(Projection("conv_plus", {Field("conv_plus_val", ValueType::DOUBLE)})));
  CHECK_FEAST_ERROR(api.Apply("p", MakeFeatureService("svc_d", {Projection("ghost", {})})),
                    StatusCode::NOT_FOUND, "FeastObjectNotFoundException",
                    "Feature view 'ghost' not found in project 'p'");

  REQUIRE_OK(api.Status(&Stub::DeleteFeatureService,
                        Named<reg::DeleteFeatureServiceRequest>("p", "svc_a")));
  const std::string message = "Feature service svc_a does not exist in project p";
  CHECK_FEAST_ERROR(
      api.Status(&Stub::GetFeatureService, Named<reg::GetFeatureServiceRequest>("p", "svc_a")),
      StatusCode::NOT_FOUND, "FeatureServiceNotFoundException", message);
  CHECK_FEAST_ERROR(api.Status(&Stub::DeleteFeatureService,
                               Named<reg::DeleteFeatureServiceRequest>("p", "svc_a")),
                    StatusCode::NOT_FOUND, "FeatureServiceNotFoundException", message);
  CHECK(using_view("") == Names{"svc_b", "svc_c"});
}
LARDER_BACKEND_TEST(
    "feature services: ApplyFeatureService, GetFeatureService, "
    "ListFeatureServices (feature_view filter), DeleteFeatureService",
    FeatureServiceRpcs)

void SavedDatasetRpcs(ScratchDatabase& db) {
  ApiServer api(db);
  core::SavedDataset ds1 = MakeSavedDataset("ds1", "team_a", "training");
  (*ds1.mutable_spec()->mutable_tags())["kind"] = "gold";
  REQUIRE_OK(api.Apply("p", ds1));
  REQUIRE_OK(api.Apply("p", MakeSavedDataset("ds2", "team_a", "eval")));
  REQUIRE_OK(api.Apply("p", MakeSavedDataset("ds3", "team_b", "training")));

  const auto got = api.Ok(&Stub::GetSavedDataset, Named<reg::GetSavedDatasetRequest>("p", "ds1"));
  CHECK(Bytes(got.spec()) == Bytes(WithProject(ds1.spec(), "p")));
  CHECK(got.meta().has_created_timestamp());

  auto list = [&](const std::string& name_space, const std::string& collection) {
    auto request = In<reg::ListSavedDatasetsRequest>("p");
    request.set_namespace_(name_space);
    request.set_collection(collection);
    return SpecNames(api.Ok(&Stub::ListSavedDatasets, request).saved_datasets());
  };
  CHECK(list("", "") == Names{"ds1", "ds2", "ds3"});
  CHECK(list("team_a", "") == Names{"ds1", "ds2"});
  CHECK(list("", "training") == Names{"ds1", "ds3"});
  CHECK(list("team_a", "training") == Names{"ds1"});
  CHECK(list("team_c", "").empty());
  auto by_tag = In<reg::ListSavedDatasetsRequest>("p");
  (*by_tag.mutable_tags())["kind"] = "gold";
  CHECK(SpecNames(api.Ok(&Stub::ListSavedDatasets, by_tag).saved_datasets()) == Names{"ds1"});

  REQUIRE_OK(
      api.Status(&Stub::DeleteSavedDataset, Named<reg::DeleteSavedDatasetRequest>("p", "ds1")));
  const std::string message = "Saved dataset ds1 does not exist in project p";
  CHECK_FEAST_ERROR(
      api.Status(&Stub::GetSavedDataset, Named<reg::GetSavedDatasetRequest>("p", "ds1")),
      StatusCode::NOT_FOUND, "SavedDatasetNotFound", message);
  CHECK_FEAST_ERROR(
      api.Status(&Stub::DeleteSavedDataset, Named<reg::DeleteSavedDatasetRequest>("p", "ds1")),
      StatusCode::NOT_FOUND, "SavedDatasetNotFound", message);
}
LARDER_BACKEND_TEST(
    "saved datasets: ApplySavedDataset, GetSavedDataset, ListSavedDatasets "
    "(namespace/collection filters), DeleteSavedDataset",
    SavedDatasetRpcs)

void ValidationReferenceRpcs(ScratchDatabase& db) {
  ApiServer api(db);
  core::ValidationReference ref = MakeValidationReference("vr", "ds1");
  (*ref.mutable_tags())["team"] = "rides";
  REQUIRE_OK(api.Apply("p", ref));
  REQUIRE_OK(api.Apply("p", MakeValidationReference("vr2", "ds2")));

  const auto got =
      api.Ok(&Stub::GetValidationReference, Named<reg::GetValidationReferenceRequest>("p", "vr"));
  core::ValidationReference expected = ref;
  expected.set_project("p");
  CHECK(Bytes(got) == Bytes(expected));  // no meta: the whole message round-trips
  // No change detection for Feast here; a changed reference simply replaces the stored one.
  ref.set_description("new profile");
  REQUIRE_OK(api.Apply("p", ref));
  CHECK(api.Ok(&Stub::GetValidationReference, Named<reg::GetValidationReferenceRequest>("p", "vr"))
            .description() == "new profile");

  CHECK(
      NamesOf(api.Ok(&Stub::ListValidationReferences, In<reg::ListValidationReferencesRequest>("p"))
                  .validation_references(),
              [](const core::ValidationReference& r) { return r.name(); }) == Names{"vr", "vr2"});
  auto by_tag = In<reg::ListValidationReferencesRequest>("p");
  (*by_tag.mutable_tags())["team"] = "rides";
  CHECK(api.Ok(&Stub::ListValidationReferences, by_tag).validation_references_size() == 1);

  REQUIRE_OK(api.Status(&Stub::DeleteValidationReference,
                        Named<reg::DeleteValidationReferenceRequest>("p", "vr")));
  const std::string message = "Validation reference vr does not exist in project p";
  CHECK_FEAST_ERROR(api.Status(&Stub::GetValidationReference,
                               Named<reg::GetValidationReferenceRequest>("p", "vr")),
                    StatusCode::NOT_FOUND, "ValidationReferenceNotFound", message);
  CHECK_FEAST_ERROR(api.Status(&Stub::DeleteValidationReference,
                               Named<reg::DeleteValidationReferenceRequest>("p", "vr")),
                    StatusCode::NOT_FOUND, "ValidationReferenceNotFound", message);
}
LARDER_BACKEND_TEST("validation references: Apply/Get/List/DeleteValidationReference",
                    ValidationReferenceRpcs)

void PermissionRpcs(ScratchDatabase& db) {
  ApiServer api(db);
  core::Permission reader = MakePermission("reader");
  (*reader.mutable_spec()->mutable_tags())["team"] = "rides";
  REQUIRE_OK(api.Apply("p", reader));
  REQUIRE_OK(api.Apply("p", MakePermission("writer")));

  const auto got = api.Ok(&Stub::GetPermission, Named<reg::GetPermissionRequest>("p", "reader"));
  CHECK(Bytes(got.spec()) == Bytes(WithProject(reader.spec(), "p")));
  CHECK(got.meta().has_created_timestamp());
  CHECK(SpecNames(
            api.Ok(&Stub::ListPermissions, In<reg::ListPermissionsRequest>("p")).permissions()) ==
        Names{"reader", "writer"});
  auto by_tag = In<reg::ListPermissionsRequest>("p");
  (*by_tag.mutable_tags())["team"] = "rides";
  CHECK(SpecNames(api.Ok(&Stub::ListPermissions, by_tag).permissions()) == Names{"reader"});

  REQUIRE_OK(
      api.Status(&Stub::DeletePermission, Named<reg::DeletePermissionRequest>("p", "reader")));
  // Always the NOT_FOUND class (Feast's database path would say INTERNAL
  // PermissionNotFoundException), whether or not the cache serves the read.
  const std::string message = "Permission reader does not exist in project p";
  for (const bool allow_cache : {false, true}) {
    auto get = Named<reg::GetPermissionRequest>("p", "reader");
    get.set_allow_cache(allow_cache);
    CHECK_FEAST_ERROR(api.Status(&Stub::GetPermission, get), StatusCode::NOT_FOUND,
                      "PermissionObjectNotFoundException", message);
  }
  CHECK_FEAST_ERROR(
      api.Status(&Stub::DeletePermission, Named<reg::DeletePermissionRequest>("p", "reader")),
      StatusCode::NOT_FOUND, "PermissionObjectNotFoundException", message);
}
LARDER_BACKEND_TEST(
    "permissions: Apply/Get/List/DeletePermission, missing is "
    "PermissionObjectNotFoundException",
    PermissionRpcs)

}  // namespace
}  // namespace larder::testing
