// larderctl through the real larder binary on every backend: what a user sees (tables, JSON and
// YAML), exit codes, errors in one line, and that every write is one atomic batch.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "tests/e2e/api_fixture.h"
#include "tests/e2e/ctl_runner.h"
#include "tests/support/temp_dir.h"

namespace larder::testing {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

// A small repository as a user writes it: YAML, protobuf JSON names, no project in the objects.
constexpr char kRepoYaml[] = R"(kind: project
spec:
  name: demo
  description: the demo project
---
kind: data_source
name: driver_stats_source
type: BATCH_FILE
fileOptions:
  uri: data/driver_stats.parquet
timestampField: event_timestamp
---
kind: entity
spec:
  name: driver
  joinKey: driver_id
  valueType: INT64
---
kind: feature_view
spec:
  name: driver_hourly_stats
  entities: [driver]
  features:
    - name: conv_rate
      valueType: FLOAT
    - name: trips
      valueType: INT64
  ttl: 86400s
  batchSource:
    name: driver_stats_source
    type: BATCH_FILE
    fileOptions:
      uri: data/driver_stats.parquet
    timestampField: event_timestamp
  online: true
)";

std::string WithTtl(const std::string& ttl) {
  return absl::StrReplaceAll(kRepoYaml, {{"ttl: 86400s", "ttl: " + ttl}});
}

// Runs larderctl and shows everything it printed when a check fails.
#define CTL(...) RunCtl(api.process().address(), __VA_ARGS__)
#define SHOW(r) INFO("exit " << (r).exit_code << "\nstdout:\n" << (r).out << "stderr:\n" << (r).err)

