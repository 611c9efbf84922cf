#pragma once

#include <vector>

#include "absl/strings/string_view.h"
#include "feast/registry/RegistryServer.pb.h"
#include "server/registry/project_objects.h"

namespace larder::registry {

// The `EntityReference.type` strings Feast's lineage uses. On-demand and stream feature views
// are reported as kFeatureView.
namespace lineage_type {
inline constexpr absl::string_view kDataSource = "dataSource";
inline constexpr absl::string_view kEntity = "entity";
inline constexpr absl::string_view kFeatureView = "featureView";
inline constexpr absl::string_view kLabelView = "labelView";
inline constexpr absl::string_view kFeatureService = "featureService";
inline constexpr absl::string_view kFeature = "feature";
inline constexpr absl::string_view kSavedDataset = "savedDataset";
}  // namespace lineage_type

// Lineage of one project, each list in Feast's generation order (not sorted, duplicates kept).
struct Lineage {
  std::vector<feast::registry::EntityRelation> direct;
  std::vector<feast::registry::EntityRelation> indirect;
};

// Builds the direct and indirect relations of `objects` as Feast's registry server does
// (spec §4.14). Saved datasets are never part of the input, so no savedDataset relation is
// produced. Pure function of its input; cannot fail; safe to call from any thread.
Lineage ComputeLineage(const ProjectObjects& objects);

// True for the seven type strings in `lineage_type`. GetObjectRelationships rejects any other
// object type with INVALID_ARGUMENT.
bool IsLineageObjectType(absl::string_view type);

// True when the relation's source or target has exactly this type and name (the filter of
// GetRegistryLineage and GetObjectRelationships).
bool RelationTouches(const feast::registry::EntityRelation& relation, absl::string_view type,
                     absl::string_view name);

}  // namespace larder::registry
