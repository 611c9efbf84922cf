#include "storage/postgres/postgres_connection.h"

#include <pqxx/pqxx>

#include <set>
#include <variant>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

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

// Maps a PostgreSQL SQLSTATE to a canonical status (STYLE.md §6).
absl::Status FromSqlState(const std::string& state, absl::string_view what) {
  if (state == "23505") return absl::AlreadyExistsError(absl::StrCat(what, ": duplicate key"));
  if (state == "40001" || state == "40P01" || state == "55P03") {
    return absl::AbortedError(absl::StrCat(what, ": concurrent transaction conflict"));
  }
  if (absl::StartsWith(state, "08") || state == "57P01" || state == "57P02" ||
      state == "57P03") {
    return absl::UnavailableError(absl::StrCat(what, ": database connection lost"));
  }
  if (state == "28P01" || state == "28000" || state == "3D000") {
    return absl::UnavailableError(absl::StrCat(what, ": database refused the connection (",
                                               state, ")"));
  }
  return absl::InternalError(absl::StrCat(what, ": database error ", state));
}

// Runs `fn`, turning every libpqxx exception into a status; none crosses this file.
template <typename Fn>
absl::Status Guard(absl::string_view what, Fn&& fn) {
  try {
    fn();
    return absl::OkStatus();
  } catch (const pqxx::broken_connection&) {
    return absl::UnavailableError(absl::StrCat(what, ": database connection lost"));
  } catch (const pqxx::in_doubt_error&) {
    return absl::UnavailableError(absl::StrCat(what, ": connection lost during commit"));
  } catch (const pqxx::statement_completion_unknown&) {
    return absl::UnavailableError(absl::StrCat(what, ": statement outcome unknown"));
  } catch (const pqxx::transaction_rollback&) {
    // Deadlocks and serialization failures: in libpqxx 6.4 these do not derive from sql_error.
    return absl::AbortedError(absl::StrCat(what, ": concurrent transaction conflict"));
  } catch (const pqxx::sql_error& e) {
    return FromSqlState(e.sqlstate(), what);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(what, ": ", e.what()));
  }
}

const Dialect kPostgresDialect = {
    .backend = "postgres",
    .numbered_placeholders = true,
    .for_update_suffix = " FOR UPDATE",
    .for_share_suffix = " FOR SHARE",
    .byte_order_collation = " COLLATE \"C\"",
    .metadata_upsert_suffix =
        "ON CONFLICT (project_id, metadata_key) DO UPDATE SET metadata_value = "
        "EXCLUDED.metadata_value, last_updated_timestamp = EXCLUDED.last_updated_timestamp",
    .metadata_insert_ignore_prefix = "INSERT",
    .metadata_insert_ignore_suffix = "ON CONFLICT (project_id, metadata_key) DO NOTHING",
    .update_returning = true,
    .table_exists_sql =
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_name = $1",
};

class PostgresConnection : public Connection {
 public:
  explicit PostgresConnection(std::unique_ptr<pqxx::connection> connection)
      : connection_(std::move(connection)) {}

 private:
  absl::Status BeginImpl(TxMode mode) override {
    return Guard("begin", [&] {
      if (mode == TxMode::kReadWrite) {
        transaction_ = std::make_unique<pqxx::work>(*connection_);
      } else {
        // Reads that span several statements (a whole snapshot) must see one state.
        transaction_ = std::make_unique<
            pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>>(*connection_);
      }
    });
  }
  absl::Status CommitImpl() override {
    absl::Status status = Guard("commit", [&] { transaction_->commit(); });
    transaction_.reset();
    return status;
  }
  absl::Status RollbackImpl() override {
    // A failed COMMIT has already ended (and dropped) the transaction.
    if (transaction_ == nullptr) return absl::OkStatus();
    absl::Status status = Guard("rollback", [&] { transaction_->abort(); });
    transaction_.reset();
    return status;
  }

  absl::StatusOr<SqlResult> ExecuteImpl(const Statement& statement,
                                        absl::Span<const SqlParam> params) override {
    std::vector<TextParam> text_params;
    text_params.reserve(params.size());
    for (const SqlParam& param : params) text_params.push_back(ToText(param));
    SqlResult out;
    absl::Status status = Guard(statement.id, [&] {
      if (prepared_.count(statement.id) == 0) {
        connection_->prepare(statement.id, statement.sql);
        prepared_.insert(statement.id);
      }
      std::optional<pqxx::nontransaction> autocommit;
      pqxx::transaction_base* tx = transaction_.get();
      if (tx == nullptr) tx = &autocommit.emplace(*connection_);
      const pqxx::result result =
          tx->exec_prepared(statement.id, pqxx::prepare::make_dynamic_params(text_params));
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
      if (transaction_ != nullptr) {
        transaction_->exec0(std::string(sql));
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
  std::unique_ptr<pqxx::transaction_base> transaction_;  // set between Begin and Commit
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
    return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL at ",
                                               url.Redacted(), ": ", e.what()));
  }
  return std::unique_ptr<Connection>(new PostgresConnection(std::move(connection)));
}

}  // namespace larder::storage
