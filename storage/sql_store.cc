#include "storage/sql_store.h"

#include "storage/sql_transaction.h"

namespace larder::storage {

SqlStore::SqlStore(const Dialect& dialect, std::unique_ptr<ConnectionPool> pool, RetryPolicy retry)
    : dialect_(dialect), statements_(dialect), pool_(std::move(pool)), retry_(retry) {}

absl::Status SqlStore::Run(TxMode mode, absl::FunctionRef<absl::Status(Transaction&)> body) {
  return RetryOnAborted(retry_, [&] { return RunOnce(mode, body); });
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
        return mode == TxMode::kReadWrite ? transaction.Commit() : connection.Commit();
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
