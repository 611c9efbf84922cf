// larder-torture: bounded concurrency scenarios against one or several Larder replicas, each
// checking at the end that nothing acknowledged was lost or duplicated.
//
// Usage: larder-torture --addresses=HOST:PORT[,HOST:PORT...] --db=URL [--backend=LABEL]
//          [--writers=N] [--calls=N] [--scenarios=a,b,...] [--chaos-command=CMD
//          --chaos-after-ms=N] [--baseline-file=PATH] [--worker-binary=PATH]
//          [--victim-pid-file=PATH --victim-restart-command=CMD]
// Exits 0 when every scenario holds its invariants, 1 otherwise.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/stress/torture_context.h"

namespace {

bool TakeFlag(const char* arg, const char* name, std::string& value) {
  const size_t n = std::strlen(name);
  if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
  value = arg + n + 1;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace larder::torture;
  TortureConfig config;
  config.backend = "?";
  // Time and process id: run-torture.sh starts three clients within the same millisecond, and
  // two sharing a run id would share projects and see each other's writes as duplicates.
  config.run_id = absl::StrCat(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                       .count() %
                                   100000000,
                               "_", getpid());
  std::string addresses, scenarios = "all", baseline, value;
  for (int i = 1; i < argc; ++i) {
    if (TakeFlag(argv[i], "--addresses", addresses) || TakeFlag(argv[i], "--db", config.db_url) ||
        TakeFlag(argv[i], "--backend", config.backend) ||
        TakeFlag(argv[i], "--scenarios", scenarios) ||
        TakeFlag(argv[i], "--chaos-command", config.chaos_command) ||
        TakeFlag(argv[i], "--baseline-file", baseline) ||
        TakeFlag(argv[i], "--victim-pid-file", config.victim_pid_file) ||
        TakeFlag(argv[i], "--victim-restart-command", config.victim_restart_command)) {
      continue;
    }
    if (TakeFlag(argv[i], "--writers", value)) {
      config.writers = std::atoi(value.c_str());
    } else if (TakeFlag(argv[i], "--calls", value)) {
      config.calls = std::atoi(value.c_str());
    } else if (TakeFlag(argv[i], "--worker-binary", value)) {
      config.worker_binary = value;
    } else if (TakeFlag(argv[i], "--chaos-after-ms", value)) {
      config.chaos_after_ms = std::atoi(value.c_str());
    } else {
      std::fprintf(stderr, "larder-torture: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  if (!addresses.empty()) config.addresses = absl::StrSplit(addresses, ',');
  if (config.writers <= 0 || config.calls <= 0 || (config.addresses.empty() && baseline.empty())) {
    std::fprintf(stderr, "usage: larder-torture --addresses=A[,B...] --db=URL ...\n");
    return 2;
  }
  const std::vector<std::pair<std::string, std::function<ScenarioResult(const TortureConfig&)>>>
      all = {{"materialize_one_view", MaterializeOneView},
             {"materialize_many_views", MaterializeManyViews},
             {"overlapping_apply_runs", OverlappingApplyRuns},
             {"apply_delete_races", ApplyDeleteRaces},
             {"project_races", ProjectRaces},
             {"readers_beside_writers", ReadersBesideWriters},
             {"coordinated_workers", CoordinatedWorkers},
             {"conflicting_batches", ConflictingBatches},
             {"reader_during_batches", ReaderDuringBatches},
             {"watchers_across_replicas", WatchersAcrossReplicas},
             {"staged_apply_kill", StagedApplyKill}};
  PrintHeader();
  bool ok = true;
  if (!config.addresses.empty()) {
    for (const auto& [name, run] : all) {
      if (scenarios != "all" && absl::StrContains(scenarios, name) == false) continue;
      // It kills and restarts a replica, so it runs only when the caller says which and how.
      if (name == "staged_apply_kill" && config.victim_pid_file.empty() && scenarios == "all") {
        continue;
      }
      ScenarioResult r = run(config);
      PrintRow(r);
      ok &= r.ok();
    }
  }
  if (!baseline.empty()) {
    // The baseline's losses are the point of the contrast, not a failure of this run.
    for (const ScenarioResult& r : FileRegistryBaseline(config, baseline)) PrintRow(r);
  }
  std::printf("%s\n", ok ? "torture: all invariants held" : "torture: INVARIANTS VIOLATED");
  return ok ? 0 : 1;
}
