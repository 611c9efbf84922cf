// What the change log's commit-ordered revisions cost. For each database URL given, runs the
// same closed-loop write workload three ways in one process, so the ratios are measured under the
// same machine noise:
//   upsert     one transaction: SELECT ... FOR UPDATE + UPDATE of one of 1000 rows (the ceiling)
//   +changelog the same plus a change-log row, numbered the store's default way (on PostgreSQL
//              and MySQL sequenced after COMMIT, storage/sql_sequencer.h), and again numbered
//              at COMMIT under the counter lock (+chg/lock, --revision-order=locked)
//   registry   Registry::Apply of a changed entity (everything a real apply does), both ways
// Usage: larder-bench-write-ordering [--threads=8] [--seconds=3] URL...
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/registry/registry.h"
#include "storage/open_store.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Result {
  double ops_per_second = 0;
  double p50_us = 0, p99_us = 0;
  int errors = 0;
};

template <typename Op>
Result RunLoop(int threads, double seconds, Op&& op) {
  std::vector<std::vector<double>> latencies(threads);
  std::atomic<int> errors{0};
  std::atomic<long> done{0};
  const auto stop_at = Clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; Clock::now() < stop_at; ++i) {
        const auto start = Clock::now();
        if (!op(t, i)) ++errors;
        latencies[t].push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - start).count());
        ++done;
      }
    });
  }
  for (auto& w : workers) w.join();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  Result r;
  r.ops_per_second = static_cast<double>(done) / seconds;
  if (!all.empty()) {
    r.p50_us = all[all.size() / 2];
    r.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  r.errors = errors;
  return r;
}

void Print(const std::string& backend, const char* mode, const Result& r, const Result& ceiling) {
  std::printf("%-9s %-11s %9.0f ops/s  p50 %8.0f us  p99 %8.0f us  ratio %5.2f  errors %d\n",
              backend.c_str(), mode, r.ops_per_second, r.p50_us, r.p99_us,
              r.ops_per_second / ceiling.ops_per_second, r.errors);
}

int Bench(const std::string& url_text, int threads, double seconds) {
  auto url = larder::storage::ParseDatabaseUrl(url_text);
  if (!url.ok()) {
    std::fprintf(stderr, "%s\n", url.status().ToString().c_str());
    return 1;
  }
  larder::storage::StoreOptions options;
  options.max_connections = threads + 2;
  auto store = larder::storage::OpenStore(*url, options);
  if (!store.ok() || !larder::storage::PrepareStoreSchema(**store, true).ok()) {
    std::fprintf(stderr, "cannot open %s\n", url->Redacted().c_str());
    return 1;
  }
  larder::storage::StoreOptions locked_options = options;
  locked_options.sequence_revisions = false;
  auto locked_store = larder::storage::OpenStore(*url, locked_options);
  if (!locked_store.ok()) {
    std::fprintf(stderr, "cannot open %s\n", url->Redacted().c_str());
    return 1;
  }
  using larder::storage::ObjectKind;
  using larder::storage::Transaction;
  constexpr int kRows = 1000;
  const std::string payload(2048, 'x');  // a typical serialized view is ~2 KB
  // Seed the rows.
  absl::Status seeded = (*store)->Run(larder::storage::TxMode::kReadWrite, [&](Transaction& tx) {
    for (int i = 0; i < kRows; ++i) {
      auto existing = tx.GetObject(ObjectKind::kDataSource, "bench", absl::StrCat("row", i));
      if (!existing.ok()) return existing.status();
      if (existing->has_value()) continue;
      absl::Status s = tx.InsertObject(ObjectKind::kDataSource,
                                       {"bench", absl::StrCat("row", i), payload, 1, 1});
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  });
  if (!seeded.ok()) {
    std::fprintf(stderr, "seeding failed: %s\n", seeded.ToString().c_str());
    return 1;
  }
  auto upsert = [&](larder::storage::Store& target, bool with_change) {
    return [&, with_change](int t, int i) {
      const std::string name = absl::StrCat("row", (t * 7919 + i * 31) % kRows);
      return target
          .Run(larder::storage::TxMode::kReadWrite,
               [&](Transaction& tx) -> absl::Status {
                 auto row = tx.GetObject(ObjectKind::kDataSource, "bench", name,
                                         larder::storage::Lock::kForUpdate);
                 if (!row.ok()) return row.status();
                 larder::storage::ObjectRow next = **row;
                 next.version += 1;
                 next.last_updated_seconds = i;
                 if (auto s = tx.UpdateObject(ObjectKind::kDataSource, next); !s.ok()) return s;
                 if (with_change) {
                   larder::storage::ChangeRecord c;
                   c.project = "bench";
                   c.kind = ObjectKind::kDataSource;
                   c.name = name;
                   c.op = larder::storage::ChangeOp::kUpdate;
                   c.object_version = next.version;
                   c.proto = next.proto;
                   tx.RecordChange(std::move(c));
                 }
                 return absl::OkStatus();
               })
          .ok();
    };
  };
  larder::registry::SystemClock clock;
  larder::registry::Registry registry(**store, clock);
  larder::registry::Registry locked_registry(**locked_store, clock);
  auto apply = [&](larder::registry::Registry& target) {
    return [&](int t, int i) {
      feast::core::Entity e;
      e.mutable_spec()->set_name(absl::StrCat("entity", (t * 7919 + i * 31) % kRows));
      e.mutable_spec()->set_description(absl::StrCat("t", t, "i", i, payload.substr(0, 1500)));
      return target.Apply("bench", e).ok();
    };
  };
  const std::string backend(store->get()->backend_name());
  // Warm up connections and caches, then measure.
  RunLoop(threads, 0.5, upsert(**store, false));
  const Result ceiling = RunLoop(threads, seconds, upsert(**store, false));
  const Result ordered = RunLoop(threads, seconds, upsert(**store, true));
  const Result ordered_locked = RunLoop(threads, seconds, upsert(**locked_store, true));
  const Result full = RunLoop(threads, seconds, apply(registry));
  const Result full_locked = RunLoop(threads, seconds, apply(locked_registry));
  Print(backend, "upsert", ceiling, ceiling);
  Print(backend, "+changelog", ordered, ceiling);
  Print(backend, "+chg/lock", ordered_locked, ceiling);
  Print(backend, "registry", full, ceiling);
  Print(backend, "reg/lock", full_locked, ceiling);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 8;
  double seconds = 3;
  std::vector<std::string> urls;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0) {
      threads = std::atoi(argv[i] + 10);
    } else if (std::strncmp(argv[i], "--seconds=", 10) == 0) {
      seconds = std::atof(argv[i] + 10);
    } else {
      urls.push_back(argv[i]);
    }
  }
  if (urls.empty() || threads <= 0 || seconds <= 0) {
    std::fprintf(stderr, "usage: %s [--threads=8] [--seconds=3] URL...\n", argv[0]);
    return 2;
  }
  std::printf("write ordering benchmark: %d threads, %.1f s per mode, 2 KB rows\n", threads,
              seconds);
  int rc = 0;
  for (const std::string& url : urls) rc |= Bench(url, threads, seconds);
  return rc;
}
