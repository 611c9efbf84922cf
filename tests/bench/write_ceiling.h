#pragma once

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/connection.h"
#include "storage/database_url.h"
#include "storage/open_store.h"
#include "tests/bench/closed_loop.h"

namespace larder::bench {

// The raw write ceiling: the least a transactional single-object write must do,
//   BEGIN; SELECT v FROM larder_bench_ceiling WHERE k = ? FOR UPDATE; upsert (k, 2 KB v); COMMIT
// executed through Larder's own storage::Connection for the backend (storage::BackendFor), with
// N threads holding one connection each — the same driver and the same transaction shape as an
// apply, without the registry. Not thread-safe: one Run at a time.
class WriteCeiling {
 public:
  // Builds the backend's connection factory. Call on the main thread before other threads start
  // (the MySQL driver's first initialisation is not thread-safe).
  explicit WriteCeiling(const storage::DatabaseUrl& url);
  WriteCeiling(const WriteCeiling&) = delete;
  WriteCeiling& operator=(const WriteCeiling&) = delete;

  // Creates larder_bench_ceiling (k VARCHAR(64) PRIMARY KEY, v <blob>) if missing and its rows.
  // Returns the driver's error when the database cannot be reached.
  absl::Status Prepare();

  // `threads` threads (one connection each) loop the transaction for the window in `timing`.
  // hot_key=false: each thread writes its own row (independent objects); true: every thread
  // writes the same row (writers contending for one object). A failed transaction is rolled
  // back and counted as an error, not retried.
  absl::StatusOr<CellResult> Run(int threads, const LoopOptions& timing, bool hot_key);

  absl::string_view backend() const { return parts_.dialect->backend; }

 private:
  // Opens connections until there are `n`.
  absl::Status EnsureConnections(int n);

  storage::BackendParts parts_;
  storage::Statement select_for_update_, upsert_;
  std::vector<std::unique_ptr<storage::Connection>> connections_;
};

}  // namespace larder::bench
