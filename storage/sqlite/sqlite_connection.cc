#include "storage/sqlite/sqlite_connection.h"

#include <sqlite3.h>

#include <map>
#include <variant>

#include "absl/strings/str_cat.h"

namespace larder::storage {
namespace {

constexpr int kBusyTimeoutMillis = 10000;

// Maps a SQLite result code to a canonical status by its (extended) code, never by text.
absl::Status FromSqlite(int code, absl::string_view what) {
  switch (code) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
      return absl::OkStatus();
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
      return absl::AlreadyExistsError(absl::StrCat(what, ": duplicate key"));
    default:
      break;
  }
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::AbortedError(absl::StrCat(what, ": database is busy"));
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
      return absl::UnavailableError(absl::StrCat(what, ": ", sqlite3_errstr(code)));
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      // The file is damaged or not a database: reconnecting cannot help, an operator must act.
      return absl::DataLossError(absl::StrCat(what, ": ", sqlite3_errstr(code)));
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return absl::FailedPreconditionError(absl::StrCat(what, ": database is read-only"));
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(absl::StrCat(what, ": disk full"));
    default:
      return absl::InternalError(absl::StrCat(what, ": ", sqlite3_errstr(code)));
  }
}

const Dialect kSqliteDialect = {
    .backend = "sqlite",
    .numbered_placeholders = false,
    .for_update_suffix = "",  // a write transaction (BEGIN IMMEDIATE) already excludes writers
    .for_share_suffix = "",
    .skip_locked_suffix = "",
    .byte_order_collation = "",  // BINARY is SQLite's default
    .metadata_upsert_suffix =
        "ON CONFLICT (project_id, metadata_key) DO UPDATE SET metadata_value = "
        "excluded.metadata_value, last_updated_timestamp = excluded.last_updated_timestamp",
    .metadata_insert_ignore_prefix = "INSERT",
    .metadata_insert_ignore_suffix = "ON CONFLICT (project_id, metadata_key) DO NOTHING",
    .update_returning = true,
    .table_exists_sql = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
    .change_notify_sql = "",  // no notifications: replicas (one file, one host) only poll
    // One writer at a time: numbering at COMMIT costs nothing extra (no sequencer).
    .sequenced_revisions = false,
    .seq_in_list_prefix = "",
    .seq_in_list_suffix = "",
    .exclusive_gate_sql = "",
};

class SqliteConnection : public Connection {
 public:
  SqliteConnection(sqlite3* db, std::shared_ptr<absl::Mutex> writer) : db_(db), writer_(writer) {}
  ~SqliteConnection() override {
    ReleaseWriter();
    for (auto& [id, statement] : prepared_) sqlite3_finalize(statement);
    sqlite3_close_v2(db_);
  }

