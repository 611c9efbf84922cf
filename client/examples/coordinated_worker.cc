// A materialization worker coordinated by Larder (larder.v1.Materialization): it leases tasks
// (feature view x [start, end)) planned by PlanMaterialization, heartbeats while it works on one,
// and completes or fails it. Larder records each completed range in the view's
// materialization_intervals exactly once, so run as many of these as you like, anywhere (pods of
// a Deployment, processes on a VM): a worker that dies simply lets its lease expire and another
// one takes the task over. See docs/materialization.md.
//
// Usage: coordinated_worker ADDRESSES WORKER_NAME [--job=ID] [--lease-ttl-s=60] [--work-ms=0]
//                           [--idle-exit-s=0]
//   --idle-exit-s=N  exit after N seconds with nothing to lease (0: run until killed)
//   --work-ms=N      how long the stand-in work takes per task (replace MaterializeRange)
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "client/registry_client.h"

namespace {

struct Flags {
  std::string job_id;
  int lease_ttl_s = 60;
  int work_ms = 0;
  int idle_exit_s = 0;
};

// The actual work: read [start, end) of the view from the offline store and write it to the
// online store (in Python, Feast's provider.materialize_single_feature_view). A stand-in here.
// `lost` turns true when the lease was lost: stop early, the task is someone else's now.
absl::Status MaterializeRange(const larder::v1::MaterializationTask& task, const Flags& flags,
                              const std::atomic<bool>& lost) {
  const absl::Time until = absl::Now() + absl::Milliseconds(flags.work_ms);
  while (absl::Now() < until && !lost.load()) absl::SleepFor(absl::Milliseconds(5));
  (void)task;
  return absl::OkStatus();
}

bool ParseFlag(absl::string_view arg, absl::string_view name, int& out) {
  if (!absl::StartsWith(arg, name)) return false;
  return absl::SimpleAtoi(arg.substr(name.size()), &out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: %s ADDRESSES WORKER_NAME [--job=ID] [--lease-ttl-s=N] [--work-ms=N] "
                 "[--idle-exit-s=N]\n",
                 argv[0]);
    return 2;
  }
  Flags flags;
  for (int i = 3; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (absl::StartsWith(arg, "--job=")) {
      flags.job_id = std::string(arg.substr(6));
    } else if (!ParseFlag(arg, "--lease-ttl-s=", flags.lease_ttl_s) &&
               !ParseFlag(arg, "--work-ms=", flags.work_ms) &&
               !ParseFlag(arg, "--idle-exit-s=", flags.idle_exit_s)) {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  larder::client::ClientOptions options;
  options.addresses = absl::StrSplit(argv[1], ',');
  options.deadline = absl::Seconds(10);
  options.token_provider = [] {
    const char* token = std::getenv("LARDER_TOKEN");
    return std::string(token != nullptr ? token : "");
  };
  auto client = larder::client::RegistryClient::Create(options);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return 1;
  }
  const std::string worker = argv[2];
  const absl::Duration ttl = absl::Seconds(flags.lease_ttl_s);
  absl::Time idle_since = absl::Now();

  while (true) {
    absl::StatusOr<larder::v1::LeaseTasksResponse> leased =
        (*client)->LeaseTasks(worker, 1, ttl, flags.job_id);
    if (!leased.ok() || leased->tasks_size() == 0) {
      if (!leased.ok()) std::fprintf(stderr, "lease: %s\n", leased.status().ToString().c_str());
      if (flags.idle_exit_s > 0 && absl::Now() - idle_since > absl::Seconds(flags.idle_exit_s)) {
        return 0;
      }
      absl::SleepFor(absl::Milliseconds(200));
      continue;
    }
    idle_since = absl::Now();
    const larder::v1::MaterializationTask task = leased->tasks(0);

    // Heartbeats keep the lease while the work runs (a third of the lease apart); a refused one
    // means the lease is gone (expired and re-leased, or the job was cancelled).
    std::atomic<bool> lost{false};
    absl::Notification finished;
    std::thread heartbeat([&] {
      while (!finished.WaitForNotificationWithTimeout(ttl / 3)) {
        absl::StatusOr<larder::v1::HeartbeatResponse> beat = (*client)->Heartbeat(task, ttl);
        if (absl::IsFailedPrecondition(beat.status()) || absl::IsNotFound(beat.status())) {
          lost = true;
          return;
        }
      }
    });
    absl::Status worked = MaterializeRange(task, flags, lost);
    finished.Notify();
    heartbeat.join();

    if (lost) {
      std::printf("%s: lost the lease of task %s, dropped it\n", worker.c_str(),
                  task.task_id().c_str());
    } else if (!worked.ok()) {
      // Retryable: Larder retries it with backoff up to the job's attempt limit.
      (*client)->FailTask(task, std::string(worked.message()), /*retryable=*/true).IgnoreError();
    } else {
      // Retried by the client on UNAVAILABLE: a repeated completion records nothing twice.
      absl::StatusOr<larder::v1::CompleteTaskResponse> done = (*client)->CompleteTask(task);
      if (done.ok()) {
        std::printf("%s: %s [%lld, %lld) done\n", worker.c_str(), task.feature_view().c_str(),
                    static_cast<long long>(task.start_time().seconds()),
                    static_cast<long long>(task.end_time().seconds()));
      } else {
        std::printf("%s: task %s not completed: %s\n", worker.c_str(), task.task_id().c_str(),
                    done.status().ToString().c_str());
      }
    }
    std::fflush(stdout);
  }
}
