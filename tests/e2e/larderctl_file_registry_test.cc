// larderctl import/export: Feast's file registry (a serialized feast.core.Registry) into Larder
// and back, on every backend.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>

#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "ctl/kinds.h"
#include "ctl/registry_view.h"
#include "tests/e2e/api_fixture.h"
#include "tests/e2e/ctl_runner.h"
#include "tests/support/temp_dir.h"

namespace larder::testing {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

#define CTL(...) RunCtl(api.process().address(), __VA_ARGS__)
#define SHOW(r) INFO("exit " << (r).exit_code << "\nstdout:\n" << (r).out << "stderr:\n" << (r).err)

// Adds `object` (of kind `kind_name`) to `registry` in `project`, created and last updated long
// ago, at instants of their own (microseconds included, as Feast's Python datetimes have).
void Add(core::Registry& registry, const char* kind_name, google::protobuf::Message&& object,
         const std::string& project) {
  static int64_t next = 1600000000;
  const ctl::Kind kind = *ctl::FindKind(kind_name);
  ctl::SetProject(object, project);
  const auto* meta = object.GetDescriptor()->FindFieldByName("meta");
  if (meta != nullptr) {
    google::protobuf::Message* m = object.GetReflection()->MutableMessage(&object, meta);
    int64_t offset = 0;
    for (const char* name : {"created_timestamp", "last_updated_timestamp"}) {
      const auto* field = m->GetDescriptor()->FindFieldByName(name);
      if (field != nullptr) {
        static_cast<Timestamp*>(m->GetReflection()->MutableMessage(m, field))
            ->CopyFrom(Ts(next + offset, 123456000));
      }
      offset += 3600;
    }
  }
  next += 86400;
  ctl::AddObject(registry, kind, object);
}

// A saved version of `view` (of Feast type `type`) as Feast's file registry keeps one.
template <typename View>
void AddVersion(core::Registry& registry, const View& view, const char* type, int32_t number,
                int64_t created) {
  feast::core::FeatureViewVersionRecord* record =
      registry.mutable_feature_view_version_history()->add_records();
  record->set_feature_view_name(view.spec().name());
  record->set_project_id(view.spec().project());
  record->set_version_number(number);
  record->set_feature_view_type(type);
  View snapshot = view;
  snapshot.mutable_meta()->set_current_version_number(number);
  record->set_feature_view_proto(snapshot.SerializeAsString());
  *record->mutable_created_timestamp() = Ts(created);  // whole seconds: see docs/cli.md
  static int serial = 0;
  record->set_version_id(absl::StrFormat("%08d-aaaa-4bbb-8ccc-%012d", number, ++serial));
}

// A file registry as Feast writes one: two projects, every kind, materialization intervals,
// feature-view version history, project metadata and infra.
core::Registry MakeFileRegistry() {
  core::Registry registry;
  registry.set_registry_schema_version("1");
  registry.set_version_id("9b2f4c1e-file-registry");
  *registry.mutable_last_updated() = Ts(1700000000, 5000);
  for (const std::string project : {"alpha", "beta"}) {
    DemoRepo repo = MakeDemoRepo(project);
    Add(registry, "project", core::Project(repo.project_object), project);
    Add(registry, "data_source", core::DataSource(repo.driver_source), project);
    Add(registry, "data_source", core::DataSource(repo.customer_source), project);
    Add(registry, "entity", core::Entity(repo.driver), project);
    Add(registry, "entity", core::Entity(repo.customer), project);
    core::FeatureView driver_stats = repo.driver_stats;
    driver_stats.mutable_spec()->set_project(project);
    auto* interval = driver_stats.mutable_meta()->add_materialization_intervals();
    *interval->mutable_start_time() = Ts(1600000000);
    *interval->mutable_end_time() = Ts(1600086400);
    driver_stats.mutable_meta()->set_state(core::AVAILABLE_ONLINE);
    // Version 1 is the view as it is; version 0 had one feature less.
    driver_stats.mutable_meta()->set_current_version_number(1);
    core::FeatureView first = driver_stats;
    first.mutable_spec()->mutable_features()->RemoveLast();
    AddVersion(registry, first, "feature_view", 0, 1600000100);
    AddVersion(registry, driver_stats, "feature_view", 1, 1600000200);
    Add(registry, "feature_view", std::move(driver_stats), project);
    Add(registry, "feature_view", core::FeatureView(repo.customer_profile), project);
    core::OnDemandFeatureView conv_adjusted = repo.conv_adjusted;
    conv_adjusted.mutable_spec()->set_project(project);
    AddVersion(registry, conv_adjusted, "on_demand_feature_view", 0, 1600000300);
    Add(registry, "on_demand_feature_view", std::move(conv_adjusted), project);
    Add(registry, "feature_service", core::FeatureService(repo.activity), project);
    if (project == "alpha") {
      const core::DataSource kafka = KafkaSource("driver_events", repo.driver_source);
      Add(registry, "data_source", core::DataSource(kafka), project);
      Add(registry, "stream_feature_view",
          MakeStreamView("driver_stream", {"driver"}, {Field("clicks", ValueType::INT64)}, kafka),
          project);
      Add(registry, "label_view",
          MakeLabelView("driver_labels", {"driver"}, {Field("is_fraud", ValueType::BOOL)},
                        repo.driver_source),
          project);
      Add(registry, "saved_dataset", MakeSavedDataset("training_set", "ns", "coll"), project);
      Add(registry, "validation_reference", MakeValidationReference("ref", "training_set"),
          project);
      Add(registry, "permission", MakePermission("readers"), project);
    }
    feast::core::ProjectMetadata* metadata = ctl::MutableProjectMetadataOf(registry).Add();
    metadata->set_project(project);
    metadata->set_project_uuid(project == "alpha" ? "5d3c6a53-7f0e-4b43-9d0c-1f6a2b9e0a11"
                                                  : "a1b2c3d4-0000-4000-8000-00000000beef");
  }
  // One infra for the whole file, as Feast's file registry keeps it.
  feast::core::InfraObject* table = registry.mutable_infra()->add_infra_objects();
  table->set_infra_object_class_type("feast.infra.online_stores.sqlite.SqliteTable");
  table->mutable_sqlite_table()->set_path("/data/online.db");
  table->mutable_sqlite_table()->set_name("alpha_driver_hourly_stats");
  return registry;
}

// `registry` in a canonical form: each repeated field sorted (Feast's file keeps apply order;
// export writes by kind, project, name) and the fields docs/cli.md lists as Larder's own
// (`last_updated`, `version_id`) cleared.
core::Registry Canonical(core::Registry registry) {
  registry.clear_last_updated();
  registry.clear_version_id();
  const google::protobuf::Reflection* reflection = registry.GetReflection();
  for (const ctl::Kind& kind : ctl::AllKinds()) {
    const auto* field =
        core::Registry::descriptor()->FindFieldByName(std::string(kind.registry_field));
    std::vector<std::unique_ptr<google::protobuf::Message>> objects;
    for (const google::protobuf::Message* object : ctl::ObjectsOf(registry, kind)) {
      objects.emplace_back(object->New());
      objects.back()->CopyFrom(*object);
    }
    std::sort(objects.begin(), objects.end(), [](const auto& a, const auto& b) {
      return std::make_pair(ctl::ProjectOf(*a), ctl::NameOf(*a)) <
             std::make_pair(ctl::ProjectOf(*b), ctl::NameOf(*b));
    });
    reflection->ClearField(&registry, field);
    for (const auto& object : objects) ctl::AddObject(registry, kind, *object);
  }
  auto* metadata = &ctl::MutableProjectMetadataOf(registry);
  std::sort(metadata->begin(), metadata->end(),
            [](const auto& a, const auto& b) { return a.project() < b.project(); });
  auto* records = registry.mutable_feature_view_version_history()->mutable_records();
  std::sort(records->begin(), records->end(), [](const auto& a, const auto& b) {
    return std::make_tuple(a.project_id(), a.feature_view_name(), a.version_number()) <
           std::make_tuple(b.project_id(), b.feature_view_name(), b.version_number());
  });
  return registry;
}

// `actual` is `expected`, byte for byte, but for the order of repeated fields and Larder's own
// `last_updated` and `version_id`. On a difference, says which object differs.
void CheckSameRegistry(const core::Registry& expected, const core::Registry& actual) {
  const core::Registry want = Canonical(expected), got = Canonical(actual);
  if (Bytes(want) == Bytes(got)) {
    SUCCEED("the registries are byte-equal");
    return;
  }
  for (const ctl::Kind& kind : ctl::AllKinds()) {
    INFO("kind " << kind.name);
    CHECK(ctl::ObjectsOf(got, kind).size() == ctl::ObjectsOf(want, kind).size());
    for (const google::protobuf::Message* w : ctl::ObjectsOf(want, kind)) {
      const google::protobuf::Message* g =
          ctl::FindObject(got, kind, ctl::ProjectOf(*w), ctl::NameOf(*w));
      INFO("object " << ctl::ProjectOf(*w) << "/" << ctl::NameOf(*w));
      REQUIRE(g != nullptr);
      INFO("expected: " << w->ShortDebugString() << "\nactual:   " << g->ShortDebugString());
      CHECK(Bytes(*w) == Bytes(*g));
    }
  }
  INFO("expected infra: " << want.infra().ShortDebugString()
                          << "\nactual infra:   " << got.infra().ShortDebugString());
  CHECK(Bytes(want.infra()) == Bytes(got.infra()));
  const auto& wm = ctl::ProjectMetadataOf(want);
  const auto& gm = ctl::ProjectMetadataOf(got);
  CHECK(wm.size() == gm.size());
  for (int i = 0; i < wm.size() && i < gm.size(); ++i) {
    CHECK(wm[i].ShortDebugString() == gm[i].ShortDebugString());
  }
  const auto& wr = want.feature_view_version_history().records();
  const auto& gr = got.feature_view_version_history().records();
  CHECK(wr.size() == gr.size());
  for (int i = 0; i < wr.size() && i < gr.size(); ++i) {
    INFO("version record " << i << " expected " << wr[i].feature_view_name() << " v"
                           << wr[i].version_number() << " actual " << gr[i].feature_view_name()
                           << " v" << gr[i].version_number());
    CHECK(Bytes(wr[i]) == Bytes(gr[i]));
  }
  CHECK(want.registry_schema_version() == got.registry_schema_version());
  FAIL("the registries differ");
}

// What `export --at-revision` writes of `file`: the objects and project metadata (Larder keeps
// no history of infra and saved versions).
core::Registry AtRevisionPart(core::Registry file) {
  file.clear_infra();
  file.clear_feature_view_version_history();
  return file;
}

core::Registry ReadRegistry(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  core::Registry registry;
  REQUIRE(registry.ParseFromString(bytes.str()));
  return registry;
}

void ImportExportRoundTrip(ScratchDatabase& db) {
  ApiServer api(db);
  TempDir dir;
  const core::Registry file = MakeFileRegistry();
  const std::string path = dir.File("registry.db");
  std::ofstream(path, std::ios::binary) << file.SerializeAsString();

  // Dry run: every object would be created; nothing is written; exit 2 with --detailed-exitcode.
  CtlResult r = CTL({"import", path, "--dry-run", "--detailed-exitcode"});
  SHOW(r);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out,
             Contains("alpha    feature_view            driver_hourly_stats      would create"));
  CHECK_THAT(r.out, Contains("Dry run: nothing was written."));
  CHECK(PeekChanges(api.db_url()).empty());

