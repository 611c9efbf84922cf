#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/feast_error.h"

namespace larder::registry {

// Feast clients re-raise errors by exception class name, so a registry error that corresponds to
// a Feast exception carries that class name as a status payload (common/feast_error.h); the
// gRPC edge turns it into Feast's JSON details. Errors without one (bad input, database
// trouble) stay plain statuses.
using ::larder::FeastClassOf;
using ::larder::FeastError;

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
// FeastPermissionError (PERMISSION_DENIED): "Permission error:\n<details>".
absl::Status FeastPermissionError(absl::string_view details);
// ConflictingFeatureViewNames: the name is taken by a view of another kind.
absl::Status ConflictingFeatureViewNames(absl::string_view name, absl::string_view existing_type,
                                         absl::string_view new_type);
// FeatureViewPinConflict (INTERNAL, as Feast): an apply pinned to an existing version `version`
// (the request's spec.version) whose definition differs from the active one.
absl::Status FeatureViewPinConflict(absl::string_view name, absl::string_view version);
// ConcurrentVersionConflict (INTERNAL, as Feast): version `number` of the view was saved by
// another writer between this apply's look-up and its insert.
absl::Status ConcurrentVersionConflict(absl::string_view name, int32_t number);

}  // namespace larder::registry
