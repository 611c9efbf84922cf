// larder-bench: a closed-loop load generator for Feast's feast.registry.RegistryServer API.
// It measures any registry server (--target), or starts the real larder binary itself (--spawn),
// and compares every figure with ceilings measured in the same run: an in-process echo service
// on the same gRPC (reads) and the raw single-row write transaction through the same database
// driver at the same concurrency (writes). --scaling measures how apply latency, memory and
// start-up grow with the registry. See BenchUsage() and docs/benchmarks.md.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "storage/database_url.h"
#include "tests/bench/batch_compare.h"
#include "tests/bench/bench_options.h"
#include "tests/bench/echo_server.h"
#include "tests/bench/larder_process.h"
#include "tests/bench/report.h"
#include "tests/bench/scaling.h"
#include "tests/bench/scenarios.h"
#include "tests/bench/watch_bench.h"
#include "tests/bench/write_ceiling.h"

#ifndef LARDER_BENCH_DEFAULT_LARDER
#define LARDER_BENCH_DEFAULT_LARDER "larder"
#endif

namespace larder::bench {
namespace {

void Log(const std::string& line) {
  std::fprintf(stderr, "larder-bench: %s\n", line.c_str());
  std::fflush(stderr);
}

int Fail(const std::string& message) {
  Log(message);
  return 1;
}

LoopOptions Timing(const BenchOptions& o, int in_flight) {
  LoopOptions timing;
  timing.in_flight = in_flight;
  timing.warmup_seconds = o.warmup;
  timing.measure_seconds = o.seconds;
  return timing;
}

bool Selected(const BenchOptions& o, const std::string& key) {
  if (o.scenarios.empty()) return true;
  return std::find(o.scenarios.begin(), o.scenarios.end(), key) != o.scenarios.end();
}

// Runs `cell` and fills in the CPU it cost per call, in this process and in `server` (when > 0).
template <typename Cell>
CellResult WithCpu(pid_t server, Cell&& cell) {
  const double client0 = CpuSecondsOf(getpid());
  const double server0 = server > 0 ? CpuSecondsOf(server) : -1;
  CellResult r = cell();
  const double calls = static_cast<double>(r.ok_calls + r.errors);
  if (calls > 0) {
    r.client_cpu_us = (CpuSecondsOf(getpid()) - client0) / calls * 1e6;
    if (server0 >= 0) r.server_cpu_us = (CpuSecondsOf(server) - server0) / calls * 1e6;
  }
  return r;
}

// Measures every ceiling once (`after` selects which half of each pair is filled).
// Measures the read ceilings (when `echo` is set) and the write ceilings (when `write` is) once;
// `after` selects which half of each pair is filled.
// The echo servers the read ceilings are measured on.
struct EchoChannels {
  std::shared_ptr<grpc::Channel> in_process;  // callback API, as larder
  std::shared_ptr<grpc::Channel> process;
  pid_t process_pid = 0;
  std::shared_ptr<grpc::Channel> sync_process;  // synchronous API
  pid_t sync_pid = 0;
};

absl::Status MeasureCeilings(const BenchOptions& o, const EchoChannels* echo, WriteCeiling* write,
                             bool after, Ceilings& ceilings) {
  auto store = [after](Ceilings::Pair& pair, const CellResult& r) {
    (after ? pair.after : pair.before) = r;
    pair.measured_after |= after;
  };
  for (int n : o.in_flight) {
    if (echo == nullptr) break;
    struct {
      const char* label;
      const std::shared_ptr<grpc::Channel>& channel;
      pid_t pid;
      std::map<int, Ceilings::Pair>& into;
    } const servers[] = {
        {"", echo->in_process, 0, ceilings.echo},
        {" (separate process)", echo->process, echo->process_pid, ceilings.echo_process},
        {" (synchronous API, separate process)", echo->sync_process, echo->sync_pid,
         ceilings.echo_sync_process},
    };
    for (const auto& server : servers) {
      const CellResult e =
          WithCpu(server.pid, [&] { return RunEchoCell(server.channel, Timing(o, n)); });
      if (e.errors > 0) return absl::InternalError("echo calls failed: " + e.first_error);
      store(server.into[n], e);
      Log(absl::StrFormat("ceiling echo%s at %d in flight: %.0f QPS", server.label, n, e.qps));
    }
  }
  for (int n : o.in_flight) {
    if (write == nullptr) break;
    for (bool hot : {false, true}) {
      absl::Status status;
      const CellResult w = WithCpu(0, [&] {
        absl::StatusOr<CellResult> r = write->Run(n, Timing(o, n), hot);
        status = r.status();
        return r.ok() ? *r : CellResult();
      });
      if (!status.ok()) return status;
      if (w.errors > 0 && w.ok_calls == 0) {
        return absl::InternalError("raw writes failed: " + w.first_error);
      }
      store(hot ? ceilings.hot_write[n] : ceilings.write[n], w);
      Log(absl::StrFormat("ceiling raw write (%s) at %d: %.0f TPS", hot ? "one row" : "own rows", n,
                          w.qps));
    }
  }
  return absl::OkStatus();
}

std::string SelfPath() {
  char path[4096];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  return n > 0 ? std::string(path, static_cast<size_t>(n)) : "larder-bench";
}

// --serve-echo[=sync]: the echo server alone, until killed; announces its port like larder
// does.
int ServeEcho(bool callback_api) {
  absl::StatusOr<std::unique_ptr<EchoServer>> echo = EchoServer::Start(callback_api);
  if (!echo.ok()) return Fail(std::string(echo.status().message()));
  std::printf("larder-bench: serving larder.bench.Echo on %s\n", (*echo)->address().c_str());
  std::fflush(stdout);
  for (;;) pause();
}

int RunScenarios(const BenchOptions& o, const std::optional<storage::DatabaseUrl>& url,
                 std::unique_ptr<WriteCeiling> write) {
  std::unique_ptr<LarderProcess> larder;
  std::string address = o.target;
  if (o.spawn) {
    larder = std::make_unique<LarderProcess>(o.larder_binary, SpawnArgs(o));
    if (absl::Status s = larder->Start(); !s.ok()) return Fail(std::string(s.message()));
    address = larder->address();
    Log("spawned " + o.larder_binary + " on " + address);
  }
  std::shared_ptr<grpc::Channel> channel = MakeChannel(address);
  if (absl::Status s = WaitForServer(channel, 30); !s.ok()) return Fail(std::string(s.message()));

  absl::StatusOr<std::unique_ptr<EchoServer>> echo_server = EchoServer::Start();
  if (!echo_server.ok()) return Fail(std::string(echo_server.status().message()));
  // The same echo server as a child process (this binary with --serve-echo), so the ceiling can
  // also be read without the in-process shortcut a same-process client and server share; and a
  // synchronous-API one, to show which threading model is faster here.
  LarderProcess echo_child(SelfPath(), {"--serve-echo"});
  if (absl::Status s = echo_child.Start(); !s.ok()) return Fail(std::string(s.message()));
  LarderProcess sync_child(SelfPath(), {"--serve-echo=sync"});
  if (absl::Status s = sync_child.Start(); !s.ok()) return Fail(std::string(s.message()));
  const EchoChannels echo{MakeChannel((*echo_server)->address()), MakeChannel(echo_child.address()),
                          echo_child.pid(), MakeChannel(sync_child.address()), sync_child.pid()};

  RegistryLayout layout;
  layout.project = o.project;
  layout.small_views = o.small_views;
  layout.list_views = o.list_views;
  layout.proto_objects = o.proto_objects;
  layout.max_in_flight = *std::max_element(o.in_flight.begin(), o.in_flight.end());
  layout.nonce = absl::StrCat(getpid(), "_", time(nullptr));
  Scenarios scenarios(channel, layout);
  if (absl::Status s = scenarios.Seed(Log); !s.ok()) return Fail(std::string(s.message()));
  if (write != nullptr) {
    if (absl::Status s = write->Prepare(); !s.ok()) {
      return Fail("cannot prepare the write ceiling table: " + std::string(s.message()));
    }
  }
  const std::string backend = write != nullptr ? std::string(write->backend()) : "";

  // Order: read ceilings, reads, write ceilings, writes, then every ceiling again. Write
  // ceilings run next to the writes so the database's after-work (purge, checkpoints) from heavy
  // writing does not land on the read cells.
  Ceilings ceilings;
  if (absl::Status s = MeasureCeilings(o, &echo, nullptr, false, ceilings); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  std::vector<Row> rows;
  bool failed = false;
  bool write_ceilings_measured = false;
  for (const Scenario& scenario : scenarios.All()) {
    if (!Selected(o, scenario.key)) continue;
    if (scenario.ceiling == CeilingKind::kWrite && !write_ceilings_measured) {
      write_ceilings_measured = true;
      if (absl::Status s = MeasureCeilings(o, nullptr, write.get(), false, ceilings); !s.ok()) {
        return Fail(std::string(s.message()));
      }
    }
    std::vector<std::string> caches = {"-"};
    if (scenario.cache_variants) caches = {"yes", "no"};
    for (const std::string& cache : caches) {
      for (int n : o.in_flight) {
        Row row;
        row.scenario = scenario.label;
        row.cache = cache;
        row.in_flight = n;
        row.result = WithCpu(larder != nullptr ? larder->pid() : o.server_pid,
                             [&] { return scenario.run(Timing(o, n), cache == "yes", &row.note); });
        failed |= row.result.errors > 0;
        Log(absl::StrFormat(
            "%s cache=%s in-flight=%d: %.0f QPS, p50 %.2f ms, p99 %.2f ms%s", row.scenario, cache,
            n, row.result.qps, row.result.p50_ms, row.result.p99_ms,
            row.result.errors > 0
                ? absl::StrCat(", ", row.result.errors, " errors: ", row.result.first_error)
                : ""));
        rows.push_back(std::move(row));
      }
    }
  }
  if (!o.quick) {
    if (absl::Status s = MeasureCeilings(o, &echo, write_ceilings_measured ? write.get() : nullptr,
                                         true, ceilings);
        !s.ok()) {
      return Fail(std::string(s.message()));
    }
  }
  for (Row& row : rows) {
    const bool is_write = row.cache == "-" && row.scenario.rfind("Apply", 0) == 0;
    // Reads: the echo server as a separate process, like larder (with the callback API a client
    // and server sharing a process compete for the same threads, so the in-process echo is the
    // lower, kinder ceiling; it is shown beside).
    const auto& table = is_write ? ceilings.write : ceilings.echo_process;
    if (auto it = table.find(row.in_flight); it != table.end()) row.ceiling_qps = it->second.qps();
    if (auto it = ceilings.echo.find(row.in_flight); !is_write && it != ceilings.echo.end()) {
      row.in_process_ceiling_qps = it->second.qps();
    }
    // The contended scenario's ratio is against independent rows (the stricter ceiling); the
    // one-hot-row ceiling is shown beside it.
    if (row.scenario == "ApplyMaterialization") {
      if (auto hot = ceilings.hot_write.find(row.in_flight); hot != ceilings.hot_write.end()) {
        absl::StrAppend(
            &row.note, absl::StrFormat("; one-row raw ceiling %.0f (ratio %.2f)", hot->second.qps(),
                                       row.result.qps / hot->second.qps()));
      }
    }
  }

  std::printf("larder-bench: %s, database %s, %.1f s cells after %.1f s warm-up\n",
              o.spawn ? "spawned larder" : ("target " + o.target).c_str(),
              url.has_value() ? url->Redacted().c_str() : "(unknown)", o.seconds, o.warmup);
  std::printf("machine: %s\n\n", MachineDescription().c_str());
  PrintRows(rows, stdout);
  std::printf("\n");
  PrintCeilings(ceilings, backend, stdout);
  std::printf("\n");
  PrintTargets(rows, backend, stdout);
  std::fflush(stdout);

  if (larder != nullptr) {
    const int code = larder->Stop();
    if (code != 0) {
      return Fail(absl::StrCat("larder exited with ", code, "; output:\n", larder->output()));
    }
  }
  if (failed) return Fail("some calls failed (see the notes column)");
  return 0;
}

}  // namespace
}  // namespace larder::bench

int main(int argc, char** argv) {
  using namespace larder::bench;
  if (argc == 2 && std::string(argv[1]) == "--serve-echo") return ServeEcho(true);
  if (argc == 2 && std::string(argv[1]) == "--serve-echo=sync") return ServeEcho(false);
  absl::StatusOr<BenchOptions> options = ParseBenchOptions(argc, argv, LARDER_BENCH_DEFAULT_LARDER);
  if (!options.ok()) {
    if (!options.status().message().empty()) {
      std::fprintf(stderr, "larder-bench: %s\n\n", std::string(options.status().message()).c_str());
    }
    std::fprintf(stderr, "%s", BenchUsage().c_str());
    return 2;
  }
  std::optional<larder::storage::DatabaseUrl> url;
  std::unique_ptr<WriteCeiling> write;
  if (!options->db_url.empty()) {
    absl::StatusOr<larder::storage::DatabaseUrl> parsed =
        larder::storage::ParseDatabaseUrl(options->db_url);
    if (!parsed.ok()) return Fail(std::string(parsed.status().message()));
    url = *parsed;
    if (options->reset_db) {
      if (url->backend != larder::storage::Backend::kSqlite) {
        return Fail("--reset-db only deletes SQLite files; give a fresh database instead");
      }
      for (const char* suffix : {"", "-wal", "-shm"}) unlink((url->path + suffix).c_str());
    }
    // Before any thread exists: the MySQL driver's first initialisation is not thread-safe.
    if (!options->scaling && !options->batch_compare && options->watchers == 0)
      write = std::make_unique<WriteCeiling>(*url);
  }
  LimitSeedInFlight(options->seed_in_flight);
  if (options->scaling) return RunScaling(*options);
  if (options->batch_compare) return RunBatchComparison(*options);
  if (options->watchers > 0) return RunWatchBenchmark(*options);
  return RunScenarios(*options, url, std::move(write));
}