  r = CTL({"import", path});
  SHOW(r);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("beta     feature_service         driver_activity          created"));
  CHECK_THAT(r.out, Contains("alpha    infra                   infra_obj                created"));
  CHECK_THAT(r.out, Contains("alpha    project_uuid            alpha                    "
                             "created 5d3c6a53-7f0e-4b43-9d0c-1f6a2b9e0a11"));
  CHECK_THAT(r.out, Contains("beta     feature_view_version    driver_hourly_stats v1   created"));
  CHECK_THAT(r.out, Contains("24 objects in 2 projects."));
  const size_t changes_after_import = PeekChanges(api.db_url()).size();
  CHECK(changes_after_import == 26);  // 24 objects and each project's infra

  // Export: the file again, byte for byte (every field; objects, metadata and versions sorted;
  // the file's last_updated and version_id are Larder's).
  const std::string exported = dir.File("exported.db");
  r = CTL({"export", "-o", exported});
  SHOW(r);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "Exported 24 objects of 2 projects to " + exported + ".\n");
  const core::Registry back = ReadRegistry(exported);
  CHECK(back.registry_schema_version() == "1");
  CheckSameRegistry(file, back);
  // Feast reads what it wrote: the view's timestamps are the file's, to the microsecond.
  const google::protobuf::Message* view =
      ctl::FindObject(back, *ctl::FindKind("feature_view"), "alpha", "driver_hourly_stats");
  REQUIRE(view != nullptr);
  CHECK(static_cast<const core::FeatureView*>(view)->meta().created_timestamp().nanos() ==
        123456000);

  // Importing the same file again changes nothing.
  r = CTL({"import", path, "--dry-run", "--detailed-exitcode"});
  SHOW(r);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("nothing to change"));
  CHECK_THAT(r.out,
             Contains("alpha    feature_view_version    driver_hourly_stats v0   unchanged"));
  r = CTL({"import", path});
  CHECK(r.exit_code == 0);
  CHECK(PeekChanges(api.db_url()).size() == changes_after_import);
  r = CTL({"export", "-o", dir.File("again.db")});
  REQUIRE(r.exit_code == 0);
  CHECK(Bytes(ReadRegistry(dir.File("again.db"))) == Bytes(back));

  // One project.
  r = CTL({"export", "-p", "beta", "-o", dir.File("beta.db")});
  REQUIRE(r.exit_code == 0);
  CheckSameRegistry(ctl::FilterProject(file, "beta"), ReadRegistry(dir.File("beta.db")));

  // Someone changes a view in Larder: the file's older copy is not imported over it ...
  r = CTL({"get", "fv", "driver_hourly_stats", "-p", "alpha", "-o", "yaml"});
  REQUIRE(r.exit_code == 0);
  const std::string changed = absl::StrReplaceAll(r.out, {{"\"86400s\"", "\"60s\""}});
  REQUIRE(CTL({"apply", "-f", "-"}, changed).exit_code == 0);
  r = CTL({"import", path});
  SHOW(r);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("alpha    feature_view            driver_hourly_stats      skipped: "
                             "Larder's copy is newer"));
  r = CTL({"get", "fv", "driver_hourly_stats", "-p", "alpha", "-o", "json"});
  CHECK_THAT(r.out, Contains("\"ttl\": \"60s\""));
  // ... unless forced.
  r = CTL({"import", path, "--force"});
  SHOW(r);
  CHECK_THAT(r.out, Contains("alpha    feature_view            driver_hourly_stats      updated"));
  r = CTL({"get", "fv", "driver_hourly_stats", "-p", "alpha", "-o", "json"});
  CHECK_THAT(r.out, Contains("\"ttl\": \"86400s\""));

  // export --at-revision: the registry right after the first import.
  r = CTL(
      {"export", "--at-revision", std::to_string(changes_after_import), "-o", dir.File("then.db")});
  SHOW(r);
  REQUIRE(r.exit_code == 0);
  CheckSameRegistry(AtRevisionPart(file), ReadRegistry(dir.File("then.db")));

  // Not a registry file: one line, nothing written.
  std::ofstream(dir.File("junk.db"), std::ios::binary) << "\xff\xff\xff not a proto";
  r = CTL({"import", dir.File("junk.db")});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "larderctl: error: " + dir.File("junk.db") +
                     " is not a Feast registry file (a serialized feast.core.Registry)\n");
}
LARDER_BACKEND_TEST("larderctl: import a Feast file registry, export it back, idempotent",
                    ImportExportRoundTrip)

