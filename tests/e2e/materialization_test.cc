// larder.v1.Materialization against the real binary on every backend, through the C++ client:
// planning picks Feast v0.66's ranges, leases expire and are re-offered, failures are retried up
// to a limit, a stale lease holder is refused, a retried completion records once, cancel, and
// only callers allowed to write a view may plan, lease or complete its tasks. The server's clock
// is a file the test moves (--clock-file), so no test sleeps.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client/registry_client.h"
#include "common/feast_error.h"
#include "tests/e2e/api_fixture.h"
#include "tests/e2e/materialization_fixture.h"
#include "tests/support/temp_dir.h"

namespace larder::testing {
namespace {

namespace v1 = ::larder::v1;
using Spec = core::PermissionSpec;
constexpr int64_t kYearBack = 52 * 7 * kDay;  // Feast's timedelta(weeks=52)

// [start, end) of every task, by view, in micros.
std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> RangesOf(
    const v1::MaterializationJob& job) {
  std::map<std::string, std::vector<std::pair<int64_t, int64_t>>> out;
  for (const auto& t : job.tasks()) {
    out[t.feature_view()].emplace_back(Micros(t.start_time()), Micros(t.end_time()));
  }
  return out;
}

v1::PlanMaterializationRequest Incremental(int64_t end, std::vector<std::string> views = {}) {
  v1::PlanMaterializationRequest q;
  q.set_project("p");
  for (auto& v : views) q.add_feature_views(v);
  q.set_incremental(true);
  *q.mutable_end_time() = AtMicros(end);
  return q;
}

int Leasable(client::RegistryClient& c) {
  absl::StatusOr<v1::LeaseTasksResponse> leased = c.LeaseTasks("probe", 100, absl::Seconds(1));
  REQUIRE(leased.ok());
  return leased->tasks_size();
}

void PlanningMatchesFeast(ScratchDatabase& db) {
  MatServer s(db);
  ApplyDemo(s.api);
  REQUIRE_OK(s.api.Apply("p", View("with_ttl", 86400)));
  REQUIRE_OK(s.api.Apply("p", View("no_ttl", 0)));
  REQUIRE_OK(s.api.Apply("p", View("recorded", 86400)));
  REQUIRE_OK(s.api.Apply("p", View("offline_only", 86400, /*online=*/false)));
  core::OnDemandFeatureView od = MakeOnDemandView(
      "od", {Field("x", ValueType::DOUBLE)}, {{"with_ttl", ViewSource(View("with_ttl", 86400))}});
  od.mutable_spec()->set_write_to_online_store(true);
  REQUIRE_OK(s.api.Apply("p", od));
  // "recorded" was materialized up to T0 - 2h (two intervals; Feast starts at the latest end).
  core::FeatureView recorded = View("recorded", 86400);
  REQUIRE(s.client
              ->ApplyMaterialization("p", recorded, AtMicros(kT0 - 10 * kHour),
                                     AtMicros(kT0 - 6 * kHour))
              .ok());
  REQUIRE(s.client
              ->ApplyMaterialization("p", recorded, AtMicros(kT0 - 6 * kHour),
                                     AtMicros(kT0 - 2 * kHour))
              .ok());

  // materialize-incremental up to T0 + 1h: Feast's start per view.
  const int64_t end = kT0 + kHour;
  v1::MaterializationJob job = Plan(*s.client, Incremental(end));
  CHECK(job.state() == v1::JOB_PENDING);
  auto ranges = RangesOf(job);
  CHECK(ranges.size() == 4);  // the offline-only view is not materialized by "all"
  CHECK(ranges["with_ttl"] == std::vector<std::pair<int64_t, int64_t>>{{kT0 - kDay, end}});
  CHECK(ranges["no_ttl"] == std::vector<std::pair<int64_t, int64_t>>{{kT0 - kYearBack, end}});
  CHECK(ranges["recorded"] == std::vector<std::pair<int64_t, int64_t>>{{kT0 - 2 * kHour, end}});
  // An on-demand view: end minus its source views' largest ttl.
  CHECK(ranges["od"] == std::vector<std::pair<int64_t, int64_t>>{{end - kDay, end}});
  CHECK(job.progress().total() == 4);
  CHECK(job.progress().pending() == 4);

  // Planning again finds those ranges in flight: nothing left to do, done at once.
  v1::MaterializationJob again = Plan(*s.client, Incremental(end));
  CHECK(again.tasks_size() == 0);
  CHECK(again.state() == v1::JOB_SUCCEEDED);
  CHECK(s.client->CancelJob(job.job_id()).ok());

  // materialize [T0 - 12h, T0) of "recorded" skips what is recorded, unless asked again.
  v1::MaterializationJob skipping = Plan(*s.client, Range(kT0 - 12 * kHour, kT0, {"recorded"}));
  CHECK(RangesOf(skipping)["recorded"] ==
        std::vector<std::pair<int64_t, int64_t>>{{kT0 - 12 * kHour, kT0 - 10 * kHour},
                                                 {kT0 - 2 * kHour, kT0}});
  CHECK(s.client->CancelJob(skipping.job_id()).ok());
  v1::PlanMaterializationRequest again_all = Range(kT0 - 12 * kHour, kT0, {"recorded"}, 4 * 3600);
  again_all.set_rematerialize(true);
  CHECK(RangesOf(Plan(*s.client, again_all))["recorded"] ==
        std::vector<std::pair<int64_t, int64_t>>{{kT0 - 12 * kHour, kT0 - 8 * kHour},
                                                 {kT0 - 8 * kHour, kT0 - 4 * kHour},
                                                 {kT0 - 4 * kHour, kT0}});

  // Named views: an offline-only view is taken (as Feast does), a missing one is Feast's error.
  CHECK(RangesOf(Plan(*s.client, Incremental(end, {"offline_only"})))["offline_only"] ==
        std::vector<std::pair<int64_t, int64_t>>{{kT0 - kDay, end}});
  absl::StatusOr<v1::PlanMaterializationResponse> missing =
      s.client->PlanMaterialization(Incremental(end, {"nope"}));
  CHECK(absl::IsNotFound(missing.status()));
  CHECK(FeastClassOf(missing.status()) == "FeatureViewNotFoundException");
  v1::PlanMaterializationRequest inverted = Range(kT0, kT0 - kHour, {"no_ttl"});
  CHECK(absl::IsInvalidArgument(s.client->PlanMaterialization(inverted).status()));

  // Idempotent under the request id: the same job again, planned once.
  v1::PlanMaterializationRequest keyed = Range(kT0 - 2 * kDay, kT0 - kDay, {"no_ttl"});
  keyed.set_request_id("plan-42");
  v1::MaterializationJob first = Plan(*s.client, keyed);
  absl::StatusOr<v1::PlanMaterializationResponse> second = s.client->PlanMaterialization(keyed);
  REQUIRE(second.ok());
  CHECK(second->already_planned());
  CHECK(second->job().job_id() == first.job_id());
  CHECK(second->job().tasks_size() == first.tasks_size());

  // The view is never marked MATERIALIZING by a plan.
  absl::StatusOr<core::FeatureView> fv = s.client->GetFeatureView("p", "with_ttl");
  REQUIRE(fv.ok());
  CHECK(fv->meta().state() != core::MATERIALIZING);
}
LARDER_BACKEND_TEST(
    "materialization: plans choose Feast's ranges, skip recorded and in-flight "
    "ranges, and are idempotent under the request id",
    PlanningMatchesFeast)

void LeasesExpireAndCompleteOnce(ScratchDatabase& db) {
  MatServer s(db);
  ApplyDemo(s.api);
  REQUIRE_OK(s.api.Apply("p", View("v", 86400)));
  client::RegistryClient& c = *s.client;
  v1::MaterializationJob job = Plan(c, Range(kT0 - 3 * kHour, kT0, {"v"}, 3600));
  REQUIRE(job.tasks_size() == 3);

  // w1 takes the first task and goes silent; after its lease expires w2 is offered the same one.
  v1::MaterializationTask held = LeaseOne(c, "w1", 30);
  CHECK(held.task_id() == job.tasks(0).task_id());
  CHECK(held.attempts() == 1);
  CHECK(c.GetJob(job.job_id())->state() == v1::JOB_RUNNING);
  s.Advance(31 * kSecond);
  v1::MaterializationTask retaken = LeaseOne(c, "w2", 30);
  CHECK(retaken.task_id() == held.task_id());
  CHECK(retaken.attempts() == 2);
  CHECK(retaken.lease_id() != held.lease_id());

  // The stale holder can neither extend nor complete it.
  CHECK(absl::IsFailedPrecondition(c.Heartbeat(held, absl::Seconds(30)).status()));
  CHECK(absl::IsFailedPrecondition(c.CompleteTask(held).status()));
  CHECK(IntervalsOf(c, "v").empty());

  // The holder completes; a retried completion records nothing more.
  absl::StatusOr<v1::CompleteTaskResponse> done = c.CompleteTask(retaken);
  REQUIRE(done.ok());
  CHECK_FALSE(done->already_completed());
  absl::StatusOr<v1::CompleteTaskResponse> retried = c.CompleteTask(retaken);
  REQUIRE(retried.ok());
  CHECK(retried->already_completed());
  CHECK(IntervalsOf(c, "v") ==
        std::vector<std::pair<int64_t, int64_t>>{{kT0 - 3 * kHour, kT0 - 2 * kHour}});
  absl::StatusOr<core::FeatureView> fv = c.GetFeatureView("p", "v");
  REQUIRE(fv.ok());
  CHECK(fv->meta().state() == core::AVAILABLE_ONLINE);

  // A heartbeat keeps a lease past its first expiry.
  v1::MaterializationTask second = LeaseOne(c, "w3", 30);
  s.Advance(20 * kSecond);
  REQUIRE(c.Heartbeat(second, absl::Seconds(30)).ok());
  s.Advance(20 * kSecond);
  v1::MaterializationTask third = LeaseOne(c, "w4", 30);
  CHECK(third.task_id() != second.task_id());
  CHECK(Leasable(c) == 0);
  REQUIRE(c.CompleteTask(second).ok());
  absl::StatusOr<v1::CompleteTaskResponse> last = c.CompleteTask(third);
  REQUIRE(last.ok());
  CHECK(last->job_state() == v1::JOB_SUCCEEDED);

  // Every range once, no gaps, no overlaps.
  auto intervals = IntervalsOf(c, "v");
  std::sort(intervals.begin(), intervals.end());
  CHECK(intervals == std::vector<std::pair<int64_t, int64_t>>{{kT0 - 3 * kHour, kT0 - 2 * kHour},
                                                              {kT0 - 2 * kHour, kT0 - kHour},
                                                              {kT0 - kHour, kT0}});
  absl::StatusOr<v1::MaterializationJob> finished = c.GetJob(job.job_id(), true);
  REQUIRE(finished.ok());
  CHECK(finished->state() == v1::JOB_SUCCEEDED);
  CHECK(finished->progress().succeeded() == 3);
  CHECK(finished->tasks(0).attempts() == 2);
  CHECK(finished->tasks(0).worker() == "w2");

  // The change feed carried the job's and tasks' transitions.
  v1::ListChangesRequest jobs;
  jobs.set_kind("materialization_job");
  jobs.set_name(job.job_id());
  absl::StatusOr<v1::ListChangesResponse> job_changes = c.ListChanges(jobs);
  REQUIRE(job_changes.ok());
  std::vector<v1::JobState> states;
  for (const auto& change : job_changes->changes()) {
    v1::MaterializationJob j;
    REQUIRE(j.ParseFromString(change.object()));
    states.push_back(j.state());
  }
  CHECK(states == std::vector<v1::JobState>{v1::JOB_PENDING, v1::JOB_RUNNING, v1::JOB_SUCCEEDED});
  v1::ListChangesRequest tasks;
  tasks.set_kind("materialization_task");
  absl::StatusOr<v1::ListChangesResponse> task_changes = c.ListChanges(tasks);
  REQUIRE(task_changes.ok());
  // 3 created, 4 leases, 3 completions.
  CHECK(task_changes->changes_size() == 10);
}
LARDER_BACKEND_TEST(
    "materialization: expired leases are re-offered, a stale holder is refused, "
    "a retried completion records once",
    LeasesExpireAndCompleteOnce)

// Completions of one view that arrive together share a transaction on the server; each must
// still close its own task and record its own range exactly once.
void ConcurrentCompletionsOfOneView(ScratchDatabase& db) {
  MatServer s(db);
  ApplyDemo(s.api);
  REQUIRE_OK(s.api.Apply("p", View("v", 86400)));
  client::RegistryClient& c = *s.client;
  constexpr int kTasks = 64, kWorkers = 8;
  v1::MaterializationJob job = Plan(c, Range(kT0 - kTasks * kHour, kT0, {"v"}, 3600));
  REQUIRE(job.tasks_size() == kTasks);
  // One lease call takes them all, oldest first.
  absl::StatusOr<v1::LeaseTasksResponse> leased = c.LeaseTasks("w", kTasks, absl::Seconds(300));
  REQUIRE(leased.ok());
  REQUIRE(leased->tasks_size() == kTasks);
  for (int i = 0; i < kTasks; ++i) CHECK(leased->tasks(i).task_id() == job.tasks(i).task_id());

  std::vector<std::unique_ptr<client::RegistryClient>> clients;
  for (int w = 0; w < kWorkers; ++w) clients.push_back(s.MakeClient(""));
  std::atomic<int> failed{0}, repeated{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      for (int i = w; i < kTasks; i += kWorkers) {
        absl::StatusOr<v1::CompleteTaskResponse> done = clients[w]->CompleteTask(leased->tasks(i));
        if (!done.ok()) ++failed;
        if (done.ok() && done->already_completed()) ++repeated;
      }
    });
  }
  for (std::thread& t : workers) t.join();
  CHECK(failed == 0);
  CHECK(repeated == 0);

