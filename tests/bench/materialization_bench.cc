// larder-bench-materialization: how fast Larder hands out and records materialization work.
// Spawns the real larder on --db, plans a job, and has N workers (threads, each with its own
// client and channel) loop LeaseTasks(1) + CompleteTask for a fixed window, on one feature view
// and on N views; then measures the raw write ceiling of the same database with N connections
// (tests/bench/write_ceiling.h) and prints tasks/s beside it. Each task costs two write
// transactions (the lease, and the completion that also appends the view's interval).
//
// Usage: larder-bench-materialization --db=URL [--larder=PATH] [--workers=32] [--seconds=5]
//                                     [--tasks=4000]
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/registry_client.h"
#include "storage/database_url.h"
#include "tests/bench/larder_process.h"
#include "tests/bench/write_ceiling.h"

namespace larder::bench {
namespace {

namespace v1 = ::larder::v1;

struct Options {
  std::string db_url;
  std::string larder = LARDER_BENCH_DEFAULT_LARDER;
  int workers = 32;
  double seconds = 5;
  int tasks = 4000;
};

feast::core::FeatureView View(const std::string& name) {
  feast::core::FeatureView view;
  view.mutable_spec()->set_name(name);
  view.mutable_spec()->add_entities("driver");
  view.mutable_spec()->add_features()->set_name("trips");
  view.mutable_spec()->set_online(true);
  return view;
}

std::unique_ptr<client::RegistryClient> NewClient(const std::string& address) {
  client::ClientOptions options;
  options.addresses = {address};
  options.deadline = absl::Seconds(60);
  return *client::RegistryClient::Create(options);
}

struct Measured {
  double tasks_per_second = 0;
  int64_t completed = 0;
  int64_t refused = 0;  // leases or completions that failed
  std::string first_error;
};

// One cell: `views` views, the job's tasks spread over them, `o.workers` workers for the window.
absl::StatusOr<Measured> RunCell(const Options& o, const std::string& address, int views,
                                 const std::string& project) {
  auto setup = NewClient(address);
  for (int v = 0; v < views; ++v) {
    if (absl::Status s = setup->ApplyFeatureView(project, View(absl::StrCat("fv", v))); !s.ok()) {
      return s;
    }
  }
  // Spans of one second from a fixed start; tasks/views spans per view.
  const int64_t per_view = (o.tasks + views - 1) / views;
  v1::PlanMaterializationRequest plan;
  plan.set_project(project);
  plan.mutable_start_time()->set_seconds(1'700'000'000);
  plan.mutable_end_time()->set_seconds(1'700'000'000 + per_view);
  plan.mutable_task_span()->set_seconds(1);
  absl::StatusOr<v1::PlanMaterializationResponse> planned = setup->PlanMaterialization(plan);
  if (!planned.ok()) return planned.status();

  std::atomic<int64_t> completed{0}, refused{0};
  std::atomic<bool> measuring{false}, stop{false};
  std::string first_error;
  std::mutex error_mu;
  std::vector<std::thread> pool;
  for (int w = 0; w < o.workers; ++w) {
    pool.emplace_back([&, w] {
      auto c = NewClient(address);
      const std::string worker = absl::StrCat("bench-", w);
      while (!stop.load()) {
        absl::StatusOr<v1::LeaseTasksResponse> leased =
            c->LeaseTasks(worker, 1, absl::Seconds(60), planned->job().job_id());
        absl::Status status = leased.status();
        if (leased.ok() && leased->tasks_size() == 0) break;  // drained
        if (leased.ok()) status = c->CompleteTask(leased->tasks(0)).status();
        if (!status.ok()) {
          refused++;
          std::lock_guard<std::mutex> lock(error_mu);
          if (first_error.empty()) first_error = status.ToString();
          continue;
        }
        if (measuring.load()) completed++;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // warm-up
  measuring = true;
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  measuring = false;
  const double window =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stop = true;
  for (auto& t : pool) t.join();
  setup->CancelJob(planned->job().job_id()).IgnoreError();
  Measured m;
  m.completed = completed.load();
  m.refused = refused.load();
  m.tasks_per_second = static_cast<double>(m.completed) / window;
  m.first_error = first_error;
  if (m.completed + 1 >= planned->job().tasks_size()) {
    m.first_error += " (the job ran out of tasks before the window ended: raise --tasks)";
  }
  return m;
}

bool Take(const char* arg, const char* name, std::string& value) {
  const size_t n = std::strlen(name);
  if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
  value = arg + n + 1;
  return true;
}

int Main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string v;
    if (Take(argv[i], "--db", v)) {
      o.db_url = v;
    } else if (Take(argv[i], "--larder", v)) {
      o.larder = v;
    } else if (Take(argv[i], "--workers", v) && absl::SimpleAtoi(v, &o.workers)) {
    } else if (Take(argv[i], "--seconds", v) && absl::SimpleAtod(v, &o.seconds)) {
    } else if (Take(argv[i], "--tasks", v) && absl::SimpleAtoi(v, &o.tasks)) {
    } else {
      std::fprintf(stderr, "larder-bench-materialization: bad argument %s\n", argv[i]);
      return 2;
    }
  }
  absl::StatusOr<storage::DatabaseUrl> url = storage::ParseDatabaseUrl(o.db_url);
  if (!url.ok() || o.workers <= 0) {
    std::fprintf(stderr, "usage: larder-bench-materialization --db=URL [--workers=N] ...\n");
    return 2;
  }
  WriteCeiling ceiling(*url);  // before any thread (MySQL driver initialisation)
  LarderProcess larder(o.larder, {"serve", "--db=" + o.db_url, "--addr=127.0.0.1:0", "--migrate",
                                  absl::StrCat("--db-connections=", o.workers)});
  if (absl::Status s = larder.Start(); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  const std::string nonce = absl::StrCat(getpid(), "_", time(nullptr));
  std::printf("%-34s %10s %10s %8s  %s\n", "cell", "tasks/s", "completed", "errors", "note");
  std::vector<std::pair<std::string, double>> rates;
  for (int views : {1, o.workers}) {
    absl::StatusOr<Measured> m =
        RunCell(o, larder.address(), views, absl::StrCat("bench_mat_", nonce, "_", views));
    if (!m.ok()) {
      std::fprintf(stderr, "cell failed: %s\n", m.status().ToString().c_str());
      return 1;
    }
    const std::string cell =
        absl::StrCat(o.workers, " workers, ", views, views == 1 ? " view" : " views");
    std::printf("%-34s %10.0f %10lld %8lld  %s\n", cell.c_str(), m->tasks_per_second,
                static_cast<long long>(m->completed), static_cast<long long>(m->refused),
                m->first_error.c_str());
    rates.emplace_back(cell, m->tasks_per_second);
  }
  larder.Stop();
  if (absl::Status s = ceiling.Prepare(); !s.ok()) {
    std::fprintf(stderr, "ceiling: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  LoopOptions timing;
  timing.in_flight = o.workers;
  timing.measure_seconds = o.seconds;
  absl::StatusOr<CellResult> independent = ceiling.Run(o.workers, timing, false);
  absl::StatusOr<CellResult> hot = ceiling.Run(o.workers, timing, true);
  if (!independent.ok() || !hot.ok()) {
    std::fprintf(stderr, "ceiling run failed\n");
    return 1;
  }
  std::printf("%-34s %10.0f  (%s, %d connections, own rows)\n", "raw write ceiling (txn/s)",
              independent->qps, std::string(ceiling.backend()).c_str(), o.workers);
  std::printf("%-34s %10.0f  (one hot row)\n", "raw write ceiling, hot row (txn/s)", hot->qps);
  for (const auto& [cell, rate] : rates) {
    std::printf("%-34s %10.2f  of the own-rows ceiling (target >= 0.30)\n", cell.c_str(),
                rate / independent->qps);
  }
  return 0;
}

}  // namespace
}  // namespace larder::bench

int main(int argc, char** argv) { return larder::bench::Main(argc, argv); }
