#pragma once

#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace larder::registry {

// Feast clients re-raise errors by exception class name, so a registry error that corresponds to
// a Feast exception carries that class name as a status payload; the gRPC edge turns it into
// Feast's JSON details. Errors without one (bad input, database trouble) stay plain statuses.
absl::Status FeastError(absl::StatusCode code, absl::string_view feast_class,
                        absl::string_view message);

// The Feast exception class attached by FeastError, if any.
std::optional<std::string> FeastClassOf(const absl::Status& status);

// The Feast exceptions the registry raises (feast.errors, v0.66), with Feast's exact messages.
absl::Status ProjectNotFound(absl::string_view name);
absl::Status EntityNotFound(absl::string_view name, absl::string_view project);
absl::Status FeatureViewNotFound(absl::string_view name, absl::string_view project);
absl::Status DataSourceNotFound(absl::string_view name, absl::string_view project);
absl::Status FeatureServiceNotFound(absl::string_view name, absl::string_view project);
absl::Status SavedDatasetNotFound(absl::string_view name, absl::string_view project);
absl::Status ValidationReferenceNotFound(absl::string_view name, absl::string_view project);
// Always PermissionObjectNotFoundException/NOT_FOUND (Feast's database path raises the
// INTERNAL PermissionNotFoundException; see docs/feast-compatibility.md).
absl::Status PermissionNotFound(absl::string_view name, absl::string_view project);
// FeastObjectNotFoundException, the base class, with free text.
absl::Status FeastObjectNotFound(absl::string_view message);
// ConflictingFeatureViewNames: the name is taken by a view of another kind.
absl::Status ConflictingFeatureViewNames(absl::string_view name, absl::string_view existing_type,
                                         absl::string_view new_type);

}  // namespace larder::registry
