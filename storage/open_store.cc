#include "storage/open_store.h"

#include "storage/mysql/mysql_connection.h"
#include "storage/postgres/postgres_change_listener.h"
#include "storage/postgres/postgres_connection.h"
#include "storage/sqlite/sqlite_connection.h"

namespace larder::storage {
namespace {

absl::StatusOr<SchemaState> WithConnection(
    SqlStore& store, absl::FunctionRef<absl::StatusOr<SchemaState>(Connection&)> fn) {
  absl::StatusOr<ConnectionPool::Lease> lease = store.pool().Acquire();
  if (!lease.ok()) return lease.status();
  return fn(**lease);
}

}  // namespace

BackendParts BackendFor(const DatabaseUrl& url) {
  switch (url.backend) {
    case Backend::kSqlite:
      return {&SqliteDialect(),
              [path = url.path, writer = std::make_shared<absl::Mutex>()] {
                return OpenSqliteConnection(path, writer);
              },
              nullptr};
    case Backend::kPostgres:
      return {&PostgresDialect(), [url] { return OpenPostgresConnection(url); },
              [url] { return OpenPostgresChangeListener(url); }};
    case Backend::kMysql:
      return {&MysqlDialect(), MysqlConnectionFactory(url), nullptr};
  }
  return {};
}

absl::StatusOr<std::unique_ptr<SqlStore>> OpenStore(
    const DatabaseUrl& url, const StoreOptions& options,
    std::function<std::unique_ptr<Connection>(std::unique_ptr<Connection>)> wrap) {
  BackendParts parts = BackendFor(url);
  if (wrap != nullptr) {
    parts.factory = [inner = std::move(parts.factory),
                     wrap = std::move(wrap)]() -> absl::StatusOr<std::unique_ptr<Connection>> {
      absl::StatusOr<std::unique_ptr<Connection>> c = inner();
      if (!c.ok()) return c.status();
      return wrap(*std::move(c));
    };
  }
  auto pool = std::make_unique<ConnectionPool>(std::move(parts.factory), options.max_connections);
  // Fail fast on a bad address or credentials instead of at the first request.
  if (absl::StatusOr<ConnectionPool::Lease> probe = pool->Acquire(); !probe.ok()) {
    return probe.status();
  }
  return std::make_unique<SqlStore>(
      *parts.dialect, std::move(pool), options.retry,
      SqlStore::Sequencing{options.sequence_revisions, options.unnumbered_sweep_every});
}

std::unique_ptr<ChangeListener> OpenChangeListener(const DatabaseUrl& url) {
  BackendParts parts = BackendFor(url);
  return parts.listener_factory == nullptr ? nullptr : parts.listener_factory();
}

absl::StatusOr<SchemaState> PrepareStoreSchema(SqlStore& store, bool allow_migrate) {
  return WithConnection(store, [&](Connection& c) {
    return PrepareSchemaForServing(c, store.dialect(), allow_migrate);
  });
}

absl::StatusOr<SchemaState> MigrateStore(SqlStore& store) {
  return WithConnection(store,
                        [&](Connection& c) { return ApplyPendingMigrations(c, store.dialect()); });
}

}  // namespace larder::storage
