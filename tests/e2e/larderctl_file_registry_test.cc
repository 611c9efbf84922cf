// larderctl import/export: Feast's file registry (a serialized feast.core.Registry) into Larder
// and back, on every backend.
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

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

// Adds `object` (of kind `kind_name`) to `registry` in `project`, last updated long ago.
void Add(core::Registry& registry, const char* kind_name, google::protobuf::Message&& object,
         const std::string& project) {
  const ctl::Kind kind = *ctl::FindKind(kind_name);
  ctl::SetProject(object, project);
  const auto* meta = object.GetDescriptor()->FindFieldByName("meta");
  if (meta != nullptr) {
    google::protobuf::Message* m = object.GetReflection()->MutableMessage(&object, meta);
    for (const char* name : {"created_timestamp", "last_updated_timestamp"}) {
      const auto* field = m->GetDescriptor()->FindFieldByName(name);
      if (field != nullptr) {
        static_cast<Timestamp*>(m->GetReflection()->MutableMessage(m, field))
            ->CopyFrom(Ts(1600000000));
      }
    }
  }
  ctl::AddObject(registry, kind, object);
}

// A file registry as Feast writes one: two projects, every kind, materialization intervals.
core::Registry MakeFileRegistry() {
  core::Registry registry;
  registry.set_registry_schema_version("1");
  for (const std::string project : {"alpha", "beta"}) {
    DemoRepo repo = MakeDemoRepo(project);
    Add(registry, "project", core::Project(repo.project_object), project);
    Add(registry, "data_source", core::DataSource(repo.driver_source), project);
    Add(registry, "data_source", core::DataSource(repo.customer_source), project);
    Add(registry, "entity", core::Entity(repo.driver), project);
    Add(registry, "entity", core::Entity(repo.customer), project);
    core::FeatureView driver_stats = repo.driver_stats;
    auto* interval = driver_stats.mutable_meta()->add_materialization_intervals();
    *interval->mutable_start_time() = Ts(1600000000);
    *interval->mutable_end_time() = Ts(1600086400);
    Add(registry, "feature_view", std::move(driver_stats), project);
    Add(registry, "feature_view", core::FeatureView(repo.customer_profile), project);
    Add(registry, "on_demand_feature_view", core::OnDemandFeatureView(repo.conv_adjusted), project);
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
  }
  return registry;
}

// The server owns each object's created/updated timestamps; everything else must survive.
void ClearServerOwned(google::protobuf::Message& object) {
  const auto* meta = object.GetDescriptor()->FindFieldByName("meta");
  if (meta == nullptr) return;
  google::protobuf::Message* m = object.GetReflection()->MutableMessage(&object, meta);
  for (const char* name : {"created_timestamp", "last_updated_timestamp"}) {
    const auto* field = m->GetDescriptor()->FindFieldByName(name);
    if (field != nullptr) m->GetReflection()->ClearField(m, field);
  }
}

// Every object of `expected` is in `actual`, byte-equal but for server-owned fields, and
// `actual` has nothing else.
void CheckSameObjects(const core::Registry& expected, const core::Registry& actual) {
  for (const ctl::Kind& kind : ctl::AllKinds()) {
    const auto want = ctl::ObjectsOf(expected, kind);
    const auto got = ctl::ObjectsOf(actual, kind);
    INFO("kind " << kind.name);
    CHECK(got.size() == want.size());
    for (const google::protobuf::Message* w : want) {
      const google::protobuf::Message* g =
          ctl::FindObject(actual, kind, ctl::ProjectOf(*w), ctl::NameOf(*w));
      INFO("object " << ctl::ProjectOf(*w) << "/" << ctl::NameOf(*w));
      REQUIRE(g != nullptr);
      std::unique_ptr<google::protobuf::Message> a(w->New()), b(g->New());
      a->CopyFrom(*w);
      b->CopyFrom(*g);
      ClearServerOwned(*a);
      ClearServerOwned(*b);
      INFO("expected: " << a->ShortDebugString() << "\nactual:   " << b->ShortDebugString());
      CHECK(Bytes(*a) == Bytes(*b));
    }
  }
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
             Contains("alpha    feature_view            driver_hourly_stats    would create"));
  CHECK_THAT(r.out, Contains("Dry run: nothing was written."));
  CHECK(PeekChanges(api.db_url()).empty());

  r = CTL({"import", path});
  SHOW(r);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("beta     feature_service         driver_activity        created"));
  const size_t changes_after_import = PeekChanges(api.db_url()).size();
  CHECK(changes_after_import == 24);

  // Export: the same objects, intervals included, modulo server-owned timestamps.
  const std::string exported = dir.File("exported.db");
  r = CTL({"export", "-o", exported});
  SHOW(r);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "Exported 24 objects of 2 projects to " + exported + ".\n");
  const core::Registry back = ReadRegistry(exported);
  CHECK(back.registry_schema_version() == "1");
  CheckSameObjects(file, back);

  // Importing the same file again changes nothing.
  r = CTL({"import", path, "--dry-run", "--detailed-exitcode"});
  SHOW(r);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("nothing to change"));
  r = CTL({"import", path});
  CHECK(r.exit_code == 0);
  CHECK(PeekChanges(api.db_url()).size() == changes_after_import);

  // One project, and the registry as it was at a revision.
  r = CTL({"export", "-p", "beta", "-o", dir.File("beta.db")});
  REQUIRE(r.exit_code == 0);
  CheckSameObjects(ctl::FilterProject(file, "beta"), ReadRegistry(dir.File("beta.db")));

  // Someone changes a view in Larder: the file's older copy is not imported over it ...
  r = CTL({"get", "fv", "driver_hourly_stats", "-p", "alpha", "-o", "yaml"});
  REQUIRE(r.exit_code == 0);
  const std::string changed = absl::StrReplaceAll(r.out, {{"\"86400s\"", "\"60s\""}});
  REQUIRE(CTL({"apply", "-f", "-"}, changed).exit_code == 0);
  r = CTL({"import", path});
  SHOW(r);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("alpha    feature_view            driver_hourly_stats    skipped: "
                             "Larder's copy is newer"));
  r = CTL({"get", "fv", "driver_hourly_stats", "-p", "alpha", "-o", "json"});
  CHECK_THAT(r.out, Contains("\"ttl\": \"60s\""));
  // ... unless forced.
  r = CTL({"import", path, "--force"});
  SHOW(r);
  CHECK_THAT(r.out, Contains("alpha    feature_view            driver_hourly_stats    updated"));
  r = CTL({"get", "fv", "driver_hourly_stats", "-p", "alpha", "-o", "json"});
  CHECK_THAT(r.out, Contains("\"ttl\": \"86400s\""));

  // export --at-revision: the registry right after the first import.
  r = CTL(
      {"export", "--at-revision", std::to_string(changes_after_import), "-o", dir.File("then.db")});
  SHOW(r);
  REQUIRE(r.exit_code == 0);
  CheckSameObjects(file, ReadRegistry(dir.File("then.db")));

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
  CHECK(api.Proto().feature_views_size() > 0);
  CHECK_THAT(CTL({"get", "entity", "rider", "-p", "alpha"}).out, Contains("rider"));
}
LARDER_BACKEND_TEST("larderctl: a write during import is a conflict, nothing half-applied",
                    ImportMeetsConcurrentWrite)

}  // namespace
}  // namespace larder::testing
