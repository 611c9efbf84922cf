// Materialization coordinated by Larder under fire: one job of many tasks over several views,
// worked by 16 worker processes (the example coordinated worker) through every replica, while
// workers are killed with SIGKILL at random (and the chaos command, e.g. a database restart,
// fires once). Every planned range must end up recorded exactly once: no gaps, no overlaps, and
// the job must reach JOB_SUCCEEDED.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tests/stress/torture_context.h"

extern char** environ;

namespace larder::torture {
namespace {

namespace v1 = ::larder::v1;

constexpr int kWorkers = 16;
constexpr int kViews = 4;
constexpr int64_t kSpanSeconds = 60;
constexpr int64_t kBase = 1'700'000'000;

feast::core::FeatureView View(const std::string& name) {
  feast::core::FeatureView view;
  view.mutable_spec()->set_name(name);
  view.mutable_spec()->add_entities("driver");
  view.mutable_spec()->add_features()->set_name("trips");
  view.mutable_spec()->set_online(true);
  return view;
}

// Starts one worker process; returns its pid (0 on failure).
pid_t SpawnWorker(const TortureConfig& config, int index, const std::string& job_id) {
  std::vector<std::string> rotated;
  for (size_t i = 0; i < config.addresses.size(); ++i) {
    rotated.push_back(config.addresses[(index + i) % config.addresses.size()]);
  }
  std::vector<std::string> args = {config.worker_binary,      absl::StrJoin(rotated, ","),
                                   absl::StrCat("tw", index), "--job=" + job_id,
                                   "--lease-ttl-s=2",         "--work-ms=20"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  if (posix_spawn(&pid, config.worker_binary.c_str(), &actions, nullptr, argv.data(), environ) !=
      0) {
    pid = 0;
  }
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

}  // namespace

ScenarioResult CoordinatedWorkers(const TortureConfig& config) {
  ScenarioResult result = NewResult("coordinated_workers", config);
  if (config.worker_binary.empty()) {
    result.notes = "skipped: no --worker-binary";
    return result;
  }
  const std::string project = absl::StrCat("torture_", config.run_id, "_coordinated");
  auto client = ClientFor(config, 0);
  for (int v = 0; v < kViews; ++v) {
    if (!client->ApplyFeatureView(project, View(absl::StrCat("fv", v))).ok()) {
      result.violations++;
      result.notes = "setup failed";
      return result;
    }
  }
  const int64_t end = kBase + int64_t{config.calls} * kSpanSeconds;
  v1::PlanMaterializationRequest plan;
  plan.set_project(project);
  plan.mutable_start_time()->set_seconds(kBase);
  plan.mutable_end_time()->set_seconds(end);
  plan.mutable_task_span()->set_seconds(kSpanSeconds);
  plan.set_max_attempts(100);  // kills count as attempts; the point is that none is lost
  absl::StatusOr<v1::PlanMaterializationResponse> planned = client->PlanMaterialization(plan);
  if (!planned.ok()) {
    result.violations++;
    result.notes = "plan failed: " + planned.status().ToString();
    return result;
  }
  const std::string job_id = planned->job().job_id();
  result.acknowledged = planned->job().tasks_size();

  std::vector<pid_t> workers(kWorkers, 0);
  for (int i = 0; i < kWorkers; ++i) workers[i] = SpawnWorker(config, i, job_id);
  std::mt19937 random(static_cast<unsigned>(getpid()));
  int kills = 0, next_index = kWorkers;
  bool chaos_fired = config.chaos_command.empty();
  const auto started = std::chrono::steady_clock::now();
  v1::JobState state = v1::JOB_PENDING;
  const auto deadline = started + std::chrono::seconds(240);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    // kill -9 one worker at random mid-task, and start a fresh one in its place.
    const int victim = static_cast<int>(random() % kWorkers);
    if (workers[victim] > 0) {
      kill(workers[victim], SIGKILL);
      waitpid(workers[victim], nullptr, 0);
      ++kills;
    }
    workers[victim] = SpawnWorker(config, next_index++, job_id);
    if (!chaos_fired && MillisSince(started) > config.chaos_after_ms) {
      chaos_fired = true;
      const std::string detached = "(" + config.chaos_command + ") </dev/null >/dev/null 2>&1";
      if (std::system(detached.c_str()) != 0) result.notes += "chaos command failed; ";
    }
    absl::StatusOr<v1::MaterializationJob> job = client->GetJob(job_id);
    if (job.ok()) state = job->state();
    if (state == v1::JOB_SUCCEEDED || state == v1::JOB_FAILED || state == v1::JOB_CANCELLED) {
      break;
    }
  }
  for (pid_t pid : workers) {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
  const double seconds = MillisSince(started) / 1000.0;

  absl::StatusOr<v1::MaterializationJob> job = client->GetJob(job_id, true);
  if (!job.ok() || job->state() != v1::JOB_SUCCEEDED) {
    result.violations++;
    result.notes += absl::StrCat(
        "job not succeeded: ",
        job.ok() ? v1::JobState_Name(job->state()) + " " + job->error() : job.status().ToString(),
        "; ");
  }
  for (int v = 0; v < kViews; ++v) {
    const std::string name = absl::StrCat("fv", v);
    absl::StatusOr<feast::core::FeatureView> stored = client->GetFeatureView(project, name);
    if (!stored.ok()) {
      result.violations++;
      continue;
    }
    std::map<std::pair<int64_t, int64_t>, int> seen;
    for (const auto& i : stored->meta().materialization_intervals()) {
      seen[{i.start_time().seconds(), i.end_time().seconds()}]++;
    }
    for (const auto& [range, count] : seen) {
      if (count > 1) result.duplicated += count - 1;
    }
    // The recorded intervals tile [kBase, end) exactly: no gaps, no overlaps.
    int64_t cursor = kBase;
    for (const auto& [range, count] : seen) {
      if (range.first != cursor) result.violations++;
      cursor = range.second;
    }
    if (cursor != end) result.violations++;
    if (job.ok()) {
      for (const auto& task : job->tasks()) {
        if (task.feature_view() != name) continue;
        if (seen.count({task.start_time().seconds(), task.end_time().seconds()})) {
          result.present++;
        } else {
          result.lost++;
        }
      }
    }
  }
  result.p50_ms = 0;
  result.p99_ms = 0;
  result.notes += absl::StrCat(
      result.acknowledged, " tasks, ", kWorkers, " worker processes, ", kills, " kill -9, ",
      absl::StrFormat("%.1f", seconds), " s (",
      absl::StrFormat("%.0f", result.acknowledged / std::max(seconds, 0.001)), " tasks/s)");
  return result;
}

}  // namespace larder::torture