void ApplyAndRead(ScratchDatabase& db) {
  ApiServer api(db);
  TempDir dir;
  const std::string repo = dir.File("repo.yaml");
  std::ofstream(repo) << kRepoYaml;

  CtlResult r = CTL({"status"});
  SHOW(r);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("Backend:") && Contains("Revision:            0"));

  // The plan of a first apply: everything to create; --detailed-exitcode says so with exit 2.
  r = CTL({"apply", "-f", repo, "-p", "demo", "--dry-run", "--detailed-exitcode"});
  SHOW(r);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Contains("feature_view  driver_hourly_stats  create  - -> 1"));
  CHECK_THAT(r.out, Contains("Plan: 4 to create, 0 to update, 0 to delete, 0 unchanged."));
  CHECK(api.Proto().feature_views_size() == 0);  // a dry run writes nothing

  r = CTL({"apply", "-f", repo, "-p", "demo"});
  SHOW(r);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("Applied: 4 created, 0 updated, 0 deleted, 0 unchanged."));
  // All four in one batch: four changes, one request id.
  const std::vector<storage::ChangeRecord> changes = PeekChanges(api.db_url());
  REQUIRE(changes.size() == 4);

  // Applying the same files again changes nothing, and the plan says so (exit 0).
  r = CTL({"apply", "-f", dir.path(), "-p", "demo", "--dry-run", "--detailed-exitcode"});
  SHOW(r);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("0 to create, 0 to update, 0 to delete, 4 unchanged"));

  r = CTL({"projects"});
  SHOW(r);
  CHECK(Lines(r.out).size() == 2);
  CHECK_THAT(Lines(r.out)[0], StartsWith("NAME  OBJECTS  DESCRIPTION"));
  CHECK_THAT(Lines(r.out)[1], StartsWith("demo  3        the demo project"));

  r = CTL({"list", "feature_view", "-p", "demo"});
  SHOW(r);
  REQUIRE(Lines(r.out).size() == 2);
  CHECK_THAT(Lines(r.out)[0],
             StartsWith("NAME                 ENTITIES  FEATURES  TTL     UPDATED"));
  CHECK_THAT(Lines(r.out)[1], StartsWith("driver_hourly_stats  driver    2         86400s  20"));

  r = CTL({"list", "entities", "-o", "json"});
  SHOW(r);
  CHECK_THAT(r.out, Contains("\"kind\": \"List\"") && Contains("\"joinKey\": \"driver_id\"") &&
                        Contains("\"project\": \"demo\""));

  // get -o yaml prints a document apply reads back: applying it changes nothing.
  r = CTL({"get", "fv", "driver_hourly_stats", "-p", "demo", "-o", "yaml"});
  SHOW(r);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, StartsWith("kind: feature_view\nspec:\n  name: driver_hourly_stats\n"));
  CtlResult again = CTL({"apply", "-f", "-"}, r.out);
  SHOW(again);
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Contains("feature_view  driver_hourly_stats  unchanged  1"));

  r = CTL({"get", "entity", "driver", "-o", "json"});
  SHOW(r);
  CHECK_THAT(r.out,
             StartsWith("{\n  \"kind\": \"entity\",\n  \"spec\": {\n    \"name\": \"driver\""));

  r = CTL({"describe", "feature_view", "driver_hourly_stats", "-p", "demo"});
  SHOW(r);
  CHECK_THAT(r.out, Contains("Kind:        feature_view") && Contains("TTL:         86400s") &&
                        Contains("Definition:\n  kind: feature_view") &&
                        Contains("History:\n  REVISION  VERSION  OPERATION"));

  // Errors: one line on stderr, exit 1.
  r = CTL({"get", "feature_view", "nope", "-p", "demo"});
  SHOW(r);
  CHECK(r.exit_code == 1);
  CHECK(r.err == "larderctl: error: feature_view \"nope\" not found in project \"demo\"\n");
  r = CTL({"list", "widgets"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, StartsWith("larderctl: error: unknown kind \"widgets\" (one of: project,"));
  r = CTL({"status", "-o", "xml"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "larderctl: error: unknown output format \"xml\" (table, json or yaml)\n");
}
LARDER_BACKEND_TEST("larderctl: apply, status, projects, list, get, describe", ApplyAndRead)

void HistoryAndRollback(ScratchDatabase& db) {
  ApiServer api(db);
  TempDir dir;
  const std::string repo = dir.File("repo.yaml");
  std::ofstream(repo) << kRepoYaml;
  REQUIRE(CTL({"apply", "-f", repo, "-p", "demo"}).exit_code == 0);  // revisions 1..4
  std::ofstream(repo) << WithTtl("7200s");
  REQUIRE(CTL({"apply", "-f", repo, "-p", "demo"}).exit_code == 0);  // revision 5

  CtlResult r = CTL({"history", "fv", "driver_hourly_stats", "-p", "demo"});
  SHOW(r);
  REQUIRE(Lines(r.out).size() == 3);
  CHECK_THAT(Lines(r.out)[1], StartsWith("4         1        create"));
  CHECK_THAT(Lines(r.out)[2], StartsWith("5         2        update"));

  r = CTL({"history", "fv", "driver_hourly_stats", "-p", "demo", "-o", "json", "--objects"});
  SHOW(r);
  CHECK_THAT(r.out, Contains("\"ttl\": \"86400s\"") && Contains("\"ttl\": \"7200s\""));

  r = CTL({"changes", "--since", "3"});
  SHOW(r);
  REQUIRE(Lines(r.out).size() == 3);
  CHECK_THAT(Lines(r.out)[1],
             StartsWith("4         demo     feature_view  driver_hourly_stats  create"));

  r = CTL({"diff", "4"});
  SHOW(r);
  CHECK_THAT(r.out, Contains("revision 4 -> 5") &&
                        Contains("feature_view  demo     driver_hourly_stats  updated  1 -> 2"));

  // Back to version 1: a dry run shows the update, the rollback makes it, as one new revision.
  r = CTL(
      {"rollback", "fv", "driver_hourly_stats", "-p", "demo", "--to-version", "1", "--dry-run"});
  SHOW(r);
  CHECK_THAT(r.out, Contains("feature_view  driver_hourly_stats  update  2 -> 3"));
  CHECK(PeekChanges(api.db_url()).size() == 5);
  r = CTL({"rollback", "fv", "driver_hourly_stats", "-p", "demo", "--to-version", "1"});
  SHOW(r);
  REQUIRE(r.exit_code == 0);
  CHECK(PeekChanges(api.db_url()).size() == 6);
  r = CTL({"get", "fv", "driver_hourly_stats", "-p", "demo", "-o", "json"});
  CHECK_THAT(r.out, Contains("\"ttl\": \"86400s\""));

  // The whole project back to revision 2 (project and data source only): one batch that deletes
  // the entity and the view.
  r = CTL({"rollback", "-p", "demo", "--to-revision", "2", "--dry-run", "--detailed-exitcode"});
  SHOW(r);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.out, Contains("Plan: 0 to create, 0 to update, 2 to delete, 2 unchanged."));
  r = CTL({"rollback", "-p", "demo", "--to-revision", "2"});
  SHOW(r);
  REQUIRE(r.exit_code == 0);
  CHECK(api.Proto().feature_views_size() == 0);
  CHECK(api.Proto().entities_size() == 0);
  CHECK(api.Proto().data_sources_size() == 1);

  // --expect-revision: a stale revision is a conflict (exit 3), and nothing is applied.
  r = CTL({"apply", "-f", repo, "-p", "demo", "--expect-revision", "3"});
  SHOW(r);
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.err, StartsWith("larderctl: error: conflict, nothing applied: the registry is at "
                               "revision 8, expected 3"));
  CHECK(api.Proto().entities_size() == 0);
  // A version the history does not have.
  r = CTL({"rollback", "fv", "driver_hourly_stats", "-p", "demo", "--to-version", "7"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Contains("has no version 7"));
}
LARDER_BACKEND_TEST("larderctl: history, changes, diff, rollback, conflicts", HistoryAndRollback)

