#include "storage/mysql/mysql_connection.h"

#include "storage/inline_params.h"

#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <variant>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace larder::storage {
namespace {

// Maps a MySQL/MariaDB error number to a canonical status (STYLE.md §6).
absl::Status FromMysqlError(int code, absl::string_view what) {
  switch (code) {
    case 1062:  // ER_DUP_ENTRY
      return absl::AlreadyExistsError(absl::StrCat(what, ": duplicate key"));
    case 1406:  // ER_DATA_TOO_LONG (the session's sql_mode is strict)
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": a value is longer than its column allows"));
    case 1213:  // ER_LOCK_DEADLOCK
    case 1205:  // ER_LOCK_WAIT_TIMEOUT
      return absl::AbortedError(absl::StrCat(what, ": concurrent transaction conflict"));
    case 2002:  // CR_CONNECTION_ERROR
    case 2003:  // CR_CONN_HOST_ERROR
    case 2006:  // CR_SERVER_GONE_ERROR
    case 2013:  // CR_SERVER_LOST
    case 2055:  // CR_SERVER_LOST_EXTENDED
    case 1927:  // ER_CONNECTION_KILLED (MariaDB)
    case 1053:  // ER_SERVER_SHUTDOWN
      return absl::UnavailableError(absl::StrCat(what, ": database connection lost"));
    case 1045:  // ER_ACCESS_DENIED_ERROR
    case 1049:  // ER_BAD_DB_ERROR
      return absl::UnavailableError(
          absl::StrCat(what, ": database refused the connection (error ", code, ")"));
    default:
      return absl::InternalError(absl::StrCat(what, ": database error ", code));
  }
}

// Runs `fn`, turning every connector exception into a status; none crosses this file.
template <typename Fn>
absl::Status Guard(absl::string_view what, Fn&& fn) {
  try {
    fn();
    return absl::OkStatus();
  } catch (const sql::SQLException& e) {
    // Error code 0: the connector itself refused (e.g. an unsupported call), not the server; its
    // text names the connector method and carries no SQL.
    if (e.getErrorCode() == 0) {
      return absl::InternalError(absl::StrCat(what, ": connector error: ", e.what()));
    }
    return FromMysqlError(e.getErrorCode(), what);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(what, ": ", e.what()));
  }
}

const Dialect kMysqlDialect = {
    .backend = "mysql",
    .numbered_placeholders = false,
    .for_update_suffix = " FOR UPDATE",
    .for_share_suffix = " LOCK IN SHARE MODE",
    .skip_locked_suffix = " FOR UPDATE SKIP LOCKED",
    .byte_order_collation = "",  // the name columns are created utf8mb4_bin
    .metadata_upsert_suffix =
        "ON DUPLICATE KEY UPDATE metadata_value = VALUES(metadata_value), "
        "last_updated_timestamp = VALUES(last_updated_timestamp)",
    .metadata_insert_ignore_prefix = "INSERT IGNORE",
    .metadata_insert_ignore_suffix = "",
    .single_change = Dialect::SingleChange::kLastInsertId,
    .table_exists_sql =
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND "
        "table_name = ?",
    .change_notify_sql = "",  // MySQL/MariaDB have no LISTEN/NOTIFY: replicas only poll
    // Off: the full torture run (apply_delete_races, 3 replicas) found two updates of one
    // entity numbered out of version order. InnoDB releases a committing transaction's row locks
    // before every later reader sees it, so the next writer of the row can commit, and be
    // claimed by a numbering pass, while the first writer's entry is still missed by that pass.
    // Until the pass checks each object's predecessor entry, MySQL numbers at COMMIT under the
    // counter lock (docs/consistency.md). Turning it on again also needs a gate for LockRevision:
    // InnoDB in READ COMMITTED takes no gap locks, so a table lock like PostgreSQL's does not
    // hold writers off.
    .sequenced_revisions = false,
    .seq_in_list_prefix = "",
    .seq_in_list_suffix = "",
    .exclusive_gate_sql = "",
};

class MysqlConnection : public Connection {
 public:
  MysqlConnection(sql::Driver* driver, std::unique_ptr<sql::Connection> connection)
      : driver_(driver), connection_(std::move(connection)) {}
  ~MysqlConnection() override {
    prepared_.clear();  // statements before their connection
    connection_.reset();
  }

