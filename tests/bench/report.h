#pragma once

// larder-bench's output: the results table (Markdown, so it pastes into docs/benchmarks.md),
// the ceilings it was compared against, and the targets, met or missed.

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "tests/bench/closed_loop.h"

namespace larder::bench {

// One measured cell.
struct Row {
  std::string scenario;
  std::string cache;  // "yes", "no" or "-"
  int in_flight = 0;
  CellResult result;
  double ceiling_qps = 0;             // 0: no ceiling measured
  double in_process_ceiling_qps = 0;  // reads: the echo server inside the bench process
  std::string note;
};

// The ceilings of one run, per in-flight count. Each is measured before and after the scenarios
// (the machine is noisy); the figure used is the mean of the two.
struct Ceilings {
  struct Pair {
    CellResult before, after;
    bool measured_after = false;
    double qps() const { return measured_after ? (before.qps + after.qps) / 2 : before.qps; }
  };
  std::map<int, Pair> echo;               // read ceiling: echo server in the bench's process
  std::map<int, Pair> echo_process;       // echo server as a separate process, like larder
  std::map<int, Pair> echo_sync_process;  // the same with gRPC's synchronous API (shown only)
  std::map<int, Pair> write;              // one row per writer
  std::map<int, Pair> hot_write;          // every writer on one row
};

// "Intel Xeon ..., 2 CPUs, load 1.2 0.8 0.5" from /proc.
std::string MachineDescription();

void PrintRows(const std::vector<Row>& rows, std::FILE* out);
void PrintCeilings(const Ceilings& ceilings, const std::string& backend, std::FILE* out);
// The targets that this run measured, each "MET" or "MISSED by ...".
// `backend` is "sqlite", "postgres", "mysql" or "" (unknown: --target without --db).
void PrintTargets(const std::vector<Row>& rows, const std::string& backend, std::FILE* out);

// A line about one target: "MET" or "MISSED", the figure and the goal.
void PrintTarget(std::FILE* out, const std::string& what, bool met, const std::string& figure,
                 const std::string& goal);

}  // namespace larder::bench
