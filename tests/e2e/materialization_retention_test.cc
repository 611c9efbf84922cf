// Materialization job retention through the real binary on every backend: the background sweep
// removes jobs that finished (succeeded, failed or cancelled) longer ago than
// --materialization-job-retention, with their tasks, logs their removal, and never touches a
// job still pending or running, nor the intervals finished jobs recorded on their views. The
// server's clock is a file the test moves; the sweep runs every second.
#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/api_fixture.h"
#include "tests/e2e/materialization_fixture.h"

namespace larder::testing {
namespace {

namespace v1 = ::larder::v1;

constexpr int64_t kMinute = 60 * kSecond;

bool JobExists(client::RegistryClient& c, const std::string& job_id) {
  absl::StatusOr<v1::MaterializationJob> job = c.GetJob(job_id);
  if (absl::IsNotFound(job.status())) return false;
  INFO(job.status().ToString());
  REQUIRE(job.ok());
  return true;
}

std::set<std::string> ListedJobs(client::RegistryClient& c) {
  absl::StatusOr<v1::ListJobsResponse> jobs = c.ListJobs({});
  REQUIRE(jobs.ok());
  std::set<std::string> ids;
  for (const auto& job : jobs->jobs()) ids.insert(job.job_id());
  return ids;
}

// Waits (at most 20 s) for the background sweep to remove `job_id`.
void AwaitRemoved(client::RegistryClient& c, const std::string& job_id) {
  for (int i = 0; i < 200 && JobExists(c, job_id); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE_FALSE(JobExists(c, job_id));
}

void SweepRemovesOnlyOldFinishedJobs(ScratchDatabase& db) {
  MatServer s(db,
              {"--materialization-job-retention=1h", "--materialization-job-sweep-interval-s=1"});
  client::RegistryClient& c = *s.client;
  ApplyDemo(s.api);
  for (const char* name : {"a", "b", "c"}) REQUIRE_OK(s.api.Apply("p", View(name, 86400)));

  // At T0: one job succeeds, one is cancelled, one fails.
  const v1::MaterializationJob succeeded = Plan(c, Range(kT0 - 2 * kHour, kT0 - kHour, {"a"}));
  v1::MaterializationTask done = LeaseOne(c, "w");
  REQUIRE(c.CompleteTask(done).ok());
  const v1::MaterializationJob cancelled = Plan(c, Range(kT0 - kHour, kT0, {"b"}));
  REQUIRE(c.CancelJob(cancelled.job_id()).ok());
  v1::PlanMaterializationRequest once = Range(kT0 - kHour, kT0, {"c"});
  once.set_max_attempts(1);
  const v1::MaterializationJob failed = Plan(c, once);
  v1::MaterializationTask failing = LeaseOne(c, "w");
  REQUIRE(c.FailTask(failing, "source unreachable", /*retryable=*/false).ok());
  absl::StatusOr<v1::MaterializationJob> failed_now = c.GetJob(failed.job_id());
  REQUIRE(failed_now.ok());
  REQUIRE(failed_now->state() == v1::JOB_FAILED);
  // ... and two stay unfinished: one running (a task leased, one pending), one pending.
  const v1::MaterializationJob running = Plan(c, Range(kT0, kT0 + kHour, {"a"}, 1800));
  absl::StatusOr<v1::LeaseTasksResponse> held =
      c.LeaseTasks("slow", 1, absl::Hours(3), running.job_id());
  REQUIRE(held.ok());
  REQUIRE(held->tasks_size() == 1);
  const v1::MaterializationJob pending = Plan(c, Range(kT0, kT0 + kHour, {"b"}));
  const std::vector<std::pair<int64_t, int64_t>> recorded = IntervalsOf(c, "a");
  REQUIRE(recorded.size() == 1);

  // Half an hour later one more job ends: inside the retention window when the others leave it.
  s.Advance(30 * kMinute);
  const v1::MaterializationJob recent = Plan(c, Range(kT0 + kHour, kT0 + 2 * kHour, {"c"}));
  REQUIRE(c.CancelJob(recent.job_id()).ok());
  CHECK(ListedJobs(c).size() == 6);  // the sweeps so far found nothing old enough

  // An hour and a minute after T0 the three jobs that ended at T0 are past retention.
  s.Advance(31 * kMinute);
  AwaitRemoved(c, succeeded.job_id());
  AwaitRemoved(c, cancelled.job_id());
  AwaitRemoved(c, failed.job_id());
  CHECK(ListedJobs(c) ==
        std::set<std::string>{running.job_id(), pending.job_id(), recent.job_id()});
  // The intervals the succeeded job recorded stay on the view.
  CHECK(IntervalsOf(c, "a") == recorded);
  // The running job is untouched: its lease still completes, its other task is still offered.
  absl::StatusOr<v1::MaterializationJob> still = c.GetJob(running.job_id(), true);
  REQUIRE(still.ok());
  CHECK(still->state() == v1::JOB_RUNNING);
  CHECK(still->tasks_size() == 2);
  REQUIRE(c.CompleteTask(held->tasks(0)).ok());
  CHECK(IntervalsOf(c, "a").size() == 2);
  absl::StatusOr<v1::MaterializationJob> waiting = c.GetJob(pending.job_id(), true);
  REQUIRE(waiting.ok());
  CHECK(waiting->state() == v1::JOB_PENDING);
  CHECK(waiting->tasks_size() == 1);

  // The change feed says what went, and who removed it.
  v1::ListChangesRequest feed;
  feed.set_kind("materialization_job");
  absl::StatusOr<v1::ListChangesResponse> changes = c.ListChanges(feed);
  REQUIRE(changes.ok());
  std::set<std::string> deleted;
  for (const auto& change : changes->changes()) {
    if (change.operation() != "delete") continue;
    CHECK(change.actor() == "larder");
    deleted.insert(change.name());
  }
  CHECK(deleted == std::set<std::string>{succeeded.job_id(), cancelled.job_id(), failed.job_id()});
  feed.set_kind("materialization_task");
  changes = c.ListChanges(feed);
  REQUIRE(changes.ok());
  int task_deletes = 0;
  for (const auto& change : changes->changes()) task_deletes += change.operation() == "delete";
  CHECK(task_deletes == 3);  // one task each

  // Once the recent job too is over an hour old, it goes; the unfinished ones never do.
  s.Advance(kDay);
  AwaitRemoved(c, recent.job_id());
  CHECK(ListedJobs(c) == std::set<std::string>{running.job_id(), pending.job_id()});
}
LARDER_BACKEND_TEST(
    "materialization: job retention removes only jobs finished before the window, with their "
    "tasks",
    SweepRemovesOnlyOldFinishedJobs)

void ZeroRetentionKeepsAll(ScratchDatabase& db) {
  MatServer s(db,
              {"--materialization-job-retention=0", "--materialization-job-sweep-interval-s=1"});
  ApplyDemo(s.api);
  REQUIRE_OK(s.api.Apply("p", View("a", 86400)));
  const v1::MaterializationJob job = Plan(*s.client, Range(kT0 - kHour, kT0, {"a"}));
  REQUIRE(s.client->CancelJob(job.job_id()).ok());
  s.Advance(3650 * kDay);
  // Housekeeping wakes every 2 s: give it a few rounds in which it could have removed the job.
  std::this_thread::sleep_for(std::chrono::milliseconds(4500));
  CHECK(JobExists(*s.client, job.job_id()));
}
LARDER_BACKEND_TEST("materialization: job retention 0 keeps every job", ZeroRetentionKeepsAll)

}  // namespace
}  // namespace larder::testing
