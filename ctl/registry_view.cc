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
  MutableProjectMetadataOf(filtered).Clear();
  for (const feast::core::ProjectMetadata& m : ProjectMetadataOf(registry)) {
    if (m.project() == project) *MutableProjectMetadataOf(filtered).Add() = m;
  }
  filtered.clear_feature_view_version_history();
  for (const auto& record : registry.feature_view_version_history().records()) {
    if (record.project_id() == project) {
      *filtered.mutable_feature_view_version_history()->add_records() = record;
    }
  }
  return filtered;
}

// The one place that touches the deprecated field.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
const google::protobuf::RepeatedPtrField<feast::core::ProjectMetadata>& ProjectMetadataOf(
    const feast::core::Registry& registry) {
  return registry.project_metadata();
}
google::protobuf::RepeatedPtrField<feast::core::ProjectMetadata>& MutableProjectMetadataOf(
    feast::core::Registry& registry) {
  return *registry.mutable_project_metadata();
}
#pragma GCC diagnostic pop

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
