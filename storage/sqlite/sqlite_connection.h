#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "storage/connection.h"
#include "storage/dialect.h"

namespace larder::storage {

// SQLite's statement dialect.
const Dialect& SqliteDialect();

// Opens (creating if needed) the database file at `path` in WAL mode with a busy timeout.
// `writer` is shared by every connection of one store to the file: their write transactions
// take it in turn. Returns UNAVAILABLE when the file cannot be opened or created.
absl::StatusOr<std::unique_ptr<Connection>> OpenSqliteConnection(
    const std::string& path, std::shared_ptr<absl::Mutex> writer);

}  // namespace larder::storage
