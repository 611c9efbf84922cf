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
  // Larder's own records, not Feast objects: they have a change-log kind name (so the change
  // feed carries their transitions) but no Feast table, no snapshot rows and no traits.
  kMaterializationJob,
  kMaterializationTask,
};
// How many kinds have a Feast table (kInfra is the last of them); AllKindTables lists these.
inline constexpr size_t kKindCount = static_cast<size_t>(ObjectKind::kInfra) + 1;

// Whether `kind` is one of Larder's ledger records (after kInfra) rather than a Feast table kind.
constexpr bool IsLedgerKind(ObjectKind kind) { return static_cast<size_t>(kind) >= kKindCount; }

// Where a kind lives in Feast's schema. Table and column names come only from this fixed list,
// never from input.
struct KindTable {
  ObjectKind kind;
  absl::string_view kind_name;     // stable name used in the change log and in errors
  absl::string_view table;         // e.g. "entities"
  absl::string_view name_column;   // e.g. "entity_name"
  absl::string_view proto_column;  // e.g. "entity_proto"
};

// For ledger kinds only kind_name and table are meaningful.
const KindTable& TableOf(ObjectKind kind);
// The Feast table kinds (not the ledger kinds).
absl::Span<const KindTable> AllKindTables();
std::optional<ObjectKind> KindFromName(absl::string_view kind_name);

// The four feature-view kinds share one name space per project.
constexpr bool IsFeatureViewKind(ObjectKind kind) {
  return kind == ObjectKind::kFeatureView || kind == ObjectKind::kStreamFeatureView ||
         kind == ObjectKind::kOnDemandFeatureView || kind == ObjectKind::kLabelView;
}

}  // namespace larder::storage
