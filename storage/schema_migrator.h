#pragma once

#include "absl/status/statusor.h"
#include "storage/connection.h"
#include "storage/dialect.h"

namespace larder::storage {

// What a database holds relative to the migrations this binary knows.
struct SchemaState {
  int current_version = 0;        // highest applied Larder migration; 0 if none
  int latest_version = 0;         // highest migration this binary has for the backend
  bool has_feast_tables = false;  // Feast's SqlRegistry tables are present

  bool empty() const { return current_version == 0 && !has_feast_tables; }
  bool up_to_date() const { return current_version == latest_version; }
  bool newer_than_binary() const { return current_version > latest_version; }
};

// Reads the schema state. `connection` must not be inside a transaction.
absl::StatusOr<SchemaState> InspectSchema(Connection& connection, const Dialect& dialect);

// Applies every pending migration in order, recording each in larder_schema_migrations.
// Returns FAILED_PRECONDITION if the database is newer than this binary; the failing step's
// error (and leaves earlier steps applied and recorded) if one fails.
absl::StatusOr<SchemaState> ApplyPendingMigrations(Connection& connection, const Dialect& dialect);

// Decides start-up: an empty database gets the schema created; a database with pending steps
// is migrated only when `allow_migrate` (else FAILED_PRECONDITION saying how to migrate); a
// newer database is refused with FAILED_PRECONDITION.
absl::StatusOr<SchemaState> PrepareSchemaForServing(Connection& connection, const Dialect& dialect,
                                                    bool allow_migrate);

}  // namespace larder::storage