// A second client writes while an import runs: the import planned against the revision it read,
// so its batch is refused whole (exit 3, one line) and nothing of the file lands. The import is
// held between its plan and its write (the hidden --hold-before-write hook), so the concurrent
// write lands exactly there, every run.
void ImportMeetsConcurrentWrite(ScratchDatabase& db) {
  ApiServer api(db);
  TempDir dir;
  const core::Registry file = MakeFileRegistry();
  const std::string path = dir.File("registry.db");
  std::ofstream(path, std::ios::binary) << file.SerializeAsString();
  const std::string hold = dir.File("hold");

  CtlResult imported;
  std::thread importer([&] {
    imported = RunCtl(api.process().address(),
                      {"import", path, "-p", "alpha", "--hold-before-write", hold});
  });
  // Wait until the import has planned, then write from another client.
  for (int i = 0; i < 3000 && !std::ifstream(hold + ".ready").good(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const bool planned = std::ifstream(hold + ".ready").good();
  const CtlResult other = CTL({"apply", "-f", "-", "-p", "alpha"},
                              "kind: entity\nspec:\n  name: rider\n  joinKey: rider_id\n");
  std::ofstream(hold) << "go\n";
  importer.join();
  REQUIRE(planned);
  REQUIRE(other.exit_code == 0);

  SHOW(imported);
  CHECK(imported.exit_code == 3);
  CHECK(imported.err ==
        "larderctl: error: conflict: project alpha: the registry changed during the import; "
        "nothing of this project was applied (run the import again)\n");
  // Only the other client's write is in the registry: the import left nothing behind.
  const std::vector<storage::ChangeRecord> changes = PeekChanges(api.db_url());
  REQUIRE(changes.size() == 2);  // the project alpha and its entity rider, from `apply`
  CHECK(api.Proto().feature_views_size() == 0);

  // Run again, it goes through (and keeps the other client's object).
  const CtlResult again = CTL({"import", path, "-p", "alpha"});
  SHOW(again);
  CHECK(again.exit_code == 0);
  // `apply` created the project, with a UUID of its own: it keeps it.
  CHECK_THAT(again.out, Contains("(the file has 5d3c6a53-7f0e-4b43-9d0c-1f6a2b9e0a11)"));
  CHECK_THAT(again.out, Contains("kept Larder's "));
  CHECK(api.Proto().feature_views_size() > 0);
  CHECK_THAT(CTL({"get", "entity", "rider", "-p", "alpha"}).out, Contains("rider"));
}
LARDER_BACKEND_TEST("larderctl: a write during import is a conflict, nothing half-applied",
                    ImportMeetsConcurrentWrite)

}  // namespace
}  // namespace larder::testing
