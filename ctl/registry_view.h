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

// Only `project`'s objects (all of them when `project` is empty); infra and the file
// registry's bookkeeping fields are kept as they are.
feast::core::Registry FilterProject(const feast::core::Registry& registry,
                                    const std::string& project);

// Every project named by a Project object or by any object.
std::set<std::string> ProjectsIn(const feast::core::Registry& registry);

}  // namespace larder::ctl
