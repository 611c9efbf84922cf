#include "storage/connection.h"

namespace larder::storage {

absl::Status Connection::Track(absl::Status status) {
  if (absl::IsUnavailable(status)) state_ = State::kBroken;
  return status;
}

absl::Status Connection::Begin(TxMode mode) {
  if (state_ == State::kBroken) return absl::UnavailableError("database connection lost");
  if (state_ == State::kInTransaction) {
    return absl::FailedPreconditionError("transaction already open on this connection");
  }
  absl::Status status = Track(BeginImpl(mode));
  if (status.ok()) state_ = State::kInTransaction;
  return status;
}

absl::Status Connection::Commit() {
  if (state_ != State::kInTransaction) {
    return absl::FailedPreconditionError("commit without an open transaction");
  }
  absl::Status status = Track(CommitImpl());
  if (state_ == State::kBroken) return status;
  if (status.ok()) {
    state_ = State::kIdle;
    return status;
  }
  // A failed commit (e.g. a deferred serialization failure) leaves the transaction to undo.
  Rollback();
  return status;
}

void Connection::Rollback() {
  if (state_ != State::kInTransaction) return;
  absl::Status status = RollbackImpl();
  state_ = status.ok() ? State::kIdle : State::kBroken;
}

absl::StatusOr<SqlResult> Connection::Execute(const Statement& statement,
                                              absl::Span<const SqlParam> params) {
  if (state_ == State::kBroken) return absl::UnavailableError("database connection lost");
  absl::StatusOr<SqlResult> result = ExecuteImpl(statement, params);
  if (!result.ok()) Track(result.status()).IgnoreError();
  return result;
}

absl::Status Connection::ExecuteScript(absl::string_view sql) {
  if (state_ == State::kBroken) return absl::UnavailableError("database connection lost");
  return Track(ExecuteScriptImpl(sql));
}

}  // namespace larder::storage
