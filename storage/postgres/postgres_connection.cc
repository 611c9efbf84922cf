#include "storage/postgres/postgres_connection.h"

#include <pqxx/pqxx>

#include <set>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/inline_params.h"
#include "storage/postgres/postgres_errors.h"

namespace larder::storage {
// A parameter in PostgreSQL's text format; blobs go as bytea hex ("\x0a1b...").
struct TextParam {
  bool null = false;
  std::string text;
};
}  // namespace larder::storage

namespace pqxx {
// Lets libpqxx bind TextParam values (nulls included) as dynamic parameters.
template <>
struct string_traits<larder::storage::TextParam> {
  static constexpr const char* name() noexcept { return "larder::storage::TextParam"; }
  static constexpr bool has_null() noexcept { return true; }
  static bool is_null(const larder::storage::TextParam& p) { return p.null; }
  static larder::storage::TextParam null() { return {true, {}}; }
  static void from_string(const char* s, larder::storage::TextParam& p) { p = {false, s}; }
  static std::string to_string(const larder::storage::TextParam& p) { return p.text; }
};
}  // namespace pqxx

namespace larder::storage {
namespace {

constexpr pqxx::oid kByteaOid = 17;

const Dialect kPostgresDialect = {
    .backend = "postgres",
    .numbered_placeholders = true,
    .for_update_suffix = " FOR UPDATE",
    .for_share_suffix = " FOR SHARE",
    .skip_locked_suffix = " FOR UPDATE SKIP LOCKED",
    .byte_order_collation = " COLLATE \"C\"",
    .metadata_upsert_suffix =
        "ON CONFLICT (project_id, metadata_key) DO UPDATE SET metadata_value = "
        "EXCLUDED.metadata_value, last_updated_timestamp = EXCLUDED.last_updated_timestamp",
    .metadata_insert_ignore_prefix = "INSERT",
    .metadata_insert_ignore_suffix = "ON CONFLICT (project_id, metadata_key) DO NOTHING",
    .update_returning = true,
    .single_change = Dialect::SingleChange::kOneStatement,
    .table_exists_sql =
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_name = $1",
    // Transactional: listeners hear it only once the COMMIT it travels with has succeeded, and
    // several in one transaction fold into one. The channel name is also in
    // postgres_change_listener.cc.
    .change_notify_sql = "NOTIFY larder_changes",
    .sequenced_revisions = true,
    .seq_in_list_prefix = "seq = ANY(string_to_array(",
    .seq_in_list_suffix = ", ',')::bigint[])",
    // SHARE conflicts with the ROW EXCLUSIVE lock every INSERT takes until its COMMIT: it waits
    // for writers that already inserted, and holds off new ones until this transaction ends.
    .exclusive_gate_sql = "LOCK TABLE larder_unnumbered_changes IN SHARE MODE",
};

class PostgresConnection : public Connection {
 public:
  explicit PostgresConnection(std::unique_ptr<pqxx::connection> connection)
      : connection_(std::move(connection)) {}

 private:
  // BEGIN is not sent on its own: it travels with the transaction's first statement, in the same
  // round trip (see ExecuteImpl). A transaction costs one round trip less, and a connection that
  // died while idle still fails before anything ran (SqlStore retries that on another one).
  absl::Status BeginImpl(TxMode mode) override {
    return Guard("begin", [&] {
      session_ = std::make_unique<pqxx::nontransaction>(*connection_);
      // Reads that span several statements (a whole snapshot) must see one state.
      pending_begin_ = mode == TxMode::kReadWrite
                           ? "BEGIN ISOLATION LEVEL READ COMMITTED"
                           : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    });
  }
  absl::Status CommitImpl() override { return End("commit", "COMMIT"); }
  // The final statements and the COMMIT as one simple query: one round trip, so the row locks
  // they take (the project's feast_metadata row, the revision counter) are released as soon as
  // the server has run them, not a network round trip later.
  absl::Status CommitWithImpl(absl::Span<const FinalStatement> statements) override {
    std::vector<std::string> inlined;
    inlined.reserve(statements.size());
    for (const FinalStatement& final_statement : statements) {
      absl::StatusOr<std::string> sql = Inlined(*final_statement.statement, final_statement.params);
      if (!sql.ok()) return sql.status();  // nothing sent: the caller rolls back
      inlined.push_back(*std::move(sql));
    }
    std::string script = pending_begin_;
    pending_begin_.clear();
    absl::Status status = Guard("commit", [&] {
      for (const std::string& sql : inlined) {
        absl::StrAppend(&script, script.empty() ? "" : "; ", sql);
      }
      absl::StrAppend(&script, "; COMMIT");
      session_->exec(script);
    });
    if (status.ok()) {
      session_.reset();
      return status;
    }
    if (absl::IsUnavailable(status)) {
      session_.reset();
      MarkBroken();
      return status;
    }
    // A failed statement skipped the rest, COMMIT included: the transaction is still open (and
    // aborted), for Rollback() to end.
    return status;
  }
  absl::Status RollbackImpl() override {
    // A failed COMMIT has already ended (and dropped) the transaction.
    if (session_ == nullptr) return absl::OkStatus();
    return End("rollback", "ROLLBACK");
  }

