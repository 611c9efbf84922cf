#pragma once

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "storage/connection.h"

namespace larder::storage {

// Writes a statement's parameters into its text as SQL literals: the one way the PostgreSQL and
// MySQL connections build the queries they send as one simple query (PostgreSQL: BEGIN plus the
// first statement; both: a transaction's final statements plus COMMIT). Why literals and not
// bound parameters there: a simple (multi-statement) query is what puts several statements in one
// round trip, and neither server accepts bound parameters in one (the extended protocol and
// server-side prepared statements carry exactly one statement). Every other statement is sent
// with bound parameters.
//
// Placeholders are `$N` (`numbered`, PostgreSQL) or `?` (MySQL), recognised in one left-to-right
// pass outside quoted strings and quoted identifiers ('...', "...", `...`), so neither a quote in
// the statement text nor a literal that happens to contain "$2" or "?" is ever substituted.
// `literal` renders one parameter as a literal of the target server. INVALID_ARGUMENT names the
// statement when a placeholder has no parameter.
absl::StatusOr<std::string> InlineParams(absl::string_view statement_id, absl::string_view sql,
                                         bool numbered, absl::Span<const SqlParam> params,
                                         absl::FunctionRef<std::string(const SqlParam&)> literal);

}  // namespace larder::storage
