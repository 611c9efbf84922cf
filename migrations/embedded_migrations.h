#pragma once

#include "absl/strings/string_view.h"

#include "absl/types/span.h"

namespace larder::migrations {

// One numbered schema step, compiled into the binary from migrations/<backend>/NNNN_name.sql.
struct Migration {
  absl::string_view backend;  // "sqlite", "postgres", "mysql"
  int version;                // NNNN
  absl::string_view name;     // file name without number and extension
  absl::string_view sql;      // statements separated by ";" at the end of a line
};

// Every migration of every backend, ordered by backend then version.
absl::Span<const Migration> AllMigrations();

}  // namespace larder::migrations
