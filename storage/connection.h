#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <variant>
#include <vector>

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
// ALREADY_EXISTS on a unique-key violation, FAILED_PRECONDITION when called in the wrong state,
// INTERNAL otherwise. Messages never contain SQL text or row data.
class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  virtual ~Connection() = default;

  absl::Status Begin(TxMode mode);
  absl::Status Commit();
  // Always leaves the connection idle, or unusable if the rollback itself failed.
  void Rollback();
  absl::StatusOr<SqlResult> Execute(const Statement& statement,
                                    absl::Span<const SqlParam> params);
  // Runs SQL without parameters or result rows (DDL from migrations), inside or outside a
  // transaction.
  absl::Status ExecuteScript(absl::string_view sql);

  bool in_transaction() const { return state_ == State::kInTransaction; }
  // False once the connection was lost; the pool then discards it.
  bool usable() const { return state_ != State::kBroken; }

 protected:
  // Backends call this from their Impl methods' error paths when the session is gone.
  void MarkBroken() { state_ = State::kBroken; }

 private:
  virtual absl::Status BeginImpl(TxMode mode) = 0;
  virtual absl::Status CommitImpl() = 0;
  virtual absl::Status RollbackImpl() = 0;
  virtual absl::StatusOr<SqlResult> ExecuteImpl(const Statement& statement,
                                                absl::Span<const SqlParam> params) = 0;
  virtual absl::Status ExecuteScriptImpl(absl::string_view sql) = 0;

  // Drops the state to kBroken when `status` says the session is gone.
  absl::Status Track(absl::Status status);

  enum class State { kIdle, kInTransaction, kBroken };
  State state_ = State::kIdle;
};

}  // namespace larder::storage
