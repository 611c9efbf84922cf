#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client/registry_client.h"
#include "storage/open_store.h"
#include "tests/stress/torture_report.h"

namespace larder::torture {

// What one torture run is pointed at and how hard it pushes.
struct TortureConfig {
  std::vector<std::string> addresses;  // Larder replicas
  std::string db_url;                  // the database behind them, for change-log checks
  std::string backend;                 // label for the table
  std::string run_id;                  // makes project names unique per run
  int writers = 8;
  int calls = 50;
  // Chaos: run this shell command once, `chaos_after_ms` into each storm scenario.
  std::string chaos_command;
  int chaos_after_ms = 0;
  // staged_apply_kill: the file holding the process id of the replica at addresses[0] (the one
  // it kills), and the shell command that starts that replica again at the same address,
  // returning once it serves (and writing its new process id to the file).
  std::string victim_pid_file;
  std::string victim_restart_command;
  // The coordinated worker (client/examples/coordinated_worker.cc) for coordinated_workers.
  std::string worker_binary;
};

// A client for worker `worker`: all replicas, starting at a different one per worker so the
// load spreads, failing over on UNAVAILABLE.
inline std::unique_ptr<client::RegistryClient> ClientFor(const TortureConfig& config, int worker,
                                                         bool sticky = false) {
  client::ClientOptions options;
  const size_t n = config.addresses.size();
  if (sticky) {
    options.addresses = {config.addresses[worker % n]};
  } else {
    for (size_t i = 0; i < n; ++i) options.addresses.push_back(config.addresses[(worker + i) % n]);
  }
  options.deadline = absl::Seconds(20);
  options.max_attempts = 10;
  return *client::RegistryClient::Create(options);
}

// Opens the database for verification reads (change log, orphans).
inline std::unique_ptr<storage::SqlStore> OpenVerifier(const TortureConfig& config) {
  auto url = storage::ParseDatabaseUrl(config.db_url);
  if (!url.ok()) return nullptr;
  storage::StoreOptions options;
  options.max_connections = 2;
  auto store = storage::OpenStore(*url, options);
  if (!store.ok()) return nullptr;
  return *std::move(store);
}

// An empty result row for `scenario` run against `config`'s replicas.
inline ScenarioResult NewResult(const std::string& scenario, const TortureConfig& config) {
  return ScenarioResult(scenario, config.backend, static_cast<int>(config.addresses.size()));
}

// The verification store, or nullptr after recording in `result` that the scenario could not be
// checked.
inline std::unique_ptr<storage::SqlStore> VerifierOrFail(const TortureConfig& config,
                                                         ScenarioResult& result) {
  std::unique_ptr<storage::SqlStore> verifier = OpenVerifier(config);
  if (verifier == nullptr) {
    result.violations = 1;
    result.notes = "cannot open the database for verification";
  }
  return verifier;
}

// Runs `worker(index)` on `threads` threads, with the chaos command fired once mid-way.
template <typename Worker>
void RunStorm(const TortureConfig& config, int threads, Worker&& worker) {
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { worker(t); });
  std::thread chaos;
  if (!config.chaos_command.empty()) {
    chaos = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(config.chaos_after_ms));
      // Detached from our output: a restarted database server must not inherit (and hold
      // open) the pipe CTest reads this tool's output from.
      const std::string detached = "(" + config.chaos_command + ") </dev/null >/dev/null 2>&1";
      if (std::system(detached.c_str()) != 0) {
        std::fprintf(stderr, "torture: chaos command failed: %s\n", config.chaos_command.c_str());
      }
    });
  }
  for (auto& t : pool) t.join();
  if (chaos.joinable()) chaos.join();
}

inline double MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// Scenarios (each returns its table row).
ScenarioResult MaterializeOneView(const TortureConfig& config);
ScenarioResult MaterializeManyViews(const TortureConfig& config);
ScenarioResult OverlappingApplyRuns(const TortureConfig& config);
ScenarioResult ApplyDeleteRaces(const TortureConfig& config);
ScenarioResult ProjectRaces(const TortureConfig& config);
ScenarioResult ReadersBesideWriters(const TortureConfig& config);
// A materialization job worked by 16 worker processes killed at random (larder.v1.Materialization).
ScenarioResult CoordinatedWorkers(const TortureConfig& config);
// larder.v1 batches and the change feed (batch_scenarios.cc).
ScenarioResult ConflictingBatches(const TortureConfig& config);
ScenarioResult ReaderDuringBatches(const TortureConfig& config);
ScenarioResult WatchersAcrossReplicas(const TortureConfig& config);
// `feast apply`'s staged writes and commit on a replica killed with kill -9 at every point of
// the apply (staged_apply_scenarios.cc).
ScenarioResult StagedApplyKill(const TortureConfig& config);
// Feast's file registry under the materialization and apply storms, for contrast.
std::vector<ScenarioResult> FileRegistryBaseline(const TortureConfig& config,
                                                 const std::string& path);

}  // namespace larder::torture