  std::vector<std::pair<int64_t, int64_t>> expected;
  for (int i = 0; i < kTasks; ++i) {
    expected.emplace_back(kT0 - (kTasks - i) * kHour, kT0 - (kTasks - i - 1) * kHour);
  }
  auto intervals = IntervalsOf(c, "v");
  std::sort(intervals.begin(), intervals.end());
  CHECK(intervals == expected);
  absl::StatusOr<v1::MaterializationJob> finished = c.GetJob(job.job_id(), true);
  REQUIRE(finished.ok());
  CHECK(finished->state() == v1::JOB_SUCCEEDED);
  CHECK(finished->progress().succeeded() == kTasks);
  for (const auto& t : finished->tasks()) CHECK(t.state() == v1::TASK_SUCCEEDED);
  // Completed again by the same lease: answered, nothing recorded twice.
  absl::StatusOr<v1::CompleteTaskResponse> again = c.CompleteTask(leased->tasks(0));
  REQUIRE(again.ok());
  CHECK(again->already_completed());
  CHECK(IntervalsOf(c, "v").size() == static_cast<size_t>(kTasks));
}
LARDER_BACKEND_TEST(
    "materialization: 8 workers completing one view's tasks at once record every range once",
    ConcurrentCompletionsOfOneView)

void RetriesAndFailureLimit(ScratchDatabase& db) {
  MatServer s(db);
  ApplyDemo(s.api);
  REQUIRE_OK(s.api.Apply("p", View("v", 86400)));
  client::RegistryClient& c = *s.client;
  v1::PlanMaterializationRequest q = Range(kT0 - 2 * kHour, kT0, {"v"}, 3600);
  q.set_max_attempts(2);
  v1::MaterializationJob job = Plan(c, q);
  REQUIRE(job.tasks_size() == 2);

  // A retryable failure waits out its backoff (10 s after the first attempt), then is retried.
  v1::MaterializationTask task = LeaseOne(c, "w1");
  absl::StatusOr<v1::FailTaskResponse> failed = c.FailTask(task, "offline store timed out", true);
  REQUIRE(failed.ok());
  CHECK(failed->task_state() == v1::TASK_PENDING);
  CHECK(Micros(failed->retry_at()) == s.now + 10 * kSecond);
  // A retried FailTask answers the same.
  CHECK(c.FailTask(task, "offline store timed out", true)->task_state() == v1::TASK_PENDING);
  v1::MaterializationTask other = LeaseOne(c, "w2");  // the other task, the failed one waits
  CHECK(other.task_id() != task.task_id());
  CHECK(Leasable(c) == 0);
  s.Advance(11 * kSecond);
  v1::MaterializationTask retry = LeaseOne(c, "w3");
  CHECK(retry.task_id() == task.task_id());
  CHECK(retry.attempts() == 2);

  // The second failure reaches the limit: the task and the job fail with the reason, the rest of
  // the job is cancelled and its holder can no longer complete.
  failed = c.FailTask(retry, "offline store timed out again", true);
  REQUIRE(failed.ok());
  CHECK(failed->task_state() == v1::TASK_FAILED);
  CHECK(failed->job_state() == v1::JOB_FAILED);
  absl::StatusOr<v1::MaterializationJob> ended = c.GetJob(job.job_id(), true);
  REQUIRE(ended.ok());
  CHECK(ended->state() == v1::JOB_FAILED);
  CHECK(ended->error().find("offline store timed out again") != std::string::npos);
  CHECK(ended->progress().failed() == 1);
  CHECK(ended->progress().cancelled() == 1);
  CHECK(absl::IsFailedPrecondition(c.CompleteTask(other).status()));
  CHECK(IntervalsOf(c, "v").empty());

  // A non-retryable failure fails at once.
  v1::MaterializationJob second = Plan(c, Range(kT0 - 5 * kHour, kT0 - 4 * kHour, {"v"}));
  v1::MaterializationTask bad = LeaseOne(c, "w4");
  CHECK(bad.job_id() == second.job_id());
  CHECK(c.FailTask(bad, "schema mismatch", false)->job_state() == v1::JOB_FAILED);

  // Leases that keep expiring count as attempts too.
  v1::PlanMaterializationRequest once = Range(kT0 - 7 * kHour, kT0 - 6 * kHour, {"v"});
  once.set_max_attempts(1);
  v1::MaterializationJob third = Plan(c, once);
  LeaseOne(c, "w5", 10);
  s.Advance(11 * kSecond);
  CHECK(Leasable(c) == 0);
  absl::StatusOr<v1::MaterializationJob> expired = c.GetJob(third.job_id());
  REQUIRE(expired.ok());
  CHECK(expired->state() == v1::JOB_FAILED);
  CHECK(expired->error().find("expired") != std::string::npos);

  // ListJobs shows them newest first, filtered by state.
  v1::ListJobsRequest list;
  list.set_project("p");
  list.add_states(v1::JOB_FAILED);
  absl::StatusOr<v1::ListJobsResponse> jobs = c.ListJobs(list);
  REQUIRE(jobs.ok());
  CHECK(jobs->jobs_size() == 3);
}
LARDER_BACKEND_TEST(
    "materialization: failed tasks are retried with backoff up to the limit, "
    "then the job fails with the reason",
    RetriesAndFailureLimit)

