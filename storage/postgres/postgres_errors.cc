#include "storage/postgres/postgres_errors.h"

#include "absl/strings/match.h"

namespace larder::storage {

absl::Status FromSqlState(const std::string& state, absl::string_view what) {
  if (state == "23505") return absl::AlreadyExistsError(absl::StrCat(what, ": duplicate key"));
  if (state == "22001") {
    // string_data_right_truncation: e.g. a 255-character name of multi-byte characters in a
    // SQL_ASCII database, where VARCHAR(255) counts bytes (docs/schema.md, encodings).
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": a value is longer than its column allows"));
  }
  if (state == "40001" || state == "40P01" || state == "55P03") {
    return absl::AbortedError(absl::StrCat(what, ": concurrent transaction conflict"));
  }
  if (absl::StartsWith(state, "08") || state == "57P01" || state == "57P02" || state == "57P03") {
    return absl::UnavailableError(absl::StrCat(what, ": database connection lost"));
  }
  if (state == "28P01" || state == "28000" || state == "3D000") {
    return absl::UnavailableError(
        absl::StrCat(what, ": database refused the connection (", state, ")"));
  }
  return absl::InternalError(absl::StrCat(what, ": database error ", state));
}

}  // namespace larder::storage
