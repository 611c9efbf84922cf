#pragma once

#include "storage/connection_pool.h"
#include "storage/database_url.h"
#include "storage/dialect.h"

namespace larder::storage {

// MySQL/MariaDB's statement dialect.
const Dialect& MysqlDialect();

// Returns a factory of connections to `url` through mysql-connector-c++ 1.1. Call it on the main
// thread before any worker thread exists: it initialises the driver, whose first initialisation
// is not thread-safe. Connections report UNAVAILABLE when the server cannot be reached or
// refuses the credentials.
ConnectionPool::Factory MysqlConnectionFactory(const DatabaseUrl& url);

}  // namespace larder::storage
