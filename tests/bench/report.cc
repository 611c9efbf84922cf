#include "tests/bench/report.h"

#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace larder::bench {
namespace {

const Row* Find(const std::vector<Row>& rows, const std::string& scenario, const std::string& cache,
                int in_flight) {
  for (const Row& r : rows) {
    if (r.scenario == scenario && r.cache == cache && r.in_flight == in_flight) return &r;
  }
  return nullptr;
}

const Row* FindPrefix(const std::vector<Row>& rows, const std::string& prefix, int in_flight) {
  for (const Row& r : rows) {
    if (r.scenario.rfind(prefix, 0) == 0 && r.in_flight == in_flight) return &r;
  }
  return nullptr;
}

std::string Qps(double qps) { return absl::StrFormat("%.0f", qps); }
std::string Ratio(double qps, double ceiling) {
  return ceiling > 0 ? absl::StrFormat("%.2f", qps / ceiling) : "-";
}
std::string Cpu(double us) { return us < 0 ? "-" : absl::StrFormat("%.0f", us); }

}  // namespace

std::string MachineDescription() {
  std::string model = "unknown CPU";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      model = std::string(absl::StripAsciiWhitespace(line.substr(line.find(':') + 1)));
      break;
    }
  }
  std::string load;
  std::ifstream loadavg("/proc/loadavg");
  std::getline(loadavg, load);
  std::vector<absl::string_view> fields = absl::StrSplit(load, ' ');
  fields.resize(std::min<size_t>(fields.size(), 3));
  return absl::StrCat(model, ", ", std::thread::hardware_concurrency(), " CPUs, load average ",
                      absl::StrJoin(fields, " "));
}

void PrintRows(const std::vector<Row>& rows, std::FILE* out) {
  std::fprintf(out,
               "| scenario | cache | in flight | QPS | p50 ms | p99 ms | ceiling QPS | ratio | "
               "ratio vs in-process echo | bench CPU µs/call | server CPU µs/call | notes |\n"
               "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");
  for (const Row& r : rows) {
    std::string note = r.note;
    if (r.result.errors > 0) {
      note = absl::StrCat(note.empty() ? "" : note + "; ", r.result.errors,
                          " FAILED calls, first: ", r.result.first_error);
    }
    std::fprintf(
        out, "| %s | %s | %d | %s | %.2f | %.2f | %s | %s | %s | %s | %s | %s |\n",
        r.scenario.c_str(), r.cache.c_str(), r.in_flight, Qps(r.result.qps).c_str(),
        r.result.p50_ms, r.result.p99_ms, r.ceiling_qps > 0 ? Qps(r.ceiling_qps).c_str() : "-",
        Ratio(r.result.qps, r.ceiling_qps).c_str(),
        Ratio(r.result.qps, r.in_process_ceiling_qps).c_str(), Cpu(r.result.client_cpu_us).c_str(),
        Cpu(r.result.server_cpu_us).c_str(), note.c_str());
  }
}

void PrintCeilings(const Ceilings& ceilings, const std::string& backend, std::FILE* out) {
  std::fprintf(out,
               "| ceiling | in flight | QPS before | QPS after | used | p50 ms | p99 ms | "
               "bench CPU µs/call | server CPU µs/call |\n"
               "|---|--:|--:|--:|--:|--:|--:|--:|--:|\n");
  auto print = [&](const std::string& name, const std::map<int, Ceilings::Pair>& m) {
    for (const auto& [n, pair] : m) {
      std::fprintf(out, "| %s | %d | %s | %s | %s | %.2f | %.2f | %s | %s |\n", name.c_str(), n,
                   Qps(pair.before.qps).c_str(),
                   pair.measured_after ? Qps(pair.after.qps).c_str() : "-", Qps(pair.qps()).c_str(),
                   pair.before.p50_ms, pair.before.p99_ms, Cpu(pair.before.client_cpu_us).c_str(),
                   Cpu(pair.before.server_cpu_us).c_str());
    }
  };
  print("echo, in the bench process", ceilings.echo);
  print("echo, separate process", ceilings.echo_process);
  print("echo, synchronous API, separate process", ceilings.echo_sync_process);
  print(absl::StrCat("raw write, own row (", backend, ")"), ceilings.write);
  print(absl::StrCat("raw write, one hot row (", backend, ")"), ceilings.hot_write);
}

void PrintTarget(std::FILE* out, const std::string& what, bool met, const std::string& figure,
                 const std::string& goal) {
  std::fprintf(out, "  %-7s %s: %s (target %s)\n", met ? "MET" : "MISSED", what.c_str(),
               figure.c_str(), goal.c_str());
}

void PrintTargets(const std::vector<Row>& rows, const std::string& backend, std::FILE* out) {
  std::fprintf(out, "targets:\n");
  if (const Row* r = Find(rows, "GetFeatureView", "yes", 32); r != nullptr && r->ceiling_qps > 0) {
    const double ratio = r->result.qps / r->ceiling_qps;
    PrintTarget(out, "cached GetFeatureView at 32 in flight vs echo (separate process)",
                ratio >= 0.70, absl::StrFormat("%.2f", ratio), ">= 0.70");
  }
  if (const Row* r = Find(rows, "ApplyFeatureView", "-", 8); r != nullptr && r->ceiling_qps > 0) {
    const double ratio = r->result.qps / r->ceiling_qps;
    const double goal = backend == "postgres" ? 0.50 : backend == "mysql" ? 0.40 : 0;
    if (goal > 0) {
      PrintTarget(out, absl::StrCat("ApplyFeatureView at 8 clients vs raw write (", backend, ")"),
                  ratio >= goal, absl::StrFormat("%.2f", ratio), absl::StrFormat(">= %.2f", goal));
    } else {
      std::fprintf(out,
                   "  -       ApplyFeatureView at 8 clients vs raw write (%s): %.2f (no "
                   "target for this backend)\n",
                   backend.c_str(), ratio);
    }
  }
  if (const Row* r = Find(rows, "ApplyMaterialization", "-", 32);
      r != nullptr && r->ceiling_qps > 0) {
    const double ratio = r->result.qps / r->ceiling_qps;
    const bool none_lost = r->note.find("none lost") != std::string::npos;
    PrintTarget(out, "ApplyMaterialization, 32 writers on one view, vs raw write",
                ratio >= 0.30 && none_lost,
                absl::StrFormat("%.2f, %s", ratio, none_lost ? "none lost" : "WRITES LOST"),
                ">= 0.30, none lost");
  }
  if (const Row* r = FindPrefix(rows, "Proto(", 1); r != nullptr) {
    PrintTarget(out, absl::StrCat(r->scenario, " p50 at 1 in flight"), r->result.p50_ms <= 20,
                absl::StrFormat("%.1f ms", r->result.p50_ms), "<= 20 ms");
  }
}

}  // namespace larder::bench
