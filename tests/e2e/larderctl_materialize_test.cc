// larderctl materialize plan|jobs|job|cancel through the real larder binary on every backend:
// a job planned from the terminal, worked by a worker through the C++ client, its progress as
// the operator sees it, and a cancel.
#include <catch2/catch.hpp>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "client/registry_client.h"
#include "tests/e2e/api_fixture.h"
#include "tests/e2e/ctl_runner.h"
#include "tests/support/temp_dir.h"

namespace larder::testing {
namespace {

using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

// One online feature view: the planner splits its day into four 6 h tasks.
constexpr char kRepoYaml[] = R"(kind: project
spec:
  name: demo
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

#define CTL(...) RunCtl(api.process().address(), __VA_ARGS__)
#define SHOW(r) INFO("exit " << (r).exit_code << "\nstdout:\n" << (r).out << "stderr:\n" << (r).err)

// The job id from a table's "Job:" line.
std::string JobIdOf(const std::string& out) {
  for (const std::string& line : Lines(out)) {
    if (absl::StartsWith(line, "Job:")) return line.substr(line.rfind(' ') + 1);
  }
  return "";
}

void PlanWorkCancel(ScratchDatabase& db) {
  ApiServer api(db);
  TempDir dir;
  const std::string repo = dir.File("repo.yaml");
  std::ofstream(repo) << kRepoYaml;
  REQUIRE(CTL({"apply", "-f", repo, "-p", "demo"}).exit_code == 0);

  CtlResult r = CTL({"materialize", "jobs"});
  SHOW(r);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "No materialization jobs.\n");

  r = CTL({"materialize", "plan", "-p", "demo", "--start", "2026-01-01", "--end",
           "2026-01-02T00:00:00Z", "--task-span", "6h", "--request-id", "ci-run-1"});
  SHOW(r);
  REQUIRE(r.exit_code == 0);
  const std::string job_id = JobIdOf(r.out);
  REQUIRE(!job_id.empty());
  CHECK_THAT(r.out, Contains("State:    pending"));
  CHECK_THAT(r.out, Contains("Range:    2026-01-01T00:00:00Z .. 2026-01-02T00:00:00Z"));
  CHECK_THAT(r.out, Contains("Progress: [--------------------] 0/4"));
  CHECK_THAT(r.out, Contains("TASK") && Contains("VIEW") && Contains("ATTEMPTS"));
  CHECK_THAT(r.out, Contains("driver_hourly_stats  2026-01-01T18:00:00Z  2026-01-02T00:00:00Z  "
                             "pending  0/3"));

  // The same request id answers the same job, and says so.
  r = CTL({"materialize", "plan", "-p", "demo", "--start", "2026-01-01", "--end",
           "2026-01-02T00:00:00Z", "--task-span", "6h", "--request-id", "ci-run-1"});
  SHOW(r);
  CHECK_THAT(r.out, StartsWith("Already planned under this request id.\nJob:      " + job_id));

  // A worker completes one task: the operator sees a quarter of the bar.
  client::ClientOptions options;
  options.addresses = {api.process().address()};
  absl::StatusOr<std::unique_ptr<client::RegistryClient>> created =
      client::RegistryClient::Create(options);
  REQUIRE(created.ok());
  client::RegistryClient& worker = **created;
  absl::StatusOr<v1::LeaseTasksResponse> leased =
      worker.LeaseTasks("worker-a", 2, absl::Seconds(60), job_id);
  REQUIRE(leased.ok());
  REQUIRE(leased->tasks_size() == 2);
  REQUIRE(worker.CompleteTask(leased->tasks(0)).ok());

  r = CTL({"materialize", "jobs", "-p", "demo"});
  SHOW(r);
  REQUIRE(Lines(r.out).size() == 2);
  CHECK_THAT(Lines(r.out)[0], StartsWith("JOB  ") && Contains("STATE    PROGRESS"));
  CHECK_THAT(Lines(r.out)[1], Contains(job_id + "  demo     running  [#####---------------] 1/4"));

  r = CTL({"materialize", "job", job_id, "--tasks"});
  SHOW(r);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("Tasks:    2 pending, 1 leased, 1 succeeded, 0 failed, 0 cancelled"));
  CHECK_THAT(r.out, Contains("succeeded  1/3       worker-a"));
  CHECK_THAT(r.out, Contains("leased     1/3       worker-a"));

  r = CTL({"materialize", "job", job_id, "-o", "json"});
  SHOW(r);
  CHECK_THAT(r.out, Contains("\"state\": \"JOB_RUNNING\"") && Contains("\"succeeded\": \"1\""));

  r = CTL({"materialize", "cancel", job_id, "--reason", "wrong range"});
  SHOW(r);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Contains("State:    cancelled"));
  CHECK_THAT(r.out, Contains("Tasks:    0 pending, 0 leased, 1 succeeded, 0 failed, 3 cancelled"));
  CHECK_THAT(r.out, Contains("Error:    wrong range"));
  // The cancelled lease can no longer complete.
  CHECK(!worker.CompleteTask(leased->tasks(1)).ok());

  r = CTL({"materialize", "jobs", "--state", "running"});
  SHOW(r);
  CHECK(r.out == "No materialization jobs.\n");
  r = CTL({"materialize", "jobs", "--state", "cancelled", "-o", "yaml"});
  SHOW(r);
  // (YAML quotes an id that could read as a number.)
  CHECK_THAT(r.out,
             StartsWith("- jobId: ") && Contains(job_id) && Contains("state: JOB_CANCELLED"));

  // Errors in one line.
  r = CTL({"materialize", "job", "no-such-job"});
  SHOW(r);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, StartsWith("larderctl: error: "));
  CHECK(Lines(r.err).size() == 1);
  r = CTL({"materialize", "plan", "-p", "demo", "--start", "yesterday"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, StartsWith("larderctl: error: --start: \"yesterday\" is not a time"));
  r = CTL({"materialize", "jobs", "--state", "sleeping"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, StartsWith("larderctl: error: --state: unknown state \"sleeping\""));
}
LARDER_BACKEND_TEST("larderctl: materialize plan, jobs, job, cancel", PlanWorkCancel)

}  // namespace
}  // namespace larder::testing
