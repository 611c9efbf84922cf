#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace larder::storage {

enum class Backend { kSqlite, kPostgres, kMysql };

// A parsed --db URL:
//   SQLite, as SQLAlchemy (and so Feast) reads it: sqlite:///relative/path.db (relative to the
//   working directory), sqlite:////absolute/path.db; also a plain path (/abs/x.db or x.db)
//   postgresql://user:pass@host:port/db (also postgres://)
//   mysql://user:pass@host:port/db (also mariadb://)
struct DatabaseUrl {
  Backend backend = Backend::kSqlite;
  std::string original;  // as given, for libpq which parses URIs itself
  std::string path;      // SQLite file
  std::string user, password, host, database;
  int port = 0;

  // The URL with any password replaced by "***", for logs and errors.
  std::string Redacted() const;
};

// Returns INVALID_ARGUMENT naming what is wrong with the URL.
absl::StatusOr<DatabaseUrl> ParseDatabaseUrl(absl::string_view url);

}  // namespace larder::storage
