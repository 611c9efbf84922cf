#include "storage/sql_store.h"

#include "storage/sql_transaction.h"

namespace larder::storage {

SqlStore::SqlStore(const Dialect& dialect, std::unique_ptr<ConnectionPool> pool,
                   RetryPolicy retry)
    : dialect_(dialect), statements_(dialect), pool_(std::move(pool)), retry_(retry) {}

absl::Status SqlStore::Run(TxMode mode, absl::FunctionRef<absl::Status(Transaction&)> body) {
  return RetryOnAborted(retry_, [&] { return RunOnce(mode, body); });
}

absl::StatusOr<ConnectionPool::Lease> SqlStore::AcquireAndBegin(TxMode mode) {
  absl::Status status;
  // A pooled connection that died while idle (server restart, idle timeout) fails at BEGIN,
  // before anything ran, so trying the next one is safe; after as many tries as the pool holds,
  // the pool must open a fresh connection. Later failures are never retried here: a lost
  // COMMIT may or may not have landed.
  for (int attempt = 0; attempt <= pool_->max_connections(); ++attempt) {
    absl::StatusOr<ConnectionPool::Lease> lease = pool_->Acquire();
    if (!lease.ok()) return lease.status();
    status = (*lease)->Begin(mode);
    if (status.ok()) return lease;
    if (!absl::IsUnavailable(status)) break;
  }
  return status;
}

absl::Status SqlStore::RunOnce(TxMode mode, absl::FunctionRef<absl::Status(Transaction&)> body) {
  absl::StatusOr<ConnectionPool::Lease> lease = AcquireAndBegin(mode);
  if (!lease.ok()) return lease.status();
  Connection& connection = **lease;
  SqlTransaction transaction(connection, statements_);
  absl::Status status = body(transaction);
  if (status.ok() && mode == TxMode::kReadWrite) status = transaction.WritePendingChanges();
  if (!status.ok()) {
    connection.Rollback();
    return status;
  }
  return connection.Commit();
}

}  // namespace larder::storage
