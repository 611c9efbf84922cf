#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace larder::bench {

// larder-bench's command line.
struct BenchOptions {
  std::string target;         // --target=HOST:PORT: any Feast registry server
  bool spawn = false;         // --spawn: start `larder` on 127.0.0.1:0 against --db
  std::string db_url;         // --db=URL: spawned larder's database; also where write ceilings run
  std::string larder_binary;  // --larder=PATH
  std::vector<std::string> larder_args;  // --larder-arg=ARG (repeatable)
  int server_pid = 0;     // --server-pid: with --target, whose CPU to account per call
  bool reset_db = false;  // --reset-db: delete the SQLite file first
  double seconds = 2;     // --seconds: measuring window per cell
  double warmup = 0.3;    // --warmup: per cell, not measured
  bool quick = false;     // --quick: one short cell per scenario, in-flight 8
  std::vector<int> in_flight = {1, 8, 32};                          // --in-flight=1,8,32
  std::vector<std::string> scenarios;                               // --scenarios=A,B (empty: all)
  std::string project = "bench";                                    // --project
  int small_views = 50;                                             // --small-views
  int list_views = 1000;                                            // --list-views
  int64_t proto_objects = 10000;                                    // --proto-objects
  int seed_in_flight = 32;                                          // --seed-in-flight
  bool scaling = false;                                             // --scaling
  bool batch_compare = false;                                       // --batch-compare
  int watchers = 0;                                                 // --watchers
  int64_t max_objects = 100000;                                     // --max-objects
  std::vector<int64_t> scaling_sizes = {100, 1000, 10000, 100000};  // up to max_objects
};

std::string BenchUsage();

// INVALID_ARGUMENT naming the offending flag. `default_larder` is the path used when --larder
// is not given (the build's larder).
// The command line of a spawned server: `serve` on o.db_url (migrated), a free gRPC port, no
// HTTP listener (a fixed port other servers on the host may hold) and warning-level logs (at
// the default info level a log line per call halves cached-read throughput: the benchmark
// measures the registry, docs/observability.md the logs), then o.larder_args, which may
// override any of these.
std::vector<std::string> SpawnArgs(const BenchOptions& o);

absl::StatusOr<BenchOptions> ParseBenchOptions(int argc, char** argv,
                                               const std::string& default_larder);

}  // namespace larder::bench