  // Sends COMMIT or ROLLBACK, unless nothing was sent since Begin (then there is nothing to end).
  absl::Status End(absl::string_view what, const char* command) {
    absl::Status status;
    if (pending_begin_.empty()) status = Guard(what, [&] { session_->exec0(command); });
    pending_begin_.clear();
    session_.reset();
    if (absl::IsUnavailable(status)) MarkBroken();
    return status;
  }

  // The statement with its parameters written in as SQL literals (inline_params.h says why),
  // for sending as a simple query together with the pending BEGIN or the COMMIT.
  absl::StatusOr<std::string> Inlined(const Statement& statement,
                                      absl::Span<const SqlParam> params) {
    return InlineParams(statement.id, statement.sql, /*numbered=*/true, params,
                        [&](const SqlParam& param) { return Literal(param); });
  }

  std::string Literal(const SqlParam& param) {
    return std::visit(
        [&](const auto& value) -> std::string {
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) {
            return "NULL";
          } else if constexpr (std::is_same_v<T, int64_t>) {
            return std::to_string(value);
          } else if constexpr (std::is_same_v<T, absl::string_view>) {
            return session_->quote(std::string(value));
          } else {
            return session_->quote_raw(std::string(value.bytes));
          }
        },
        param);
  }

  absl::StatusOr<SqlResult> ExecuteImpl(const Statement& statement,
                                        absl::Span<const SqlParam> params) override {
    std::vector<TextParam> text_params;
    if (pending_begin_.empty()) {
      text_params.reserve(params.size());
      for (const SqlParam& param : params) text_params.push_back(ToText(param));
    }
    std::string inlined;  // with a pending BEGIN: the statement with its literals
    if (!pending_begin_.empty()) {
      absl::StatusOr<std::string> sql = Inlined(statement, params);
      if (!sql.ok()) return sql.status();
      inlined = *std::move(sql);
    }
    SqlResult out;
    absl::Status status = Guard(statement.id, [&] {
      std::optional<pqxx::nontransaction> autocommit;
      pqxx::transaction_base* tx = session_.get();
      if (tx == nullptr) tx = &autocommit.emplace(*connection_);
      pqxx::result result;
      if (!pending_begin_.empty()) {
        const std::string sql = absl::StrCat(pending_begin_, "; ", inlined);
        pending_begin_.clear();  // sent from here on: a failure must still roll back
        result = tx->exec(sql);
      } else {
        if (prepared_.count(statement.id) == 0) {
          connection_->prepare(statement.id, statement.sql);
          prepared_.insert(statement.id);
        }
        result = tx->exec_prepared(statement.id, pqxx::prepare::make_dynamic_params(text_params));
      }
      out.affected_rows = result.affected_rows();
      out.rows.reserve(result.size());
      for (const pqxx::row& row : result) {
        std::vector<SqlCell> cells;
        cells.reserve(row.size());
        for (const pqxx::field& field : row) {
          if (field.is_null()) {
            cells.emplace_back(std::nullopt);
          } else if (field.type() == kByteaOid) {
            const pqxx::binarystring bytes(field);
            cells.emplace_back(bytes.str());
          } else {
            cells.emplace_back(std::string(field.c_str(), field.size()));
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
      if (session_ != nullptr) {
        const std::string script =
            absl::StrCat(pending_begin_, pending_begin_.empty() ? "" : "; ", sql);
        pending_begin_.clear();
        session_->exec0(script);
      } else {
        pqxx::nontransaction autocommit(*connection_);
        autocommit.exec0(std::string(sql));
      }
    });
  }

  static TextParam ToText(const SqlParam& param) {
    return std::visit(
        [](const auto& value) -> TextParam {
          using T = std::decay_t<decltype(value)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) {
            return {true, {}};
          } else if constexpr (std::is_same_v<T, int64_t>) {
            return {false, std::to_string(value)};
          } else if constexpr (std::is_same_v<T, absl::string_view>) {
            return {false, std::string(value)};
          } else {
            return {false, absl::StrCat("\\x", absl::BytesToHexString(value.bytes))};
          }
        },
        param);
  }

  std::unique_ptr<pqxx::connection> connection_;
  std::unique_ptr<pqxx::nontransaction> session_;  // set between Begin and Commit/Rollback
  std::string pending_begin_;  // the BEGIN not sent yet; empty once the transaction started
  std::set<std::string> prepared_;
};

}  // namespace

const Dialect& PostgresDialect() { return kPostgresDialect; }

absl::StatusOr<std::unique_ptr<Connection>> OpenPostgresConnection(const DatabaseUrl& url) {
  std::unique_ptr<pqxx::connection> connection;
  try {
    connection = std::make_unique<pqxx::connection>(url.original);
  } catch (const std::exception& e) {
    // libpq's own text (e.g. "password authentication failed") never contains the password.
    return absl::UnavailableError(
        absl::StrCat("cannot connect to PostgreSQL at ", url.Redacted(), ": ", e.what()));
  }
  return std::unique_ptr<Connection>(new PostgresConnection(std::move(connection)));
}

}  // namespace larder::storage
