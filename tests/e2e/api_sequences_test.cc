// Replays of the Feast Python client's call sequences (docs/feast-registry-api.md §6) against the
// real larder binary on every backend: `feast apply` on the plan path (§6.1) and the legacy path
// (§6.2), each run twice, and `feast materialize-incremental` twice (§6.3) followed by
// `feast projects delete`.
#include "tests/e2e/api_fixture.h"

namespace larder::testing {
namespace {

using Names = std::vector<std::string>;

// Calls 1-9 of §6.1/§6.2: what `extract_objects_for_apply_delete` and `diff_between` list.
// Returns the number of objects seen in `project`.
int ListRegistryForApply(ApiServer& api, const std::string& project) {
  int seen = 0;
  const auto projects = api.Ok(&Stub::ListProjects, reg::ListProjectsRequest());
  for (const auto& p : projects.projects()) {
    seen += p.spec().name() == project;
  }
  seen +=
      api.Ok(&Stub::ListDataSources, In<reg::ListDataSourcesRequest>(project)).data_sources_size();
  seen += api.Ok(&Stub::ListEntities, In<reg::ListEntitiesRequest>(project)).entities_size();
  seen += api.Ok(&Stub::ListFeatureViews, In<reg::ListFeatureViewsRequest>(project))
              .feature_views_size();
  seen += api.Ok(&Stub::ListOnDemandFeatureViews, In<reg::ListOnDemandFeatureViewsRequest>(project))
              .on_demand_feature_views_size();
  seen += api.Ok(&Stub::ListStreamFeatureViews, In<reg::ListStreamFeatureViewsRequest>(project))
              .stream_feature_views_size();
  seen += api.Ok(&Stub::ListLabelViews, In<reg::ListLabelViewsRequest>(project)).label_views_size();
  seen += api.Ok(&Stub::ListFeatureServices, In<reg::ListFeatureServicesRequest>(project))
              .feature_services_size();
  seen +=
      api.Ok(&Stub::ListPermissions, In<reg::ListPermissionsRequest>(project)).permissions_size();
  return seen;
}

void UpdateInfra(ApiServer& api, const DemoRepo& repo) {
  reg::UpdateInfraRequest request;
  *request.mutable_infra() = repo.infra;
  request.set_project(repo.project);
  request.set_commit(true);
  api.Ok(&Stub::UpdateInfra, request);
}

// Calls 1-21 of §6.1: the lists (twice, with the inference ListEntities between), Refresh and
// GetInfra. Returns the infra the client saw.
core::Infra PlanPathReads(ApiServer& api, const DemoRepo& repo, int expected_objects) {
  CHECK(ListRegistryForApply(api, repo.project) == expected_objects);
  api.Ok(&Stub::ListEntities, In<reg::ListEntitiesRequest>(repo.project));
  CHECK(ListRegistryForApply(api, repo.project) == expected_objects);
  reg::RefreshRequest refresh;
  refresh.set_project(repo.project);
  api.Ok(&Stub::Refresh, refresh);
  return api.Ok(&Stub::GetInfra, In<reg::GetInfraRequest>(repo.project));
}

// What must hold after the first `feast apply` of the example repository.
void CheckDemoApplied(ApiServer& api, const DemoRepo& repo) {
  const core::Registry proto = api.Proto();
  CHECK(SpecNames(proto.projects()) == Names{"demo"});
  CHECK(SpecNames(proto.entities()) == Names{"__dummy", "customer", "driver"});
  CHECK(NamesOf(proto.data_sources(), [](const core::DataSource& s) { return s.name(); }) ==
        Names{"customer_stats_source", "driver_stats_source"});
  CHECK(SpecNames(proto.feature_views()) == Names{"customer_profile", "driver_hourly_stats"});
  CHECK(SpecNames(proto.on_demand_feature_views()) == Names{"driver_conv_adjusted"});
  CHECK(SpecNames(proto.feature_services()) == Names{"driver_activity"});
  // Every object was inserted once: created == last_updated.
  auto inserted_once = [](const auto& items) {
    for (const auto& o : items) {
      INFO(o.spec().name());
      CHECK(Micros(o.meta().created_timestamp()) == Micros(o.meta().last_updated_timestamp()));
    }
  };
  inserted_once(proto.projects());
  inserted_once(proto.entities());
  inserted_once(proto.feature_views());
  inserted_once(proto.on_demand_feature_views());
  inserted_once(proto.feature_services());
  CHECK(Bytes(api.Ok(&Stub::GetInfra, In<reg::GetInfraRequest>(repo.project))) ==
        Bytes(repo.infra));
  CHECK(api.Ok(&Stub::ListProjectMetadata, In<reg::ListProjectMetadataRequest>(repo.project))
            .project_metadata_size() == 1);
}

void PlanPathApply(ScratchDatabase& db) {
  ApiServer api(db);
  DemoRepo repo = MakeDemoRepo();

  // First run on an empty registry.
  CHECK(Bytes(PlanPathReads(api, repo, 0)).empty());
  ApplyDemoRepo(api, repo);  // calls 22-32: ApplyProject ... UpdateInfra(commit=true)
  CheckDemoApplied(api, repo);

  // Second run, nothing changed in the repo: calls 1-21 and 32 only, and nothing is written,
  // not even the identical infra (version_id, the change-log revision, stays put).
  const core::Registry before = api.Proto();
  CHECK(Bytes(PlanPathReads(api, repo, 1 + 2 + 3 + 2 + 1 + 1)) == Bytes(repo.infra));
  UpdateInfra(api, repo);
  const core::Registry after = api.Proto();
  CHECK(Bytes(after) == Bytes(before));
  CHECK(after.version_id() == before.version_id());
  for (int i = 0; i < after.feature_views_size(); ++i) {
    CHECK(Bytes(after.feature_views(i).meta().last_updated_timestamp()) ==
          Bytes(before.feature_views(i).meta().last_updated_timestamp()));
  }

  // Third run with one feature view changed: only that view is re-sent, and only it changes.
  repo.customer_profile.mutable_spec()->set_description("customer features, v2");
  PlanPathReads(api, repo, 10);
  REQUIRE_OK(api.Apply(repo.project, repo.customer_profile));
  UpdateInfra(api, repo);
  const core::Registry changed = api.Proto();
  REQUIRE(SpecNames(changed.feature_views()) == Names{"customer_profile", "driver_hourly_stats"});
  const core::FeatureView& old_view = before.feature_views(0);
  const core::FeatureView& new_view = changed.feature_views(0);
  CHECK(new_view.spec().description() == "customer features, v2");
  CHECK(Bytes(new_view.meta().created_timestamp()) == Bytes(old_view.meta().created_timestamp()));
  CHECK(Micros(new_view.meta().last_updated_timestamp()) >
        Micros(old_view.meta().last_updated_timestamp()));
  core::Registry rest_before = before, rest_after = changed;
  for (auto* r : {&rest_before, &rest_after}) {
    r->mutable_feature_views()->DeleteSubrange(0, 1);
    r->clear_version_id();
  }
  CHECK(Bytes(rest_after) == Bytes(rest_before));
  CHECK(changed.version_id() != before.version_id());
}
LARDER_BACKEND_TEST(
    "sequence 6.1: feast apply (plan path), then an unchanged and a changed "
    "re-run",
    PlanPathApply)

// §6.2 calls 11-23: everything re-sent with commit=false, then Commit and Refresh.
void LegacyApplyRun(ApiServer& api, const DemoRepo& repo) {
  CHECK(ListRegistryForApply(api, repo.project) >= 0);  // calls 1-9
  api.Ok(&Stub::ListEntities, In<reg::ListEntitiesRequest>(repo.project));
  // The CLI's Project is built fresh on every run, with client-side "now" timestamps.
  core::Project project = repo.project_object;
  *project.mutable_meta()->mutable_created_timestamp() = NowTs();
  *project.mutable_meta()->mutable_last_updated_timestamp() = NowTs();
  const std::string& p = repo.project;
  REQUIRE_OK(api.Apply(project));
  REQUIRE_OK(api.Apply(p, repo.driver_source));
  REQUIRE_OK(api.Apply(p, repo.customer_source));
  REQUIRE_OK(api.Apply(p, repo.driver_stats));
  REQUIRE_OK(api.Apply(p, repo.customer_profile));
  REQUIRE_OK(api.Apply(p, repo.conv_adjusted));
  REQUIRE_OK(api.Apply(p, repo.driver));
  REQUIRE_OK(api.Apply(p, repo.customer));
  REQUIRE_OK(api.Apply(p, repo.dummy));
  REQUIRE_OK(api.Apply(p, repo.dummy));  // the store appends the placeholder a second time
  REQUIRE_OK(api.Apply(p, repo.activity));
  api.Ok(&Stub::Commit, Empty());
  reg::RefreshRequest refresh;
  refresh.set_project(p);
  api.Ok(&Stub::Refresh, refresh);
}

void LegacyPathApply(ScratchDatabase& db) {
  ApiServer api(db);
  DemoRepo repo = MakeDemoRepo();
  repo.infra.Clear();  // this path never calls UpdateInfra

  LegacyApplyRun(api, repo);
  CheckDemoApplied(api, repo);

  // Second run: every object re-sent. Feast would rewrite the project (its equality includes
  // the client's fresh timestamps) and nothing else; Larder compares the project's spec, so it
  // rewrites nothing at all: the whole registry, project included, is byte-identical.
  const core::Registry before = api.Proto();
  LegacyApplyRun(api, repo);
  const core::Registry after = api.Proto();
  CHECK(Bytes(after) == Bytes(before));
  CHECK(Bytes(after.projects(0).meta()) == Bytes(before.projects(0).meta()));
  CHECK(after.version_id() == before.version_id());
}
LARDER_BACKEND_TEST(
    "sequence 6.2: feast apply (legacy path) twice; the re-run rewrites "
    "nothing, not even the project",
    LegacyPathApply)

// The newest end_time of a view's intervals (feature_view.py:most_recent_end_time).
std::optional<Timestamp> MostRecentEnd(const core::FeatureView& view) {
  std::optional<Timestamp> newest;
  for (const auto& i : view.meta().materialization_intervals()) {
    if (!newest || Micros(i.end_time()) > Micros(*newest)) newest = i.end_time();
  }
  return newest;
}

// §6.3 `feast materialize-incremental END` with the client's clock at `now`. Returns
// view name -> (start, end) sent in ApplyMaterialization.
std::map<std::string, std::pair<Timestamp, Timestamp>> MaterializeIncremental(
    ApiServer& api, const std::string& project, const Timestamp& end, const Timestamp& now) {
  std::map<std::string, std::pair<Timestamp, Timestamp>> sent;
  const auto views =
      api.Ok(&Stub::ListFeatureViews, In<reg::ListFeatureViewsRequest>(project)).feature_views();
  api.Ok(&Stub::ListStreamFeatureViews, In<reg::ListStreamFeatureViewsRequest>(project));
  api.Ok(&Stub::ListOnDemandFeatureViews, In<reg::ListOnDemandFeatureViewsRequest>(project));
  for (const core::FeatureView& view : views) {
    if (!view.spec().online() || view.spec().disabled()) continue;
    const std::string& name = view.spec().name();
    INFO(name);
    if (view.meta().state() != core::STATE_UNSPECIFIED) {  // (a) from the second run on
      reg::ApplyFeatureViewRequest marking;
      *marking.mutable_feature_view() = view;
      marking.mutable_feature_view()->mutable_meta()->set_state(core::MATERIALIZING);
      marking.set_project(project);
      marking.set_commit(true);
      api.Ok(&Stub::ApplyFeatureView, marking);
      // Larder persists the state (Feast's SqlRegistry drops state-only changes).
      const auto stored =
          api.Ok(&Stub::GetFeatureView, Named<reg::GetFeatureViewRequest>(project, name));
      CHECK(stored.meta().state() == core::MATERIALIZING);
      CHECK(Bytes(stored.meta().materialization_intervals(0)) ==
            Bytes(view.meta().materialization_intervals(0)));
    }
    for (const std::string& entity : view.spec().entities()) {  // (b)
      api.Ok(&Stub::GetEntity, Named<reg::GetEntityRequest>(project, entity));
    }
    // (c) from the newest end, or now - ttl when never materialised.
    const Timestamp start =
        MostRecentEnd(view).value_or(Ts(now.seconds() - view.spec().ttl().seconds(), now.nanos()));
    reg::ApplyMaterializationRequest request;
    *request.mutable_feature_view() = view;
    request.set_project(project);
    *request.mutable_start_date() = start;
    *request.mutable_end_date() = end;
    request.set_commit(true);
    api.Ok(&Stub::ApplyMaterialization, request);
    sent[name] = {start, end};
  }
  api.Ok(&Stub::ListFeatureServices, In<reg::ListFeatureServicesRequest>(project));  // (4)
  return sent;
}

void MaterializeIncrementalThenDelete(ScratchDatabase& db) {
  ApiServer api(db);
  const DemoRepo repo = MakeDemoRepo();
  ApplyDemoRepo(api, repo);
  const core::Registry applied = api.Proto();

  const Timestamp end1 = Ts(1754006400, 250000000);  // 2025-08-01T00:00:00.25Z
  const Timestamp end2 = Ts(end1.seconds() + 86400, 0);
  const auto first = MaterializeIncremental(api, "demo", end1, end1);
  const auto second = MaterializeIncremental(api, "demo", end2, end2);
  REQUIRE(first.size() == 2);
  REQUIRE(second.size() == 2);  // the on-demand view is never materialised

  for (const std::string name : {"driver_hourly_stats", "customer_profile"}) {
    INFO(name);
    // The second run starts where the first ended.
    CHECK(Bytes(first.at(name).first) == Bytes(Ts(end1.seconds() - 86400, end1.nanos())));
    CHECK(Bytes(second.at(name).first) == Bytes(end1));
    const auto view =
        api.Ok(&Stub::GetFeatureView, Named<reg::GetFeatureViewRequest>("demo", name));
    REQUIRE(view.meta().materialization_intervals_size() == 2);
    CHECK(Bytes(view.meta().materialization_intervals(0).start_time()) ==
          Bytes(first.at(name).first));
    CHECK(Bytes(view.meta().materialization_intervals(0).end_time()) == Bytes(end1));
    CHECK(Bytes(view.meta().materialization_intervals(1).start_time()) == Bytes(end1));
    CHECK(Bytes(view.meta().materialization_intervals(1).end_time()) == Bytes(end2));
    CHECK(view.meta().state() == core::AVAILABLE_ONLINE);
  }
  // Everything but the two feature views is untouched.
  core::Registry now = api.Proto(), then = applied;
  for (auto* r : {&now, &then}) {
    r->clear_feature_views();
    r->clear_version_id();
  }
  CHECK(Bytes(now) == Bytes(then));

  // `feast projects delete demo` leaves nothing behind.
  reg::DeleteProjectRequest del;
  del.set_name("demo");
  api.Ok(&Stub::DeleteProject, del);
  const core::Registry empty = api.Proto();
  core::Registry expected;
  expected.set_registry_schema_version(empty.registry_schema_version());
  expected.set_version_id(empty.version_id());
  CHECK(Bytes(empty) == Bytes(expected));  // no projects, no objects, no last_updated
  CHECK(ListRegistryForApply(api, "demo") == 0);
  CHECK(Bytes(api.Ok(&Stub::GetInfra, In<reg::GetInfraRequest>("demo"))).empty());
  CHECK(api.Ok(&Stub::ListProjectMetadata, In<reg::ListProjectMetadataRequest>("demo"))
            .project_metadata_size() == 0);
  CHECK(PeekMetadata(api.db_url(), "demo").empty());
  CHECK(PeekVersions(api.db_url(), "demo", "driver_hourly_stats").empty());
  CHECK(PeekVersions(api.db_url(), "demo", "driver_conv_adjusted").empty());
}
LARDER_BACKEND_TEST("sequence 6.3: materialize-incremental twice, then projects delete",
                    MaterializeIncrementalThenDelete)

}  // namespace
}  // namespace larder::testing
