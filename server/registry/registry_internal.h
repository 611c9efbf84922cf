#pragma once

// Helpers shared by the registry's implementation files; not part of its interface.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "server/registry/object_traits.h"
#include "server/registry/write_context.h"
#include "storage/store.h"

namespace larder::registry::internal {

// The order Feast looks a view name up in across the view kinds (GetAnyFeatureView, deletes,
// feature-service preparation).
inline constexpr storage::ObjectKind kAnyViewOrder[] = {
    storage::ObjectKind::kFeatureView, storage::ObjectKind::kOnDemandFeatureView,
    storage::ObjectKind::kStreamFeatureView, storage::ObjectKind::kLabelView};

// Feast stores one Infra per project under this row name.
inline constexpr absl::string_view kInfraRowName = "infra_obj";

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

// --- Feature-view version history (Feast §5.4): feature_view_version_history rows and
// meta.current_version_number of the versioned kinds (ObjectTraits::kVersioned), implemented
// once in registry_versions.cc for latest and pinned applies.

// A versioned kind's spec.version (Feast §4.3 step 4): nullopt for "" and "latest", N for "vN"
// and "versionN" (any case; N decimal digits that fit an int32). INVALID_ARGUMENT naming the
// value otherwise (Feast raises ValueError, which its server answers as UNKNOWN).
absl::StatusOr<std::optional<int32_t>> ParseVersion(absl::string_view version);

// What PrepareVersion decided for one attempt of an apply, for RecordVersion.
struct VersionPlan {
  std::optional<int32_t> pinned;  // nullopt: a latest apply
  bool restored = false;          // pinned to a version in the history: nothing to record
};

// Apply's first versioning step, before change detection, inside the write's transaction with
// the view's row locked; `stored` is the active definition (nullptr when there is none) and
// `object` the incoming one with its project set.
// Pinned to a version N in the history: returns FeatureViewPinConflict unless `object`'s spec
// (version aside) equals the active one; then replaces `object` with snapshot N, keeping the
// requested spec.version, current_version_number = N and the active view's operational meta
// (materialization intervals, state). Returns DATA_LOSS if the snapshot cannot be decoded.
// Pinned to an N not in the history (a forward declaration): stamps `object` with N.
// Latest: changes nothing.
template <typename Message>
absl::StatusOr<VersionPlan> PrepareVersion(storage::Transaction& tx, absl::string_view project,
                                           std::optional<int32_t> pinned, const Message* stored,
                                           Message& object);

// Apply's second step, for an effective write once `object`'s timestamps are set, in the same
// transaction. Latest: a new view is version 0; a schema change appends max+1 (first saving
// `stored` as version 0 when the history is empty); other changes keep `stored`'s number;
// `object` is stamped with it. A forward declaration saves `object` as its version N. A
// restore records nothing. Returns ConcurrentVersionConflict when a forward-declared N was
// saved meanwhile by a writer outside Larder, ABORTED (so the write is retried) when a latest
// number was.
template <typename Message>
absl::Status RecordVersion(storage::Transaction& tx, const WriteContext& write,
                           absl::string_view project, const VersionPlan& plan,
                           const Message* stored, Message& object);

}  // namespace larder::registry::internal
