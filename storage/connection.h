#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "storage/store.h"

namespace larder::storage {

// A bound parameter. Text and blobs are distinct because PostgreSQL and MySQL bind them
// differently (bytea / LONGBLOB versus character data).
struct Blob {
  absl::string_view bytes;
};
using SqlParam = std::variant<std::nullptr_t, int64_t, absl::string_view, Blob>;

// Every cell comes back as bytes (integers as their decimal text); NULL is nullopt.
using SqlCell = std::optional<std::string>;
struct SqlResult {
  std::vector<std::vector<SqlCell>> rows;
  int64_t affected_rows = 0;
};

// A statement with a stable id, so backends can keep it prepared per connection.
struct Statement {
  std::string id;
  std::string sql;
};

// One session with a database. The base class owns the transaction state machine, so backends
// only translate calls (and their native errors) to their driver; they cannot drift in how
// transactions begin, end or break.
//
// Not thread-safe: a connection is used by one thread at a time (ConnectionPool hands it out).
// Error contract of every method: UNAVAILABLE when the connection is lost (the connection is then
// unusable and must be dropped), ABORTED on serialization failure/deadlock/lock timeout,
// ALREADY_EXISTS on a unique-key violation, INVALID_ARGUMENT when a value is longer than its
// column, DATA_LOSS when a SQLite file is damaged or not a database, FAILED_PRECONDITION when
// called in the wrong state, INTERNAL otherwise. Messages never contain SQL text or row data.
class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  virtual ~Connection() = default;

  // A statement sent with the COMMIT (see CommitWith); its result is not needed.
  struct FinalStatement {
    const Statement* statement;
    absl::Span<const SqlParam> params;
  };

  absl::Status Begin(TxMode mode);
  absl::Status Commit();
  // Executes `statements` in order, then commits; fails (and rolls back) at the first error.
  // Backends that can send them all with the COMMIT in one round trip do, so the row locks they
  // take are held for no round trip at all.
  absl::Status CommitWith(absl::Span<const FinalStatement> statements);
  // Always leaves the connection idle, or unusable if the rollback itself failed.
  void Rollback();
  absl::StatusOr<SqlResult> Execute(const Statement& statement, absl::Span<const SqlParam> params);
  // Runs SQL without parameters or result rows (DDL from migrations), inside or outside a
  // transaction.
  absl::Status ExecuteScript(absl::string_view sql);

  bool in_transaction() const { return state_ == State::kInTransaction; }
  // Whether the database has answered a statement since Begin. Until it has, a lost connection
  // means nothing of the transaction ran (backends may defer BEGIN to the first statement), so
  // the whole transaction may safely run again on another connection.
  bool answered_since_begin() const { return answered_since_begin_; }
  // False once the connection was lost; the pool then discards it.
  bool usable() const { return state_ != State::kBroken; }

 protected:
  // Backends call this from their Impl methods' error paths when the session is gone.
  void MarkBroken() { state_ = State::kBroken; }

 private:
  virtual absl::Status BeginImpl(TxMode mode) = 0;
  virtual absl::Status CommitImpl() = 0;
  // Default: each statement through ExecuteImpl, then CommitImpl.
  virtual absl::Status CommitWithImpl(absl::Span<const FinalStatement> statements);
  virtual absl::Status RollbackImpl() = 0;
  virtual absl::StatusOr<SqlResult> ExecuteImpl(const Statement& statement,
                                                absl::Span<const SqlParam> params) = 0;
  virtual absl::Status ExecuteScriptImpl(absl::string_view sql) = 0;

  // Drops the state to kBroken when `status` says the session is gone.
  absl::Status Track(absl::Status status);

  enum class State { kIdle, kInTransaction, kBroken };
  State state_ = State::kIdle;
  bool answered_since_begin_ = false;
};

}  // namespace larder::storage
