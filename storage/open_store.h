#pragma once

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/change_listener.h"
#include "storage/database_url.h"
#include "storage/retry_policy.h"
#include "storage/schema_migrator.h"
#include "storage/sql_store.h"

namespace larder::storage {

struct StoreOptions {
  int max_connections = 16;
  RetryPolicy retry;
  // Number change-log entries after COMMIT where the backend supports it (SqlSequencer); false
  // numbers them at COMMIT under the counter lock (for comparisons).
  bool sequence_revisions = true;
  // How often to look for entries whose writer died before they were numbered.
  absl::Duration unnumbered_sweep_every = absl::Seconds(1);
};

// A backend's dialect, a factory of its connections to one database, and of a listener for
// changes committed to it (null where the database has no notifications).
struct BackendParts {
  const Dialect* dialect;
  ConnectionPool::Factory factory;
  std::function<std::unique_ptr<ChangeListener>()> listener_factory;
};
// The one switch over backends.
BackendParts BackendFor(const DatabaseUrl& url);

// Opens a pooled store for `url`. `wrap`, when set, wraps every new connection (tests use it to
// inject faults).
// Opens one connection eagerly, so an unreachable database fails here with UNAVAILABLE.
absl::StatusOr<std::unique_ptr<SqlStore>> OpenStore(
    const DatabaseUrl& url, const StoreOptions& options,
    std::function<std::unique_ptr<Connection>(std::unique_ptr<Connection>)> wrap = nullptr);

// A listener for changes committed to the database at `url` by any replica, or nullptr when the
// backend has no notifications (SQLite, MySQL/MariaDB): the caller then only polls. When it
// returns, changes committed from then on are heard (unless the database cannot be reached
// now: the listener then reports UNAVAILABLE and reconnects by itself).
std::unique_ptr<ChangeListener> OpenChangeListener(const DatabaseUrl& url);

// Start-up schema handling on one of the store's connections (see PrepareSchemaForServing).
absl::StatusOr<SchemaState> PrepareStoreSchema(SqlStore& store, bool allow_migrate);
// `larder migrate`: applies every pending migration.
absl::StatusOr<SchemaState> MigrateStore(SqlStore& store);

}  // namespace larder::storage