void WatchAndErrors(ScratchDatabase& db) {
  ApiServer api(db);
  TempDir dir;
  const std::string repo = dir.File("repo.yaml");
  std::ofstream(repo) << kRepoYaml;
  REQUIRE(CTL({"apply", "-f", repo, "-p", "demo"}).exit_code == 0);

  // watch from revision 0 delivers what is already in the log, in order, as JSON lines.
  CtlResult r = CTL({"watch", "--since", "0", "--max-changes", "4", "-o", "json"});
  SHOW(r);
  REQUIRE(r.exit_code == 0);
  const std::vector<std::string> lines = Lines(r.out);
  REQUIRE(lines.size() == 4);
  CHECK_THAT(lines[0], StartsWith("{\"revision\":1,\"project\":\"demo\",\"kind\":\"project\""));
  CHECK_THAT(lines[3],
             StartsWith("{\"revision\":4,\"project\":\"demo\",\"kind\":\"feature_view\""));

  // A file that is not an object: the file and document are named, nothing is applied.
  const std::string bad = dir.File("bad.yaml");
  std::ofstream(bad) << "kind: entity\nspec:\n  name: x\n---\nkind: entity\nspec: [1, 2]\n";
  r = CTL({"apply", "-f", bad, "-p", "demo"});
  SHOW(r);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, StartsWith("larderctl: error: " + bad + "#2: not a valid feast.core.Entity"));
  CHECK(Lines(r.err).size() == 1);
  std::ofstream(bad) << "kind: widget\nname: x\n";
  r = CTL({"apply", "-f", bad, "-p", "demo"});
  CHECK_THAT(r.err, StartsWith("larderctl: error: " + bad + ": unknown kind \"widget\""));
  r = CTL({"apply", "-f", dir.File("missing.yaml")});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "larderctl: error: cannot read " + dir.File("missing.yaml") + "\n");

  // The server gone: one clear line.
  const std::string address = api.process().address();
  api.process().Stop();
  r = RunCtl(address, {"status"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "larderctl: error: cannot reach larder at " + address + ": Connection refused\n");
}
LARDER_BACKEND_TEST("larderctl: watch, bad input, server down", WatchAndErrors)

TEST_CASE("larderctl: usage errors and bash completion", "[ctl]") {
  CtlResult r = RunCtl("127.0.0.1:1", {"completion", "bash"});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("complete -F _larderctl larderctl"));
  CHECK_THAT(r.out, Contains("local commands=\"status projects list get describe history changes "
                             "watch diff apply rollback import export materialize completion\""));
  CHECK_THAT(r.out, Contains("    apply) opts=\"-h --help -f --filename -p --project --dry-run"));
  r = RunCtl("127.0.0.1:1", {"frobnicate"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, StartsWith("larderctl: error: "));
  r = RunCtl("127.0.0.1:1", {"rollback", "-p", "demo"});
  CHECK(r.exit_code == 1);
  CHECK(r.err ==
        "larderctl: error: give either KIND NAME --to-version N, or --to-revision R (the whole "
        "project)\n");
}

}  // namespace
}  // namespace larder::testing
