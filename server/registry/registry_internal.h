#pragma once

// Helpers shared by the registry's implementation files; not part of its interface.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "server/registry/object_traits.h"
#include "server/registry/write_context.h"
#include "storage/store.h"

namespace larder::registry::internal {

absl::Status ValidateNames(storage::ObjectKind kind, absl::string_view project,
                           absl::string_view name);

// A name every backend stores and compares exactly as given: at most 255 characters (Feast's
// VARCHAR(255) columns), no NUL (PostgreSQL text cannot hold it), no leading or trailing
// whitespace (MariaDB's binary collation ignores trailing spaces). Empty names pass here; writes
// refuse them in ValidateNames. INVALID_ARGUMENT naming `what` otherwise.
absl::Status ValidateName(absl::string_view what, absl::string_view name);

// Parses a stored row and fills in its project (Feast leaves it empty; filling it is
// wire-compatible and lets multi-project clients attribute objects).
template <typename Message>
absl::StatusOr<Message> Decode(const storage::ObjectRow& row) {
  Message message;
  if (!message.ParseFromString(row.proto)) {
    return absl::DataLossError(
        absl::StrCat("stored ", storage::TableOf(ObjectTraits<Message>::kKind).kind_name, " '",
                     row.name, "' cannot be decoded"));
  }
  ObjectTraits<Message>::SetProject(message, row.project);
  return message;
}

// The wire bytes that, appended to a stored row of `kind`, give it project `project` exactly as
// Decode's SetProject does: protobuf merges repeated occurrences of a message field and keeps the
// last value of a scalar. Lets reads answer with stored bytes untouched. Empty for projects and
// infra.
std::string ProjectFieldBytes(storage::ObjectKind kind, absl::string_view project);

// The Python class name Feast reports for a view kind in ConflictingFeatureViewNames.
absl::string_view ViewTypeName(storage::ObjectKind kind);

// Feature-view names must be non-empty and free of '@' and ':' (Feast's ensure_valid).
absl::Status ValidateViewName(absl::string_view name);

// Refuses a view whose name another view kind already uses in the project. Must run inside the
// write transaction after the project row was locked.
absl::Status CheckViewNameUnique(storage::Transaction& tx, storage::ObjectKind kind,
                                 absl::string_view project, absl::string_view name,
                                 absl::string_view new_type);

}  // namespace larder::registry::internal