 private:
  absl::Status BeginImpl(TxMode mode) override {
    if (mode == TxMode::kReadWrite) return ExecuteScriptImpl("START TRANSACTION");
    // Reads that span several statements (a whole snapshot) must see one state; the session
    // default (READ COMMITTED) gives each statement its own.
    return RunScript("begin", {"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
                               "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"});
  }
  absl::Status CommitImpl() override { return ExecuteScriptImpl("COMMIT"); }
  // The final statements and the COMMIT in one round trip (a multi-statement query), so the row
  // locks they take (the project's feast_metadata row, the revision counter) are released as
  // soon as the server has run them, not several network round trips later.
  absl::Status CommitWithImpl(absl::Span<const FinalStatement> statements) override {
    std::vector<std::string> script;
    script.reserve(statements.size() + 1);
    for (const FinalStatement& final_statement : statements) {
      absl::StatusOr<std::string> sql = Inlined(*final_statement.statement, final_statement.params);
      if (!sql.ok()) return sql.status();  // nothing sent: the caller rolls back
      script.push_back(*std::move(sql));
    }
    script.push_back("COMMIT");
    // A failed statement stops the batch before COMMIT: the transaction stays open for
    // Rollback() (InnoDB has already rolled it back after a deadlock; ROLLBACK is then a no-op).
    return RunScript("commit", script);
  }

  // Runs `statements` as one multi-statement query: one round trip. None may return rows.
  absl::Status RunScript(absl::string_view what, const std::vector<std::string>& statements) {
    absl::Status status = Guard(what, [&] {
      driver_->threadInit();
      std::unique_ptr<sql::Statement> statement(connection_->createStatement());
      const std::string sql = absl::StrJoin(statements, "; ");
      statement->execute(sql::SQLString(sql.data(), sql.size()));
      // Each further result is read (and a failed statement's error raised) here; reading them
      // all keeps the connection in step with the server.
      for (size_t i = 1; i < statements.size(); ++i) statement->getMoreResults();
    });
    if (absl::IsUnavailable(status)) MarkBroken();
    return status;
  }

  // The statement with its parameters written in as SQL literals (inline_params.h says why).
  // Text and blobs go as hex literals, which need no escaping (text with the utf8mb4 introducer,
  // so it is compared and stored as text).
  static absl::StatusOr<std::string> Inlined(const Statement& statement,
                                             absl::Span<const SqlParam> params) {
    return InlineParams(
        statement.id, statement.sql, /*numbered=*/false, params, [](const SqlParam& param) {
          return std::visit(
              [](const auto& value) -> std::string {
                using T = std::decay_t<decltype(value)>;
                if constexpr (std::is_same_v<T, std::nullptr_t>) {
                  return "NULL";
                } else if constexpr (std::is_same_v<T, int64_t>) {
                  return absl::StrCat(value);
                } else if constexpr (std::is_same_v<T, absl::string_view>) {
                  if (value.empty()) return "''";
                  return absl::StrCat("_utf8mb4 X'", absl::BytesToHexString(value), "'");
                } else {
                  if (value.bytes.empty()) return "''";
                  return absl::StrCat("X'", absl::BytesToHexString(value.bytes), "'");
                }
              },
              param);
        });
  }
  absl::Status RollbackImpl() override { return ExecuteScriptImpl("ROLLBACK"); }

