#include "storage/schema_migrator.h"

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "migrations/embedded_migrations.h"

namespace larder::storage {
namespace {

constexpr absl::string_view kMigrationsTable = "larder_schema_migrations";

std::vector<const migrations::Migration*> MigrationsOf(absl::string_view backend) {
  std::vector<const migrations::Migration*> result;
  for (const migrations::Migration& m : migrations::AllMigrations()) {
    if (m.backend == backend) result.push_back(&m);
  }
  return result;
}

absl::StatusOr<bool> TableExists(Connection& connection, const Dialect& dialect,
                                 absl::string_view table) {
  const Statement statement{"schema.table_exists", std::string(dialect.table_exists_sql)};
  absl::StatusOr<SqlResult> result = connection.Execute(statement, {SqlParam(table)});
  if (!result.ok()) return result.status();
  int64_t count = 0;
  if (result->rows.empty() || !result->rows[0][0].has_value() ||
      !absl::SimpleAtoi(*result->rows[0][0], &count)) {
    return absl::InternalError("could not read the database catalog");
  }
  return count > 0;
}

// Splits a migration file into statements: each ends with ";" at the end of a line. Chunks that
// hold only comments are dropped.
std::vector<std::string> SplitStatements(absl::string_view sql) {
  std::vector<std::string> statements;
  std::string current;
  for (absl::string_view line : absl::StrSplit(sql, '\n')) {
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || absl::StartsWith(trimmed, "--")) continue;
    absl::StrAppend(&current, line, "\n");
    if (absl::EndsWith(trimmed, ";")) {
      current.erase(current.find_last_of(';'));
      statements.push_back(std::move(current));
      current.clear();
    }
  }
  if (!absl::StripAsciiWhitespace(current).empty()) statements.push_back(std::move(current));
  return statements;
}

absl::Status ApplyOne(Connection& connection, const Dialect& dialect,
                      const migrations::Migration& m) {
  const std::string context = absl::StrCat("migration ", m.version, "_", m.name, ": ");
  // One transaction per step where the backend has transactional DDL (PostgreSQL, SQLite);
  // MySQL commits each DDL statement implicitly, so a failed step there is re-runnable only
  // after manual repair, which the error message says.
  if (absl::Status s = connection.Begin(TxMode::kReadWrite); !s.ok()) return s;
  for (const std::string& statement : SplitStatements(m.sql)) {
    if (absl::Status s = connection.ExecuteScript(statement); !s.ok()) {
      connection.Rollback();
      // MySQL commits DDL as it goes, so earlier statements of this step may have stayed.
      const absl::string_view repair =
          dialect.backend == "mysql"
              ? " (MySQL keeps the DDL that ran before the failure: undo it by hand, then rerun)"
              : "";
      return absl::Status(s.code(), absl::StrCat(context, s.message(), repair));
    }
  }
  const Statement record{
      "schema.record",
      absl::StrCat("INSERT INTO ", kMigrationsTable, " (version, name, applied_at_micros) VALUES (",
                   dialect.Placeholder(1), ", ", dialect.Placeholder(2), ", ",
                   dialect.Placeholder(3), ")")};
  absl::StatusOr<SqlResult> recorded = connection.Execute(
      record,
      {SqlParam(int64_t{m.version}), SqlParam(m.name), SqlParam(absl::ToUnixMicros(absl::Now()))});
  if (!recorded.ok()) {
    connection.Rollback();
    return absl::Status(recorded.status().code(),
                        absl::StrCat(context, recorded.status().message()));
  }
  return connection.Commit();
}

}  // namespace

absl::StatusOr<SchemaState> InspectSchema(Connection& connection, const Dialect& dialect) {
  SchemaState state;
  for (const migrations::Migration* m : MigrationsOf(dialect.backend)) {
    state.latest_version = std::max(state.latest_version, m->version);
  }
  // Any of Feast's tables marks a Feast registry (older Feast versions lack `projects`).
  for (absl::string_view table : {"projects", "entities", "feature_views", "feast_metadata"}) {
    absl::StatusOr<bool> feast = TableExists(connection, dialect, table);
    if (!feast.ok()) return feast.status();
    state.has_feast_tables |= *feast;
  }
  absl::StatusOr<bool> larder = TableExists(connection, dialect, kMigrationsTable);
  if (!larder.ok()) return larder.status();
  if (!*larder) return state;
  const Statement max_version{"schema.max_version",
                              absl::StrCat("SELECT MAX(version) FROM ", kMigrationsTable)};
  absl::StatusOr<SqlResult> result = connection.Execute(max_version, {});
  if (!result.ok()) return result.status();
  int64_t version = 0;
  if (!result->rows.empty() && result->rows[0][0].has_value() &&
      !absl::SimpleAtoi(*result->rows[0][0], &version)) {
    return absl::InternalError("could not read the schema version");
  }
  state.current_version = static_cast<int>(version);
  return state;
}

absl::StatusOr<SchemaState> ApplyPendingMigrations(Connection& connection, const Dialect& dialect) {
  absl::StatusOr<SchemaState> state = InspectSchema(connection, dialect);
  if (!state.ok()) return state.status();
  if (state->newer_than_binary()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the database schema is at version ", state->current_version,
        " but this larder knows only up to ", state->latest_version, "; upgrade larder"));
  }
  const std::string create_table =
      absl::StrCat("CREATE TABLE IF NOT EXISTS ", kMigrationsTable,
                   " (version INTEGER NOT NULL, name VARCHAR(255) NOT NULL, "
                   "applied_at_micros BIGINT NOT NULL, PRIMARY KEY (version))");
  if (absl::Status s = connection.ExecuteScript(create_table); !s.ok()) return s;
  for (const migrations::Migration* m : MigrationsOf(dialect.backend)) {
    if (m->version <= state->current_version) continue;
    if (absl::Status s = ApplyOne(connection, dialect, *m); !s.ok()) return s;
    state->current_version = m->version;
  }
  state->has_feast_tables = true;
  return state;
}

absl::StatusOr<SchemaState> PrepareSchemaForServing(Connection& connection, const Dialect& dialect,
                                                    bool allow_migrate) {
  absl::StatusOr<SchemaState> state = InspectSchema(connection, dialect);
  if (!state.ok()) return state.status();
  if (state->newer_than_binary()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the database schema is at version ", state->current_version,
                     " but this larder knows only up to ", state->latest_version,
                     "; refusing to serve it (upgrade larder)"));
  }
  if (state->up_to_date()) return state;
  if (state->empty() || allow_migrate) return ApplyPendingMigrations(connection, dialect);
  return absl::FailedPreconditionError(absl::StrCat(
      "the database schema is at version ", state->current_version, " (",
      state->has_feast_tables ? "a Feast registry" : "Larder", "), this larder needs version ",
      state->latest_version, "; run 'larder migrate --db URL' or start with --migrate"));
}

}  // namespace larder::storage
