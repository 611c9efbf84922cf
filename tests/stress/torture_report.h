#pragma once

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace larder::torture {

// One row of the results table: what was acknowledged, what the registry holds afterwards.
struct ScenarioResult {
  ScenarioResult(std::string scenario_name, std::string backend_name, int replica_count)
      : scenario(std::move(scenario_name)),
        backend(std::move(backend_name)),
        replicas(replica_count) {}

  std::string scenario;
  std::string backend;
  int replicas = 1;
  long acknowledged = 0;
  long present = 0;     // acknowledged writes found afterwards
  long lost = 0;        // acknowledged writes missing afterwards
  long duplicated = 0;  // writes found more than once
  long violations = 0;  // other invariant breaks (see notes)
  double p50_ms = 0, p99_ms = 0;
  std::string notes;

  bool ok() const { return lost == 0 && duplicated == 0 && violations == 0; }
};

// Collects call latencies from many threads.
class Latencies {
 public:
  void Add(double ms) {
    std::lock_guard<std::mutex> lock(mu_);
    values_.push_back(ms);
  }
  void FillPercentiles(ScenarioResult& r) {
    std::lock_guard<std::mutex> lock(mu_);
    if (values_.empty()) return;
    std::sort(values_.begin(), values_.end());
    r.p50_ms = values_[values_.size() / 2];
    r.p99_ms = values_[std::min(values_.size() - 1, values_.size() * 99 / 100)];
  }

 private:
  std::mutex mu_;
  std::vector<double> values_;
};

inline void PrintHeader() {
  std::printf("%-26s %-9s %4s %8s %8s %6s %6s %6s %9s %9s  %s\n", "scenario", "backend", "rep",
              "acked", "present", "lost", "dup", "viol", "p50 ms", "p99 ms", "notes");
}

inline void PrintRow(const ScenarioResult& r) {
  std::printf("%-26s %-9s %4d %8ld %8ld %6ld %6ld %6ld %9.2f %9.2f  %s%s\n", r.scenario.c_str(),
              r.backend.c_str(), r.replicas, r.acknowledged, r.present, r.lost, r.duplicated,
              r.violations, r.p50_ms, r.p99_ms,
              r.ok() ? "" : (r.backend == "file" ? "LOSSES " : "FAILED "), r.notes.c_str());
  std::fflush(stdout);
}

}  // namespace larder::torture
