#include "tests/bench/write_ceiling.h"

#include <atomic>
#include <cstring>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"

namespace larder::bench {
namespace {

constexpr int kRows = 64;
constexpr size_t kBlobBytes = 2048;

std::string KeyOf(int thread, bool hot) { return hot ? "hot" : absl::StrCat("k", thread); }

}  // namespace

WriteCeiling::WriteCeiling(const storage::DatabaseUrl& url) : parts_(storage::BackendFor(url)) {
  const storage::Dialect& d = *parts_.dialect;
  select_for_update_ = {"bench_ceiling_select",
                        absl::StrCat("SELECT v FROM larder_bench_ceiling WHERE k = ",
                                     d.Placeholder(1), d.for_update_suffix)};
  std::string upsert = absl::StrCat("INSERT INTO larder_bench_ceiling (k, v) VALUES (",
                                    d.Placeholder(1), ", ", d.Placeholder(2), ")");
  if (d.backend == "mysql") {
    absl::StrAppend(&upsert, " ON DUPLICATE KEY UPDATE v = VALUES(v)");
  } else {  // SQLite and PostgreSQL
    absl::StrAppend(&upsert, " ON CONFLICT (k) DO UPDATE SET v = excluded.v");
  }
  upsert_ = {"bench_ceiling_upsert", upsert};
}

absl::Status WriteCeiling::EnsureConnections(int n) {
  while (static_cast<int>(connections_.size()) < n) {
    absl::StatusOr<std::unique_ptr<storage::Connection>> c = parts_.factory();
    if (!c.ok()) return c.status();
    connections_.push_back(*std::move(c));
  }
  return absl::OkStatus();
}

absl::Status WriteCeiling::Prepare() {
  if (absl::Status s = EnsureConnections(1); !s.ok()) return s;
  storage::Connection& c = *connections_[0];
  const absl::string_view blob_type = parts_.dialect->backend == "postgres" ? "BYTEA"
                                      : parts_.dialect->backend == "mysql"  ? "LONGBLOB"
                                                                            : "BLOB";
  if (absl::Status s = c.ExecuteScript(
          absl::StrCat("CREATE TABLE IF NOT EXISTS larder_bench_ceiling (k VARCHAR(64) PRIMARY "
                       "KEY, v ",
                       blob_type, ")"));
      !s.ok()) {
    return s;
  }
  const std::string blob(kBlobBytes, 'v');
  if (absl::Status s = c.Begin(storage::TxMode::kReadWrite); !s.ok()) return s;
  for (int i = 0; i <= kRows; ++i) {
    const std::string key = i == kRows ? KeyOf(0, true) : KeyOf(i, false);
    const storage::SqlParam params[] = {absl::string_view(key), storage::Blob{blob}};
    if (absl::StatusOr<storage::SqlResult> r = c.Execute(upsert_, params); !r.ok()) {
      c.Rollback();
      return r.status();
    }
  }
  return c.Commit();
}

absl::StatusOr<CellResult> WriteCeiling::Run(int threads, const LoopOptions& timing, bool hot_key) {
  if (threads > kRows) return absl::InvalidArgumentError("too many ceiling threads");
  if (absl::Status s = EnsureConnections(threads); !s.ok()) return s;
  const auto start = Clock::now();
  const auto measure_from = start + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(timing.warmup_seconds));
  const auto stop_at = measure_from + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(timing.measure_seconds));
  std::vector<std::vector<float>> latencies(static_cast<size_t>(threads));
  std::atomic<int64_t> ok{0}, errors{0};
  std::string first_error;
  std::atomic<bool> have_error{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      storage::Connection& c = *connections_[static_cast<size_t>(t)];
      const std::string key = KeyOf(t, hot_key);
      std::string blob(kBlobBytes, 'v');
      for (int64_t i = 0;; ++i) {
        const auto begun = Clock::now();
        if (begun >= stop_at) break;
        // Changing content, so no backend can skip the write as a no-op.
        const std::string stamp = absl::StrCat(t, ":", i, ":");
        std::memcpy(blob.data(), stamp.data(), std::min(stamp.size(), blob.size()));
        absl::Status status = c.Begin(storage::TxMode::kReadWrite);
        if (status.ok()) {
          const storage::SqlParam key_param[] = {absl::string_view(key)};
          status = c.Execute(select_for_update_, key_param).status();
        }
        if (status.ok()) {
          const storage::SqlParam params[] = {absl::string_view(key), storage::Blob{blob}};
          status = c.Execute(upsert_, params).status();
        }
        if (status.ok()) status = c.Commit();
        if (!status.ok() && c.in_transaction()) c.Rollback();
        const auto now = Clock::now();
        if (now >= measure_from && now < stop_at) {
          latencies[static_cast<size_t>(t)].push_back(
              std::chrono::duration<float, std::micro>(now - begun).count());
        }
        if (status.ok()) {
          ++ok;
        } else {
          ++errors;
          if (!have_error.exchange(true)) first_error = status.ToString();
          if (!c.usable()) break;
        }
      }
    });
  }
  for (std::thread& w : workers) w.join();
  std::vector<float> all;
  for (const auto& l : latencies) MergeLatencies(all, l);
  CellResult result = Summarize(std::move(all), timing.measure_seconds);
  result.ok_calls = ok;
  result.errors = errors;
  result.first_error = first_error;
  // Drop connections a failure left unusable; the next Run reopens them.
  for (auto& c : connections_) {
    if (!c->usable()) c.reset();
  }
  std::erase(connections_, nullptr);
  return result;
}

}  // namespace larder::bench
