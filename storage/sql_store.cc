#include "storage/sql_store.h"

#include "absl/time/clock.h"
#include "storage/sql_transaction.h"

namespace larder::storage {

SqlStore::SqlStore(const Dialect& dialect, std::unique_ptr<ConnectionPool> pool, RetryPolicy retry)
    : dialect_(dialect), statements_(dialect), pool_(std::move(pool)), retry_(retry) {}

absl::Status SqlStore::Run(TxMode mode, absl::FunctionRef<absl::Status(Transaction&)> body) {
  int attempts = 0;
  absl::Status status = RetryOnAborted(retry_, [&] {
    ++attempts;
    return RunOnce(mode, body);
  });
  const size_t m = mode == TxMode::kReadWrite ? 1 : 0;
  if (attempts > 1) stats_.aborted_retries.fetch_add(attempts - 1, std::memory_order_relaxed);
  (status.ok() ? stats_.committed : stats_.failed)[m].fetch_add(1, std::memory_order_relaxed);
  return status;
}

absl::Status SqlStore::RunOnce(TxMode mode, absl::FunctionRef<absl::Status(Transaction&)> body) {
  // A pooled connection that died while idle (server restart, idle timeout) fails at its first
  // round trip (BEGIN, or the first statement when the backend sends BEGIN with it), before
  // anything ran, so the transaction may run again on the next connection; after as many tries
  // as the pool holds, the pool must open a fresh one. Later failures are never retried here: a
  // lost COMMIT may or may not have landed.
  absl::Status status;
  for (int attempt = 0; attempt <= pool_->max_connections(); ++attempt) {
    absl::StatusOr<ConnectionPool::Lease> lease = pool_->Acquire();
    if (!lease.ok()) return lease.status();
    Connection& connection = **lease;
    status = connection.Begin(mode);
    if (status.ok()) {
      SqlTransaction transaction(connection, statements_);
      status = body(transaction);
      if (status.ok()) {
        if (mode != TxMode::kReadWrite) return connection.Commit();
        const absl::Time start = absl::Now();
        absl::Status committed = transaction.Commit();
        stats_.commit_latency.Record(absl::Now() - start);
        return committed;
      }
      const bool nothing_ran = !connection.answered_since_begin();
      connection.Rollback();
      if (!nothing_ran) return status;
    }
    if (!absl::IsUnavailable(status)) return status;
  }
  return status;
}

}  // namespace larder::storage