void CancelStopsAJob(ScratchDatabase& db) {
  MatServer s(db);
  ApplyDemo(s.api);
  REQUIRE_OK(s.api.Apply("p", View("v", 86400)));
  client::RegistryClient& c = *s.client;
  v1::MaterializationJob job = Plan(c, Range(kT0 - 3 * kHour, kT0, {"v"}, 3600));
  v1::MaterializationTask held = LeaseOne(c, "w1");
  absl::StatusOr<v1::MaterializationJob> cancelled = c.CancelJob(job.job_id(), "wrong window");
  REQUIRE(cancelled.ok());
  CHECK(cancelled->state() == v1::JOB_CANCELLED);
  CHECK(cancelled->error() == "wrong window");
  CHECK(cancelled->progress().cancelled() == 3);
  CHECK(absl::IsFailedPrecondition(c.CompleteTask(held).status()));
  CHECK(absl::IsFailedPrecondition(c.Heartbeat(held, absl::Seconds(30)).status()));
  CHECK(Leasable(c) == 0);
  CHECK(IntervalsOf(c, "v").empty());
  CHECK(c.CancelJob(job.job_id()).ok());  // again: still cancelled
  CHECK(absl::IsNotFound(c.CancelJob("no-such-job").status()));
  // A cancelled job's ranges are free to plan again.
  CHECK(Plan(c, Range(kT0 - 3 * kHour, kT0, {"v"}, 3600)).tasks_size() == 3);
}
LARDER_BACKEND_TEST("materialization: cancel stops a job and its leases can no longer complete",
                    CancelStopsAJob)

