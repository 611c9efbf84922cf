#include "ctl/registry_view.h"

namespace larder::ctl {

const google::protobuf::Message* FindObject(const feast::core::Registry& registry, const Kind& kind,
                                            const std::string& project, const std::string& name) {
  for (const google::protobuf::Message* object : ObjectsOf(registry, kind)) {
    if (ProjectOf(*object) == project && NameOf(*object) == name) return object;
  }
  return nullptr;
}

feast::core::Registry FilterProject(const feast::core::Registry& registry,
                                    const std::string& project) {
  if (project.empty()) return registry;
  feast::core::Registry filtered = registry;
  for (const Kind& kind : AllKinds()) {
    const auto* field =
        feast::core::Registry::descriptor()->FindFieldByName(std::string(kind.registry_field));
    filtered.GetReflection()->ClearField(&filtered, field);
    for (const google::protobuf::Message* object : ObjectsOf(registry, kind)) {
      if (ProjectOf(*object) == project) AddObject(filtered, kind, *object);
    }
  }
  // project_metadata (deprecated, one entry per project) is left to Feast, which rebuilds it.
  return filtered;
}

std::set<std::string> ProjectsIn(const feast::core::Registry& registry) {
  std::set<std::string> projects;
  for (const Kind& kind : AllKinds()) {
    for (const google::protobuf::Message* object : ObjectsOf(registry, kind)) {
      projects.insert(ProjectOf(*object));
    }
  }
  projects.erase("");
  return projects;
}

}  // namespace larder::ctl