 private:
  // The writer lock is held from BeginImpl to CommitImpl/RollbackImpl (ReleaseWriter), across
  // calls, which clang's thread-safety analysis cannot follow; holds_writer_ tracks it instead.
  absl::Status BeginImpl(TxMode mode) override ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (mode == TxMode::kReadOnly) return ExecuteScriptImpl("BEGIN");
    // SQLite has one writer. This process's writers queue here instead of colliding on the
    // database lock, where SQLite's busy handler would put them to sleep for 1-100 ms at a time
    // (the source of the write tails in docs/benchmarks.md). Other processes still meet the busy
    // handler.
    writer_->Lock();
    holds_writer_ = true;
    // IMMEDIATE takes the write lock up front, so two writers never both read and then collide
    // at their first write (which SQLite could only resolve by failing one of them).
    absl::Status status = ExecuteScriptImpl("BEGIN IMMEDIATE");
    if (!status.ok()) ReleaseWriter();
    return status;
  }
  absl::Status CommitImpl() override {
    absl::Status status = ExecuteScriptImpl("COMMIT");
    ReleaseWriter();  // a failed COMMIT is rolled back next, which needs no queueing
    return status;
  }
  absl::Status RollbackImpl() override {
    absl::Status status = ExecuteScriptImpl("ROLLBACK");
    ReleaseWriter();
    return status;
  }
  void ReleaseWriter() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (!holds_writer_) return;
    holds_writer_ = false;
    writer_->Unlock();
  }

  absl::StatusOr<SqlResult> ExecuteImpl(const Statement& statement,
                                        absl::Span<const SqlParam> params) override {
    absl::StatusOr<sqlite3_stmt*> prepared = Prepare(statement);
    if (!prepared.ok()) return prepared.status();
    sqlite3_stmt* stmt = *prepared;
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      int rc = std::visit(
          [&](const auto& value) -> int {
            using T = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) {
              return sqlite3_bind_null(stmt, index);
            } else if constexpr (std::is_same_v<T, int64_t>) {
              return sqlite3_bind_int64(stmt, index, value);
            } else if constexpr (std::is_same_v<T, absl::string_view>) {
              return sqlite3_bind_text64(stmt, index, value.data(), value.size(), SQLITE_TRANSIENT,
                                         SQLITE_UTF8);
            } else {
              return sqlite3_bind_blob64(stmt, index, value.bytes.data(), value.bytes.size(),
                                         SQLITE_TRANSIENT);
            }
          },
          params[i]);
      if (rc != SQLITE_OK) return FromSqlite(rc, "binding a parameter");
    }
    SqlResult result;
    const int columns = sqlite3_column_count(stmt);
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        absl::Status status = FromSqlite(sqlite3_extended_errcode(db_), statement.id);
        sqlite3_reset(stmt);
        return status;
      }
      std::vector<SqlCell> row;
      row.reserve(columns);
      for (int c = 0; c < columns; ++c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
          row.emplace_back(std::nullopt);
          continue;
        }
        const void* data = sqlite3_column_blob(stmt, c);
        const int size = sqlite3_column_bytes(stmt, c);
        row.emplace_back(std::string(static_cast<const char*>(data), size));
      }
      result.rows.push_back(std::move(row));
    }
    result.affected_rows = sqlite3_changes(db_);
    sqlite3_reset(stmt);
    return result;
  }

  absl::Status ExecuteScriptImpl(absl::string_view sql) override {
    const std::string text(sql);
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
    return FromSqlite(rc == SQLITE_OK ? rc : sqlite3_extended_errcode(db_), "statement");
  }

  absl::StatusOr<sqlite3_stmt*> Prepare(const Statement& statement) {
    auto it = prepared_.find(statement.id);
    if (it != prepared_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, statement.sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt,
                                nullptr);
    if (rc != SQLITE_OK) return FromSqlite(rc, statement.id);
    prepared_.emplace(statement.id, stmt);
    return stmt;
  }

  sqlite3* db_;                          // owned
  std::shared_ptr<absl::Mutex> writer_;  // shared by every connection to this file
  bool holds_writer_ = false;
  std::map<std::string, sqlite3_stmt*> prepared_;
};

}  // namespace

const Dialect& SqliteDialect() { return kSqliteDialect; }

absl::StatusOr<std::unique_ptr<Connection>> OpenSqliteConnection(
    const std::string& path, std::shared_ptr<absl::Mutex> writer) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_close_v2(db);
    return absl::UnavailableError(
        absl::StrCat("cannot open SQLite database '", path, "': ", sqlite3_errstr(rc)));
  }
  if (sqlite3_db_readonly(db, "main") == 1) {
    sqlite3_close_v2(db);
    return absl::UnavailableError(absl::StrCat("SQLite database '", path, "' is not writable"));
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMillis);
  auto connection = std::make_unique<SqliteConnection>(db, std::move(writer));
  // WAL lets readers run beside the single writer; NORMAL sync is durable against process
  // crashes, and fsyncs at checkpoints.
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=OFF"}) {
    if (absl::Status status = connection->ExecuteScript(pragma); !status.ok()) {
      // A damaged file (or one that is not a database) stays DATA_LOSS; the rest UNAVAILABLE.
      return absl::Status(
          absl::IsDataLoss(status) ? status.code() : absl::StatusCode::kUnavailable,
          absl::StrCat("cannot use SQLite database '", path, "': ", status.message()));
    }
  }
  return connection;
}

}  // namespace larder::storage
