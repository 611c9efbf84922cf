#include "storage/sql_store.h"

#include "absl/time/clock.h"
#include "storage/sql_transaction.h"

namespace larder::storage {

namespace {
Dialect WithSequencing(Dialect dialect, bool sequence_revisions) {
  dialect.sequenced_revisions = dialect.sequenced_revisions && sequence_revisions;
  return dialect;
}
}  // namespace

SqlStore::SqlStore(const Dialect& dialect, std::unique_ptr<ConnectionPool> pool, RetryPolicy retry,
                   Sequencing sequencing)
    : dialect_(WithSequencing(dialect, sequencing.enabled)),
      statements_(dialect_),
      pool_(std::move(pool)),
      retry_(retry) {
  if (dialect_.sequenced_revisions) {
    sequencer_ =
        std::make_unique<SqlSequencer>([this] { return NumberPass(); },
                                       [this] { return AnyUnnumbered(); }, sequencing.sweep_every);
  }
}

absl::Status SqlStore::Run(TxMode mode, absl::FunctionRef<absl::Status(Transaction&)> body) {
  int attempts = 0;
  bool wrote_unnumbered = false;
  absl::Status status = RetryOnAborted(retry_, [&] {
    ++attempts;
    return RunOnce(
        mode, [&](SqlTransaction& tx) { return body(tx); }, &wrote_unnumbered);
  });
  // Acknowledged only once numbered: the caller's next read (and every replica's change feed)
  // then has the change.
  if (status.ok() && wrote_unnumbered) status = sequencer_->AwaitNumbered();
  const size_t m = mode == TxMode::kReadWrite ? 1 : 0;
  if (attempts > 1) stats_.aborted_retries.fetch_add(attempts - 1, std::memory_order_relaxed);
  (status.ok() ? stats_.committed : stats_.failed)[m].fetch_add(1, std::memory_order_relaxed);
  return status;
}

absl::Status SqlStore::NumberPass() {
  return RetryOnAborted(retry_, [&] {
    return RunOnce(
        TxMode::kReadWrite, [](SqlTransaction& tx) { return tx.NumberUnnumbered().status(); },
        nullptr);
  });
}

absl::StatusOr<bool> SqlStore::AnyUnnumbered() {
  bool any = false;
  absl::Status status = RunOnce(
      TxMode::kReadOnly,
      [&](SqlTransaction& tx) -> absl::Status {
        absl::StatusOr<bool> found = tx.AnyUnnumbered();
        if (!found.ok()) return found.status();
        any = *found;
        return absl::OkStatus();
      },
      nullptr);
  if (!status.ok()) return status;
  return any;
}

absl::Status SqlStore::RunOnce(TxMode mode, absl::FunctionRef<absl::Status(SqlTransaction&)> body,
                               bool* wrote_unnumbered) {
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
        if (wrote_unnumbered != nullptr) *wrote_unnumbered = transaction.wrote_unnumbered();
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
