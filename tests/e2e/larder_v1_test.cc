// larder.v1.Registry through the real binary on every backend: atomic batches with expected
// versions, dry runs equal to real runs, prune, idempotent retries, the change log and history.
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "google/rpc/status.pb.h"
#include "larder/v1/registry.grpc.pb.h"
#include "tests/e2e/api_fixture.h"

namespace larder::testing {
namespace {

namespace v1 = ::larder::v1;

// A larder.v1 stub on an ApiServer's port.
struct V1 {
  explicit V1(ApiServer& api)
      : stub(v1::Registry::NewStub(
            grpc::CreateChannel(api.process().address(), grpc::InsecureChannelCredentials()))) {}

  grpc::Status Batch(const v1::ApplyBatchRequest& request, v1::ApplyBatchResponse* response,
                     const std::string& request_id = "") {
    grpc::ClientContext context;
    if (!request_id.empty()) context.AddMetadata("x-larder-request-id", request_id);
    return stub->ApplyBatch(&context, request, response);
  }
  v1::ListChangesResponse Changes(const v1::ListChangesRequest& request) {
    grpc::ClientContext context;
    v1::ListChangesResponse response;
    REQUIRE(Describe(stub->ListChanges(&context, request, &response)) == "OK");
    return response;
  }
  v1::GetObjectHistoryResponse History(const std::string& project, const std::string& kind,
                                       const std::string& name) {
    grpc::ClientContext context;
    v1::GetObjectHistoryRequest request;
    request.set_project(project);
    request.set_kind(kind);
    request.set_name(name);
    v1::GetObjectHistoryResponse response;
    REQUIRE(Describe(stub->GetObjectHistory(&context, request, &response)) == "OK");
    return response;
  }
  std::unique_ptr<v1::Registry::Stub> stub;
};

// "kind name effect old->new" per result, for whole-answer comparisons.
std::vector<std::string> Effects(const v1::ApplyBatchResponse& response) {
  std::vector<std::string> out;
  for (const v1::ObjectResult& r : response.results()) {
    out.push_back(absl::StrCat(r.kind(), " ", r.name(), " ", v1::Effect_Name(r.effect()), " ",
                               r.old_version(), "->", r.new_version()));
  }
  return out;
}

v1::ApplyBatchRequest TeamBatch() {
  v1::ApplyBatchRequest request;
  request.set_project("team");
  const core::DataSource source = FileSource("trips", "s3://bucket/trips.parquet");
  *request.add_upserts()->mutable_entity() = MakeEntity("driver", "driver_id");
  *request.add_upserts()->mutable_data_source() = source;
  *request.add_upserts()->mutable_feature_view() =
      MakeFeatureView("driver_stats", {"driver"}, {Field("rating", ValueType::DOUBLE)}, source);
  return request;
}

void BatchesAreAtomic(ScratchDatabase& db) {
  ApiServer api(db);
  V1 v1api(api);

  // A dry run reports exactly what the real run then does, and writes nothing.
  v1::ApplyBatchRequest request = TeamBatch();
  request.set_dry_run(true);
  v1::ApplyBatchResponse dry;
  REQUIRE(Describe(v1api.Batch(request, &dry)) == "OK");
  CHECK(dry.dry_run());
  CHECK(api.Status(&Stub::GetEntity, Named<reg::GetEntityRequest>("team", "driver")).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  request.set_dry_run(false);
  v1::ApplyBatchResponse real;
  REQUIRE(Describe(v1api.Batch(request, &real, "batch-1")) == "OK");
  CHECK(Effects(dry) == Effects(real));
  CHECK(Effects(real) == std::vector<std::string>{"entity driver CREATED 0->1",
                                                  "data_source trips CREATED 0->1",
                                                  "feature_view driver_stats CREATED 0->1"});
  api.Ok(&Stub::GetFeatureView, Named<reg::GetFeatureViewRequest>("team", "driver_stats"));
  auto driver_description = [&] {
    return api.Ok(&Stub::GetEntity, Named<reg::GetEntityRequest>("team", "driver"))
        .spec()
        .description();
  };
  const std::string original = driver_description();

  // The same request id again: answered, not applied twice.
  v1::ApplyBatchResponse retried;
  REQUIRE(Describe(v1api.Batch(request, &retried, "batch-1")) == "OK");
  CHECK(retried.already_applied());
  // Re-applying the same definitions changes nothing.
  v1::ApplyBatchResponse again;
  REQUIRE(Describe(v1api.Batch(request, &again)) == "OK");
  for (const v1::ObjectResult& r : again.results()) CHECK(r.effect() == v1::UNCHANGED);

  // Expected versions: every conflict is listed, and nothing of the batch is written.
  v1::ApplyBatchRequest conflicting;
  conflicting.set_project("team");
  core::Entity changed = MakeEntity("driver", "driver_id");
  changed.mutable_spec()->set_description("changed in a batch that does not commit");
  v1::Upsert* u1 = conflicting.add_upserts();
  *u1->mutable_entity() = changed;
  u1->set_expected_version(1);  // right
  v1::Upsert* u2 = conflicting.add_upserts();
  *u2->mutable_entity() = MakeEntity("rider", "rider_id");
  u2->set_expected_version(3);  // wrong: it does not exist
  v1::Delete* d1 = conflicting.add_deletes();
  d1->set_kind("feature_view");
  d1->set_name("driver_stats");
  d1->set_expected_version(0);  // wrong: it exists at version 1
  v1::ApplyBatchResponse refused;
  const grpc::Status conflict = v1api.Batch(conflicting, &refused);
  REQUIRE(conflict.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  google::rpc::Status details;
  REQUIRE(details.ParseFromString(conflict.error_details()));
  REQUIRE(details.details_size() == 1);
  v1::VersionConflicts conflicts;
  REQUIRE(details.details(0).UnpackTo(&conflicts));
  REQUIRE(conflicts.conflicts_size() == 2);
  CHECK(conflicts.conflicts(0).name() == "rider");
  CHECK(conflicts.conflicts(0).expected_version() == 3);
  CHECK(conflicts.conflicts(0).actual_version() == 0);
  CHECK(conflicts.conflicts(1).kind() == "feature_view");
  CHECK(conflicts.conflicts(1).actual_version() == 1);
  CHECK(driver_description() == original);

  // A batch that fails midway (an unknown view to delete) leaves nothing behind.
  v1::ApplyBatchRequest failing;
  failing.set_project("team");
  *failing.add_upserts()->mutable_entity() = changed;
  v1::Delete* missing = failing.add_deletes();
  missing->set_kind("feature_view");
  missing->set_name("no_such_view");
  v1::ApplyBatchResponse failed;
  CHECK(v1api.Batch(failing, &failed).error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(driver_description() == original);

  // Prune: what the batch does not name goes, in the same transaction.
  v1::ApplyBatchRequest pruning;
  pruning.set_project("team");
  *pruning.add_upserts()->mutable_entity() = changed;
  pruning.set_prune(true);
  v1::ApplyBatchResponse pruned;
  REQUIRE(Describe(v1api.Batch(pruning, &pruned)) == "OK");
  CHECK(Effects(pruned) == std::vector<std::string>{"entity driver UPDATED 1->2",
                                                    "data_source trips DELETED 1->0",
                                                    "feature_view driver_stats DELETED 1->0"});
  CHECK(api.Status(&Stub::GetFeatureView, Named<reg::GetFeatureViewRequest>("team", "driver_stats"))
            .error_code() == grpc::StatusCode::NOT_FOUND);

  // Bad input: a clear INVALID_ARGUMENT, nothing written.
  v1::ApplyBatchRequest bad;
  bad.set_project("team");
  v1::Delete* unknown = bad.add_deletes();
  unknown->set_kind("gizmo");
  unknown->set_name("x");
  CHECK(v1api.Batch(bad, &failed).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  bad.clear_deletes();
  bad.add_upserts();  // no object
  CHECK(v1api.Batch(bad, &failed).error_code() == grpc::StatusCode::INVALID_ARGUMENT);
}
LARDER_BACKEND_TEST(
    "larder.v1: ApplyBatch is all-or-nothing, with expected versions, dry runs, "
    "prune and idempotent retries",
    BatchesAreAtomic)

void ChangeLogAndHistory(ScratchDatabase& db) {
  ApiServer api(db);
  V1 v1api(api);
  v1::ApplyBatchResponse response;
  REQUIRE(Describe(v1api.Batch(TeamBatch(), &response)) == "OK");
  core::Entity changed = MakeEntity("driver", "driver_id");
  changed.mutable_spec()->set_description("v2");
  REQUIRE(Describe(api.Apply("team", changed)) == "OK");
  REQUIRE(Describe(api.Apply("other", MakeEntity("driver", "driver_id"))) == "OK");

  // Everything, in revision order, without gaps.
  v1::ListChangesResponse all = v1api.Changes(v1::ListChangesRequest());
  REQUIRE(all.changes_size() == 7);  // project team, 3 objects, update, project other, entity
  for (int i = 0; i < all.changes_size(); ++i) CHECK(all.changes(i).revision() == i + 1);
  CHECK(all.next_after_revision() == 7);

  // Filtered by project and kind; paged with after_revision.
  v1::ListChangesRequest entities;
  entities.set_project("team");
  entities.set_kind("entity");
  v1::ListChangesResponse team_entities = v1api.Changes(entities);
  REQUIRE(team_entities.changes_size() == 2);
  CHECK(team_entities.changes(0).operation() == "create");
  CHECK(team_entities.changes(1).operation() == "update");
  entities.set_limit(1);
  v1::ListChangesResponse first = v1api.Changes(entities);
  REQUIRE(first.changes_size() == 1);
  entities.set_after_revision(first.next_after_revision());
  v1::ListChangesResponse second = v1api.Changes(entities);
  REQUIRE(second.changes_size() == 1);
  CHECK(second.changes(0).revision() == team_entities.changes(1).revision());

  // One object's history: every version with its object.
  v1::GetObjectHistoryResponse history = v1api.History("team", "entity", "driver");
  REQUIRE(history.changes_size() == 2);
  CHECK(history.changes(0).object_version() == 1);
  CHECK(history.changes(1).object_version() == 2);
  core::Entity v2;
  REQUIRE(v2.ParseFromString(history.changes(1).object()));
  CHECK(v2.spec().description() == "v2");
  CHECK(v1api.History("team", "entity", "nobody").changes_size() == 0);

  // The registry as of revision 4 (after the batch, before the update), as a reader saw it then.
  v1::GetRegistryAtRequest at;
  at.set_revision(4);
  at.set_project("team");
  v1::GetRegistryAtResponse then;
  {
    grpc::ClientContext context;
    REQUIRE(Describe(v1api.stub->GetRegistryAt(&context, at, &then)) == "OK");
  }
  REQUIRE(then.registry().entities_size() == 1);
  CHECK(then.registry().entities(0).spec().description() != "v2");
  CHECK(then.registry().data_sources_size() == 1);
  CHECK(then.registry().feature_views_size() == 1);
  CHECK(then.registry().projects_size() == 1);
  at.set_revision(7);
  at.clear_project();
  v1::GetRegistryAtResponse now;
  {
    grpc::ClientContext context;
    REQUIRE(Describe(v1api.stub->GetRegistryAt(&context, at, &now)) == "OK");
  }
  CHECK(now.registry().entities_size() == 2);
  CHECK(now.registry().projects_size() == 2);
  // Equal, object by object, to what Proto() answers now.
  core::Registry proto = api.Proto();
  CHECK(proto.entities_size() == now.registry().entities_size());
  for (int i = 0; i < proto.entities_size(); ++i) {
    bool found = false;
    for (const core::Entity& e : now.registry().entities())
      found |= Bytes(e) == Bytes(proto.entities(i));
    CHECK(found);
  }

  // What changed after revision 4: the update and the new project with its entity.
  v1::DiffRevisionsRequest diff_request;
  diff_request.set_from_revision(4);
  v1::DiffRevisionsResponse diff;
  {
    grpc::ClientContext context;
    REQUIRE(Describe(v1api.stub->DiffRevisions(&context, diff_request, &diff)) == "OK");
  }
  CHECK(diff.to_revision() == 7);
  std::vector<std::string> lines;
  for (const v1::ObjectDiff& d : diff.objects()) {
    lines.push_back(absl::StrCat(d.kind(), " ", d.project(), "/", d.name(), " ",
                                 v1::Effect_Name(d.effect()), " ", d.from_version(), "->",
                                 d.to_version()));
  }
  CHECK(lines == std::vector<std::string>{"project other/other CREATED 0->1",
                                          "entity other/driver CREATED 0->1",
                                          "entity team/driver UPDATED 1->2"});
}
LARDER_BACKEND_TEST("larder.v1: ListChanges and GetObjectHistory read the change log",
                    ChangeLogAndHistory)

void ServerInfoExpectedRevisionAndOwners(ScratchDatabase& db) {
  ApiServer api(db);
  V1 v1api(api);
  auto info = [&] {
    grpc::ClientContext context;
    v1::GetServerInfoResponse response;
    REQUIRE(Describe(v1api.stub->GetServerInfo(&context, v1::GetServerInfoRequest(), &response)) ==
            "OK");
    return response;
  };
  const v1::GetServerInfoResponse empty = info();
  CHECK(empty.current_revision() == 0);
  CHECK_FALSE(empty.server_version().empty());
  CHECK(empty.schema_version() >= 4);
  CHECK(empty.backend() == BackendName(db.backend()));

  // Two teams share a project; each applies with its owner name.
  v1::ApplyBatchRequest team_a;
  team_a.set_project("shared");
  team_a.set_owner("team-a");
  *team_a.add_upserts()->mutable_entity() = MakeEntity("driver", "driver_id");
  *team_a.add_upserts()->mutable_entity() = MakeEntity("rider", "rider_id");
  v1::ApplyBatchResponse applied;
  REQUIRE(Describe(v1api.Batch(team_a, &applied)) == "OK");
  v1::ApplyBatchRequest team_b;
  team_b.set_project("shared");
  team_b.set_owner("team-b");
  *team_b.add_upserts()->mutable_entity() = MakeEntity("store", "store_id");
  REQUIRE(Describe(v1api.Batch(team_b, &applied)) == "OK");
  const int64_t revision = info().current_revision();
  CHECK(revision == 4);  // the project, driver, rider, store

  // An expected revision that is stale: refused, with both revisions in the details.
  v1::ApplyBatchRequest stale = team_a;
  stale.clear_upserts();
  *stale.add_upserts()->mutable_entity() = MakeEntity("driver", "driver_key");
  stale.set_expected_revision(revision - 1);
  const grpc::Status refused = v1api.Batch(stale, &applied);
  REQUIRE(refused.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  google::rpc::Status details;
  REQUIRE(details.ParseFromString(refused.error_details()));
  REQUIRE(details.details_size() == 1);
  v1::RevisionConflict conflict;
  REQUIRE(details.details(0).UnpackTo(&conflict));
  CHECK(conflict.expected_revision() == revision - 1);
  CHECK(conflict.actual_revision() == revision);
  CHECK(info().current_revision() == revision);  // nothing written

  // Team A prunes to just `driver` at the current revision: only its own `rider` goes; team
  // B's `store`, in the same project, stays.
  v1::ApplyBatchRequest prune = team_a;
  prune.clear_upserts();
  *prune.add_upserts()->mutable_entity() = MakeEntity("driver", "driver_id");
  prune.set_prune(true);
  prune.set_expected_revision(revision);
  v1::ApplyBatchResponse pruned;
  REQUIRE(Describe(v1api.Batch(prune, &pruned)) == "OK");
  CHECK(Effects(pruned) ==
        std::vector<std::string>{"entity driver UNCHANGED 1->1", "entity rider DELETED 1->0"});
  api.Ok(&Stub::GetEntity, Named<reg::GetEntityRequest>("shared", "store"));
  // Without an owner, prune takes everything the batch does not name.
  v1::ApplyBatchRequest prune_all = prune;
  prune_all.clear_owner();
  prune_all.clear_expected_revision();
  REQUIRE(Describe(v1api.Batch(prune_all, &pruned)) == "OK");
  CHECK(Effects(pruned) ==
        std::vector<std::string>{"entity driver UNCHANGED 1->1", "entity store DELETED 1->0"});
  // A re-created object starts unowned: team B's prune does not take a `store` made by others.
  v1::ApplyBatchRequest recreate;
  recreate.set_project("shared");
  *recreate.add_upserts()->mutable_entity() = MakeEntity("store", "store_id");
  REQUIRE(Describe(v1api.Batch(recreate, &applied)) == "OK");
  v1::ApplyBatchRequest prune_b;
  prune_b.set_project("shared");
  prune_b.set_owner("team-b");
  prune_b.set_prune(true);
  REQUIRE(Describe(v1api.Batch(prune_b, &pruned)) == "OK");
  CHECK(pruned.results_size() == 0);
  api.Ok(&Stub::GetEntity, Named<reg::GetEntityRequest>("shared", "store"));
}
LARDER_BACKEND_TEST("larder.v1: GetServerInfo, expected registry revision, owner-scoped prune",
                    ServerInfoExpectedRevisionAndOwners)

// preserve_meta (what `larderctl import` sends): the client's timestamps and version number
// stand, the batch's saved versions and project UUID are written; ordinary applies keep
// Larder's server-owned timestamps and number versions after the imported ones.
void PreserveMetaCopiesARegistry(ScratchDatabase& db) {
  ApiServer api(db);
  V1 v1api(api);
  auto versions = [&](const std::string& name) {
    grpc::ClientContext context;
    v1::ListFeatureViewVersionsRequest request;
    request.set_project("copy");
    request.set_name(name);
    v1::ListFeatureViewVersionsResponse response;
    REQUIRE(Describe(v1api.stub->ListFeatureViewVersions(&context, request, &response)) == "OK");
    return response;
  };
  const core::DataSource source = FileSource("trips", "s3://bucket/trips.parquet");
  core::Entity driver = MakeEntity("driver", "driver_id");
  *driver.mutable_meta()->mutable_created_timestamp() = Ts(1600000000, 123456000);
  *driver.mutable_meta()->mutable_last_updated_timestamp() = Ts(1600003600, 5000);
  core::FeatureView view =
      MakeFeatureView("driver_stats", {"driver"}, {Field("rating", ValueType::DOUBLE)}, source);
  *view.mutable_meta()->mutable_created_timestamp() = Ts(1600000000);
  *view.mutable_meta()->mutable_last_updated_timestamp() = Ts(1600007200);
  view.mutable_meta()->set_current_version_number(3);

  v1::ApplyBatchRequest copy;
  copy.set_project("copy");
  copy.set_preserve_meta(true);
  copy.set_project_uuid("0b5e2a9c-1111-4222-8333-444455556666");
  *copy.add_upserts()->mutable_entity() = driver;
  *copy.add_upserts()->mutable_data_source() = source;
  *copy.add_upserts()->mutable_feature_view() = view;
  for (int32_t number : {2, 3}) {
    feast::core::FeatureViewVersionRecord* record = copy.add_version_history();
    record->set_feature_view_name("driver_stats");
    record->set_version_number(number);
    record->set_feature_view_type("feature_view");
    record->set_feature_view_proto(view.SerializeAsString());
    *record->mutable_created_timestamp() = Ts(1600000000 + number);
    record->set_version_id(absl::StrCat("00000000-0000-4000-8000-00000000000", number));
  }

  // Without preserve_meta, saved versions are refused: Larder numbers ordinary applies.
  v1::ApplyBatchRequest unpreserved = copy;
  unpreserved.set_preserve_meta(false);
  v1::ApplyBatchResponse applied;
  CHECK(v1api.Batch(unpreserved, &applied).error_code() == grpc::StatusCode::INVALID_ARGUMENT);

  REQUIRE(Describe(v1api.Batch(copy, &applied)) == "OK");
  CHECK(Effects(applied) == std::vector<std::string>{"entity driver CREATED 0->1",
                                                     "data_source trips CREATED 0->1",
                                                     "feature_view driver_stats CREATED 0->1"});
  const core::Entity stored =
      api.Ok(&Stub::GetEntity, Named<reg::GetEntityRequest>("copy", "driver"));
  CHECK(Bytes(stored.meta()) == Bytes(driver.meta()));
  const core::FeatureView stored_view =
      api.Ok(&Stub::GetFeatureView, Named<reg::GetFeatureViewRequest>("copy", "driver_stats"));
  CHECK(Bytes(stored_view.meta()) == Bytes(view.meta()));
  const v1::ListFeatureViewVersionsResponse saved = versions("driver_stats");
  REQUIRE(saved.records_size() == 2);  // Larder saved no version of its own
  CHECK(saved.records(0).version_number() == 2);
  CHECK(saved.records(1).created_timestamp().seconds() == 1600000003);
  CHECK(saved.records(1).project_id() == "copy");
  reg::ListProjectMetadataRequest metadata;
  metadata.set_project("copy");
  const auto uuid = api.Ok(&Stub::ListProjectMetadata, metadata);
  REQUIRE(uuid.project_metadata_size() == 1);
  CHECK(uuid.project_metadata(0).project_uuid() == "0b5e2a9c-1111-4222-8333-444455556666");

  // Sent again: nothing changes. A different definition of a saved version keeps the saved one.
  const size_t changes = PeekChanges(api.db_url()).size();
  v1::ApplyBatchRequest again = copy;
  again.mutable_version_history(1)->set_description("another");
  again.set_project_uuid("ffffffff-1111-4222-8333-444455556666");
  REQUIRE(Describe(v1api.Batch(again, &applied)) == "OK");
  CHECK(Effects(applied) == std::vector<std::string>{"entity driver UNCHANGED 1->1",
                                                     "data_source trips UNCHANGED 1->1",
                                                     "feature_view driver_stats UNCHANGED 1->1"});
  CHECK(PeekChanges(api.db_url()).size() == changes);
  CHECK(versions("driver_stats").records(1).description().empty());
  CHECK(api.Ok(&Stub::ListProjectMetadata, metadata).project_metadata(0).project_uuid() ==
        "0b5e2a9c-1111-4222-8333-444455556666");
  // Only the meta differs: with preserve_meta that is a change.
  core::Entity touched = driver;
  *touched.mutable_meta()->mutable_last_updated_timestamp() = Ts(1600009999);
  v1::ApplyBatchRequest touch;
  touch.set_project("copy");
  touch.set_preserve_meta(true);
  *touch.add_upserts()->mutable_entity() = touched;
  REQUIRE(Describe(v1api.Batch(touch, &applied)) == "OK");
  CHECK(Effects(applied) == std::vector<std::string>{"entity driver UPDATED 1->2"});

  // An ordinary apply: Larder's timestamps, and a schema change numbers after the saved ones.
  core::FeatureView changed = view;
  *changed.mutable_spec()->add_features() = Field("trips", ValueType::INT64);
  v1::ApplyBatchRequest ordinary;
  ordinary.set_project("copy");
  *ordinary.add_upserts()->mutable_feature_view() = changed;
  REQUIRE(Describe(v1api.Batch(ordinary, &applied)) == "OK");
  const core::FeatureView after =
      api.Ok(&Stub::GetFeatureView, Named<reg::GetFeatureViewRequest>("copy", "driver_stats"));
  CHECK(after.meta().current_version_number() == 4);
  CHECK(after.meta().created_timestamp().seconds() == 1600000000);      // creation survives
  CHECK(after.meta().last_updated_timestamp().seconds() > 1700000000);  // Larder's now
  CHECK(versions("driver_stats").records_size() == 3);
  CHECK(versions("").records_size() == 3);
}
LARDER_BACKEND_TEST("larder.v1: preserve_meta keeps a copied registry's timestamps and versions",
                    PreserveMetaCopiesARegistry)

}  // namespace
}  // namespace larder::testing
