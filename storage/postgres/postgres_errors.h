#pragma once

// libpqxx exceptions to canonical statuses (STYLE.md §5, §6), shared by everything in
// storage/postgres/ and used nowhere else: no libpqxx exception leaves this directory.

#include <pqxx/pqxx>

#include <exception>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace larder::storage {

// Maps a PostgreSQL SQLSTATE to a canonical status; `what` prefixes the message.
absl::Status FromSqlState(const std::string& state, absl::string_view what);

// Runs `fn`, turning every libpqxx exception into a status: UNAVAILABLE when the connection is
// lost or a commit's outcome is unknown, ABORTED on deadlocks and serialization failures, the
// SQLSTATE's code for other SQL errors, INTERNAL otherwise.
template <typename Fn>
absl::Status Guard(absl::string_view what, Fn&& fn) {
  try {
    fn();
    return absl::OkStatus();
  } catch (const pqxx::broken_connection&) {
    return absl::UnavailableError(absl::StrCat(what, ": database connection lost"));
  } catch (const pqxx::in_doubt_error&) {
    return absl::UnavailableError(absl::StrCat(what, ": connection lost during commit"));
  } catch (const pqxx::statement_completion_unknown&) {
    return absl::UnavailableError(absl::StrCat(what, ": statement outcome unknown"));
  } catch (const pqxx::transaction_rollback&) {
    // Deadlocks and serialization failures: in libpqxx 6.4 these do not derive from sql_error.
    return absl::AbortedError(absl::StrCat(what, ": concurrent transaction conflict"));
  } catch (const pqxx::sql_error& e) {
    return FromSqlState(e.sqlstate(), what);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(what, ": ", e.what()));
  }
}

}  // namespace larder::storage
