#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/latency_histogram.h"

#include "storage/connection_pool.h"
#include "storage/dialect.h"
#include "storage/retry_policy.h"
#include "storage/sql_sequencer.h"
#include "storage/statements.h"
#include "storage/store.h"

namespace larder::storage {

class SqlTransaction;

// What transactions did, for metrics; counted without a lock. Thread-safe.
struct TransactionStats {
  // By mode (0: read-only, 1: read-write): transactions that committed, and those that ended
  // in an error (after any retries).
  std::array<std::atomic<int64_t>, 2> committed{};
  std::array<std::atomic<int64_t>, 2> failed{};
  std::atomic<int64_t> aborted_retries{0};  // attempts repeated after ABORTED
  common::LatencyHistogram commit_latency;  // of read-write COMMITs
};

// The one Store implementation over SQL: every backend shares this code and differs only in its
// Dialect and Connection. Thread-safe.
class SqlStore : public Store {
 public:
  struct Sequencing {
    // False numbers changes at COMMIT under the counter lock even where the dialect can
    // sequence them (Dialect::sequenced_revisions), for comparisons.
    bool enabled = true;
    absl::Duration sweep_every = absl::Seconds(1);  // SqlSequencer's sweep
  };
  SqlStore(const Dialect& dialect, std::unique_ptr<ConnectionPool> pool, RetryPolicy retry,
           Sequencing sequencing);

  absl::Status Run(TxMode mode, absl::FunctionRef<absl::Status(Transaction&)> body) override;
  absl::string_view backend_name() const override { return dialect_.backend; }

  ConnectionPool& pool() { return *pool_; }
  const Dialect& dialect() const { return dialect_; }
  const TransactionStats& transaction_stats() const { return stats_; }
  ConnectionPool::Stats pool_stats() const { return pool_->stats(); }

 private:
  // One attempt; `*wrote_unnumbered` tells whether it committed unnumbered change-log entries.
  absl::Status RunOnce(TxMode mode, absl::FunctionRef<absl::Status(SqlTransaction&)> body,
                       bool* wrote_unnumbered);
  // One numbering transaction (SqlSequencer's pass), retried on ABORTED.
  absl::Status NumberPass();
  // Whether any change-log entry waits for a number (for the sweep; reads without locks).
  absl::StatusOr<bool> AnyUnnumbered();

  const Dialect dialect_;
  const Statements statements_;
  const std::unique_ptr<ConnectionPool> pool_;
  const RetryPolicy retry_;
  TransactionStats stats_;
  // Declared last: its sweep runs passes on pool_ until it is destroyed, first.
  std::unique_ptr<SqlSequencer> sequencer_;  // null unless revisions are sequenced
};

}  // namespace larder::storage
