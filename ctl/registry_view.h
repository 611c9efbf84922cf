#pragma once

// Looking things up in a feast.core.Registry snapshot (Proto() or GetRegistryAt) the same way
// for every kind.

#include <optional>
#include <set>
#include <string>

#include "ctl/kinds.h"

namespace larder::ctl {

// The object of `kind` named `name` in `project`, or nullptr.
const google::protobuf::Message* FindObject(const feast::core::Registry& registry, const Kind& kind,
                                            const std::string& project, const std::string& name);

// Only `project`'s objects, project_metadata and saved feature-view versions (everything when
// `project` is empty); infra and the other bookkeeping fields are kept as they are.
feast::core::Registry FilterProject(const feast::core::Registry& registry,
                                    const std::string& project);

// The file registry's project_metadata: deprecated in Feast's proto, yet Feast's file registry
// still writes and reads it (one project UUID per project), so import and export carry it.
const google::protobuf::RepeatedPtrField<feast::core::ProjectMetadata>& ProjectMetadataOf(
    const feast::core::Registry& registry);
google::protobuf::RepeatedPtrField<feast::core::ProjectMetadata>& MutableProjectMetadataOf(
    feast::core::Registry& registry);

// Every project named by a Project object or by any object.
std::set<std::string> ProjectsIn(const feast::core::Registry& registry);

}  // namespace larder::ctl
