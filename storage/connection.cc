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
  answered_since_begin_ = false;
  absl::Status status = Track(BeginImpl(mode));
  if (status.ok()) state_ = State::kInTransaction;
  return status;
}

absl::Status Connection::Commit() { return CommitWith({}); }

absl::Status Connection::CommitWithImpl(absl::Span<const FinalStatement> statements) {
  for (const FinalStatement& final_statement : statements) {
    absl::Status status = ExecuteImpl(*final_statement.statement, final_statement.params).status();
    if (!status.ok()) return status;
  }
  return CommitImpl();
}

absl::Status Connection::CommitWith(absl::Span<const FinalStatement> statements) {
  if (state_ != State::kInTransaction) {
    return absl::FailedPreconditionError("commit without an open transaction");
  }
  absl::Status status = Track(statements.empty() ? CommitImpl() : CommitWithImpl(statements));
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
  if (!result.ok()) {
    Track(result.status()).IgnoreError();
  } else {
    answered_since_begin_ = true;
  }
  return result;
}

absl::Status Connection::ExecuteScript(absl::string_view sql) {
  if (state_ == State::kBroken) return absl::UnavailableError("database connection lost");
  absl::Status status = Track(ExecuteScriptImpl(sql));
  if (status.ok()) answered_since_begin_ = true;
  return status;
}

}  // namespace larder::storage
