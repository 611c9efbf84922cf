#pragma once

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "storage/database_url.h"
#include "storage/retry_policy.h"
#include "storage/schema_migrator.h"
#include "storage/sql_store.h"

namespace larder::storage {

struct StoreOptions {
  int max_connections = 16;
  RetryPolicy retry;
};

// A backend's dialect and a factory of its connections to one database.
struct BackendParts {
  const Dialect* dialect;
  ConnectionPool::Factory factory;
};
// The one switch over backends.
BackendParts BackendFor(const DatabaseUrl& url);

// Opens a pooled store for `url`. `wrap`, when set, wraps every new connection (tests use it to
// inject faults).
// Opens one connection eagerly, so an unreachable database fails here with UNAVAILABLE.
absl::StatusOr<std::unique_ptr<SqlStore>> OpenStore(
    const DatabaseUrl& url, const StoreOptions& options,
    std::function<std::unique_ptr<Connection>(std::unique_ptr<Connection>)> wrap = nullptr);

// Start-up schema handling on one of the store's connections (see PrepareSchemaForServing).
absl::StatusOr<SchemaState> PrepareStoreSchema(SqlStore& store, bool allow_migrate);
// `larder migrate`: applies every pending migration.
absl::StatusOr<SchemaState> MigrateStore(SqlStore& store);

}  // namespace larder::storage
