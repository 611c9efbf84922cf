#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "storage/connection.h"
#include "storage/dialect.h"

namespace larder::storage {

// SQLite's statement dialect.
const Dialect& SqliteDialect();

// Opens (creating if needed) the database file at `path` in WAL mode with a busy timeout.
// Returns UNAVAILABLE when the file cannot be opened or created.
absl::StatusOr<std::unique_ptr<Connection>> OpenSqliteConnection(const std::string& path);

}  // namespace larder::storage