void OnlyViewWritersMaterialize(ScratchDatabase& db) {
  TempDir tokens_dir;
  const std::string tokens = tokens_dir.File("tokens");
  std::ofstream(tokens) << "tok-admin admin roles=admin\ntok-writer writer roles=writer\n"
                           "tok-reader reader roles=reader\n";
  MatServer s(db, {"--auth-tokens=" + tokens, "--default-project=p"});
  s.api.set_authorization("Bearer tok-admin");
  std::vector<Spec::Type> all_types = {Spec::PROJECT,
                                       Spec::ENTITY,
                                       Spec::DATA_SOURCE,
                                       Spec::FEATURE_VIEW,
                                       Spec::ON_DEMAND_FEATURE_VIEW,
                                       Spec::PERMISSION};
  std::vector<Spec::AuthzedAction> all_actions = {Spec::CREATE, Spec::DESCRIBE, Spec::UPDATE,
                                                  Spec::DELETE, Spec::WRITE_ONLINE};
  auto role = [](const std::string& name, std::vector<Spec::Type> types,
                 std::vector<std::string> patterns, std::vector<Spec::AuthzedAction> actions,
                 const std::string& who) {
    core::Permission p;
    p.mutable_spec()->set_name(name);
    for (auto t : types) p.mutable_spec()->add_types(t);
    for (auto& n : patterns) p.mutable_spec()->add_name_patterns(n);
    for (auto a : actions) p.mutable_spec()->add_actions(a);
    p.mutable_spec()->mutable_policy()->mutable_role_based_policy()->add_roles(who);
    return p;
  };
  REQUIRE_OK(s.api.Apply("p", role("admin-all", all_types, {".*"}, all_actions, "admin")));
  REQUIRE_OK(s.api.Apply("p", role("writer-online", {Spec::FEATURE_VIEW}, {"mine_.*"},
                                   {Spec::WRITE_ONLINE}, "writer")));
  REQUIRE_OK(s.api.Apply(
      "p", role("everyone-describes", {Spec::PROJECT}, {".*"}, {Spec::DESCRIBE}, "writer")));
  ApplyDemo(s.api);
  REQUIRE_OK(s.api.Apply("p", View("mine_a", 86400)));
  REQUIRE_OK(s.api.Apply("p", View("theirs", 86400)));
  auto admin = s.MakeClient("tok-admin");
  auto writer = s.MakeClient("tok-writer");
  auto reader = s.MakeClient("tok-reader");

  // Planning needs WRITE_ONLINE on every view planned.
  CHECK(absl::IsPermissionDenied(
      reader->PlanMaterialization(Range(kT0 - kHour, kT0, {"mine_a"})).status()));
  CHECK(absl::IsPermissionDenied(writer->PlanMaterialization(Incremental(kT0)).status()));
  REQUIRE(writer->PlanMaterialization(Range(kT0 - 2 * kHour, kT0 - kHour, {"mine_a"})).ok());
  v1::MaterializationJob job = Plan(*admin, Range(kT0 - kHour, kT0, {}));
  CHECK(job.tasks_size() == 2);

  // Leasing offers only tasks of views the caller may write.
  absl::StatusOr<v1::LeaseTasksResponse> none = reader->LeaseTasks("r", 10, absl::Seconds(30));
  REQUIRE(none.ok());
  CHECK(none->tasks_size() == 0);
  absl::StatusOr<v1::LeaseTasksResponse> mine = writer->LeaseTasks("w", 10, absl::Seconds(30));
  REQUIRE(mine.ok());
  REQUIRE(mine->tasks_size() == 2);
  for (const auto& t : mine->tasks()) CHECK(t.feature_view() == "mine_a");
  // Someone who may not write the view cannot complete it, even holding the lease id.
  CHECK(absl::IsPermissionDenied(reader->CompleteTask(mine->tasks(0)).status()));
  REQUIRE(writer->CompleteTask(mine->tasks(0)).ok());
  REQUIRE(writer->CompleteTask(mine->tasks(1)).ok());
  CHECK(IntervalsOf(*admin, "mine_a").size() == 2);
  absl::StatusOr<v1::LeaseTasksResponse> theirs = admin->LeaseTasks("a", 10, absl::Seconds(30));
  REQUIRE(theirs.ok());
  REQUIRE(theirs->tasks_size() == 1);
  CHECK(theirs->tasks(0).feature_view() == "theirs");
  // Cancel needs WRITE_ONLINE on the job's views too.
  CHECK(absl::IsPermissionDenied(writer->CancelJob(job.job_id()).status()));
  CHECK(admin->CancelJob(job.job_id()).ok());
}
LARDER_BACKEND_TEST(
    "materialization: only callers allowed to write a view plan, lease and "
    "complete its tasks",
    OnlyViewWritersMaterialize)

}  // namespace
}  // namespace larder::testing
