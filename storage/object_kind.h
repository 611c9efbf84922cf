#pragma once

#include <cstddef>
#include <optional>
#include "absl/strings/string_view.h"

#include "absl/types/span.h"

namespace larder::storage {

// The kinds of registry object Larder stores, one SQL table each (Feast's SqlRegistry layout).
enum class ObjectKind {
  kProject,
  kEntity,
  kDataSource,
  kFeatureView,
  kStreamFeatureView,
  kOnDemandFeatureView,
  kLabelView,
  kFeatureService,
  kSavedDataset,
  kValidationReference,
  kPermission,
  kInfra,
};
// How many kinds there are (kInfra is the last).
inline constexpr size_t kKindCount = static_cast<size_t>(ObjectKind::kInfra) + 1;

// Where a kind lives in Feast's schema. Table and column names come only from this fixed list,
// never from input.
struct KindTable {
  ObjectKind kind;
  absl::string_view kind_name;     // stable name used in the change log and in errors
  absl::string_view table;         // e.g. "entities"
  absl::string_view name_column;   // e.g. "entity_name"
  absl::string_view proto_column;  // e.g. "entity_proto"
};

const KindTable& TableOf(ObjectKind kind);
absl::Span<const KindTable> AllKindTables();
std::optional<ObjectKind> KindFromName(absl::string_view kind_name);

// The four feature-view kinds share one name space per project.
constexpr bool IsFeatureViewKind(ObjectKind kind) {
  return kind == ObjectKind::kFeatureView || kind == ObjectKind::kStreamFeatureView ||
         kind == ObjectKind::kOnDemandFeatureView || kind == ObjectKind::kLabelView;
}

}  // namespace larder::storage