  absl::StatusOr<SqlResult> ExecuteImpl(const Statement& statement,
                                        absl::Span<const SqlParam> params) override {
    SqlResult out;
    absl::Status status = Guard(statement.id, [&] {
      driver_->threadInit();  // per-thread client state; idempotent
      sql::PreparedStatement& prepared = Prepare(statement);
      prepared.clearParameters();
      // setBlob reads from a stream that must live until execute().
      std::vector<std::unique_ptr<std::istringstream>> blobs;
      for (size_t i = 0; i < params.size(); ++i) {
        const unsigned index = static_cast<unsigned>(i) + 1;
        std::visit(
            [&](const auto& value) {
              using T = std::decay_t<decltype(value)>;
              if constexpr (std::is_same_v<T, std::nullptr_t>) {
                prepared.setNull(index, sql::DataType::LONGVARBINARY);
              } else if constexpr (std::is_same_v<T, int64_t>) {
                prepared.setInt64(index, value);
              } else if constexpr (std::is_same_v<T, absl::string_view>) {
                prepared.setString(index, sql::SQLString(value.data(), value.size()));
              } else {
                blobs.push_back(std::make_unique<std::istringstream>(
                    std::string(value.bytes.data(), value.bytes.size())));
                prepared.setBlob(index, blobs.back().get());
              }
            },
            params[i]);
      }
      // The 1.1 connector's prepared statements lack getUpdateCount(), so the statement's kind
      // picks the call.
      if (!absl::StartsWith(statement.sql, "SELECT")) {
        out.affected_rows = prepared.executeUpdate();
        return;
      }
      std::unique_ptr<sql::ResultSet> rows(prepared.executeQuery());
      const unsigned columns = rows->getMetaData()->getColumnCount();
      while (rows->next()) {
        std::vector<SqlCell> cells;
        cells.reserve(columns);
        for (unsigned c = 1; c <= columns; ++c) {
          if (rows->isNull(c)) {
            cells.emplace_back(std::nullopt);
          } else {
            cells.emplace_back(rows->getString(c).asStdString());
          }
        }
        out.rows.push_back(std::move(cells));
      }
    });
    if (!status.ok()) {
      if (absl::IsUnavailable(status)) MarkBroken();
      return status;
    }
    return out;
  }

  absl::Status ExecuteScriptImpl(absl::string_view sql) override {
    return Guard("statement", [&] {
      driver_->threadInit();
      std::unique_ptr<sql::Statement> statement(connection_->createStatement());
      statement->execute(sql::SQLString(sql.data(), sql.size()));
    });
  }

  sql::PreparedStatement& Prepare(const Statement& statement) {
    auto it = prepared_.find(statement.id);
    if (it == prepared_.end()) {
      it = prepared_
               .emplace(statement.id, std::unique_ptr<sql::PreparedStatement>(
                                          connection_->prepareStatement(statement.sql)))
               .first;
    }
    return *it->second;
  }

  sql::Driver* driver_;  // not owned; the connector's process-wide driver
  std::unique_ptr<sql::Connection> connection_;
  std::map<std::string, std::unique_ptr<sql::PreparedStatement>> prepared_;
};

}  // namespace

const Dialect& MysqlDialect() { return kMysqlDialect; }

ConnectionPool::Factory MysqlConnectionFactory(const DatabaseUrl& url) {
  sql::mysql::MySQL_Driver* driver = sql::mysql::get_mysql_driver_instance();
  // connect() in the 1.1 connector is not safe to run concurrently (toolchain.md pitfall 6).
  auto connect_mutex = std::make_shared<std::mutex>();
  return [driver, connect_mutex, url]() -> absl::StatusOr<std::unique_ptr<Connection>> {
    std::unique_ptr<sql::Connection> connection;
    absl::Status status = Guard("connect", [&] {
      std::lock_guard<std::mutex> lock(*connect_mutex);
      driver->threadInit();
      sql::ConnectOptionsMap options;
      options["hostName"] = sql::SQLString(absl::StrCat("tcp://", url.host, ":", url.port));
      options["userName"] = sql::SQLString(url.user);
      options["password"] = sql::SQLString(url.password);
      options["schema"] = sql::SQLString(url.database);
      options["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
      options["OPT_RECONNECT"] = false;  // a silent reconnect would lose transaction state
      // UPDATE reports rows matched, not rows changed, as the other backends do.
      options["CLIENT_FOUND_ROWS"] = true;
      // Lets the commit send its final statements and COMMIT as one query (CommitWithImpl).
      options["CLIENT_MULTI_STATEMENTS"] = true;
      connection.reset(driver->connect(options));
      std::unique_ptr<sql::Statement> setup(connection->createStatement());
      // Match PostgreSQL's isolation: locking reads see the latest committed row, and inserts
      // take no gap locks that would deadlock concurrent creators of different names.
      setup->execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
      setup->execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',STRICT_TRANS_TABLES')");
    });
    if (!status.ok()) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to MySQL at ", url.Redacted(), ": ", status.message()));
    }
    return std::unique_ptr<Connection>(new MysqlConnection(driver, std::move(connection)));
  };
}

}  // namespace larder::storage
