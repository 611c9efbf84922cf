#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "storage/connection.h"
#include "storage/database_url.h"
#include "storage/dialect.h"

namespace larder::storage {

// PostgreSQL's statement dialect.
const Dialect& PostgresDialect();

// Connects with libpqxx. Returns UNAVAILABLE when the server cannot be reached or refuses the
// credentials.
absl::StatusOr<std::unique_ptr<Connection>> OpenPostgresConnection(const DatabaseUrl& url);

}  // namespace larder::storage
