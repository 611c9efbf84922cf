#pragma once

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

// Chooses the backend for `url` (the one switch over backends) and opens a pooled store.
// Opens one connection eagerly, so an unreachable database fails here with UNAVAILABLE.
absl::StatusOr<std::unique_ptr<SqlStore>> OpenStore(const DatabaseUrl& url,
                                                    const StoreOptions& options);

// Start-up schema handling on one of the store's connections (see PrepareSchemaForServing).
absl::StatusOr<SchemaState> PrepareStoreSchema(SqlStore& store, bool allow_migrate);
// `larder migrate`: applies every pending migration.
absl::StatusOr<SchemaState> MigrateStore(SqlStore& store);

}  // namespace larder::storage
