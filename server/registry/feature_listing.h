#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "feast/core/Feature.pb.h"
#include "feast/registry/RegistryServer.pb.h"
#include "server/registry/project_objects.h"

namespace larder::registry {

// Feature tags the Feast SDK uses to persist type details; they are not user tags and are
// left out of the `feast.registry.Feature` records.
inline constexpr absl::string_view kStructSchemaTag = "feast:struct_schema";
inline constexpr absl::string_view kNestedInnerTypeTag = "feast:nested_inner_type";

// The Feast type string of a feature ("Int64", "Array(Float64)", "Set(String)",
// "Struct({a: Int32})", ...) per spec §4.16, derived from its value type and, for struct and
// nested kinds, from the tags above. Never fails: where Feast's Python server raises (NULL, a
// number outside ValueType, an unreadable struct schema) a fixed string is returned instead,
// as documented at each case in the implementation.
std::string FeastTypeString(const feast::core::FeatureSpecV2& feature);

// One `feast.registry.Feature` per feature of every view of `objects`, views in the order
// feature views, stream feature views, on-demand feature views, label views (each in list
// order), features in spec order. Unlike Feast's Python server, which leaves them empty, owner
// and the two timestamps are copied from the parent view. `project` is the project the objects
// belong to; the record has no project field, so it is not used today.
// Pure function of its input; safe to call from any thread.
std::vector<feast::registry::Feature> ListFeatureRecords(const ProjectObjects& objects,
                                                         absl::string_view project);

}  // namespace larder::registry
