#include "server/registry/access_control.h"

#include <utility>

#include "server/registry/feast_errors.h"
#include "server/registry/kinds.h"
#include "server/registry/registry_internal.h"

namespace larder::registry {
namespace {

using feast::core::PermissionSpec;

}  // namespace

Resource ResourceOf(const feast::registry::AnyFeatureView& o) {
  Resource resource{PermissionSpec::FEATURE_VIEW, ""};
  VisitAnyView(o, [&](const auto& view) { resource = ResourceOf(view); });
  return resource;
}

bool Visibility::Keep(const Resource& resource) {
  if (user_ == nullptr) return true;
  if (!status_.ok()) return false;
  absl::StatusOr<bool> keep =
      rules_->Decide(*user_, resource, {PermissionSpec::DESCRIBE}, CheckMode::kFilter);
  if (!keep.ok()) {
    status_ = keep.status();
    return false;
  }
  return *keep;
}

absl::StatusOr<std::shared_ptr<const PermissionRules>> Access::RulesOf(
    absl::string_view project) const {
  // Feast loads them from the database on every check, so a new Permission takes effect at
  // once on every replica.
  absl::StatusOr<ListPage<feast::core::Permission>> listed =
      registry_->List<feast::core::Permission>(project.empty() ? default_project_ : project,
                                               ListOptions(), /*allow_cache=*/false);
  if (!listed.ok()) return listed.status();
  return std::make_shared<const PermissionRules>(std::move(listed->items));
}

absl::StatusOr<std::shared_ptr<const PermissionRules>> Access::RulesIn(
    storage::Transaction& tx, absl::string_view project) const {
  absl::StatusOr<std::vector<storage::ObjectRow>> rows = tx.ListObjects(
      storage::ObjectKind::kPermission, project.empty() ? default_project_ : project);
  if (!rows.ok()) return rows.status();
  std::vector<feast::core::Permission> permissions;
  permissions.reserve(rows->size());
  for (const storage::ObjectRow& row : *rows) {
    absl::StatusOr<feast::core::Permission> permission =
        internal::Decode<feast::core::Permission>(row);
    if (!permission.ok()) return permission.status();
    permissions.push_back(*std::move(permission));
  }
  return std::make_shared<const PermissionRules>(std::move(permissions));
}

absl::Status Access::RequireIn(storage::Transaction& tx, absl::string_view project,
                               const Resource& resource,
                               std::initializer_list<Action> actions) const {
  if (!user_) return absl::OkStatus();
  absl::StatusOr<std::shared_ptr<const PermissionRules>> rules = RulesIn(tx, project);
  if (!rules.ok()) return rules.status();
  return (*rules)->Decide(*user_, resource, actions, CheckMode::kAssert).status();
}

absl::Status Access::Require(absl::string_view project, const Resource& resource,
                             std::initializer_list<Action> actions) const {
  if (!user_) return absl::OkStatus();
  absl::StatusOr<std::shared_ptr<const PermissionRules>> rules = RulesOf(project);
  if (!rules.ok()) return rules.status();
  absl::StatusOr<bool> allowed = (*rules)->Decide(*user_, resource, actions, CheckMode::kAssert);
  return allowed.status();  // assert mode never answers false
}

absl::Status Access::RequireCreateOrUpdate(absl::string_view project, const Resource& resource,
                                           const absl::Status& lookup) const {
  if (lookup.ok()) {
    // Feast checks the stored object and the new one; both have this type and name.
    return Require(project, resource, {PermissionSpec::DESCRIBE, PermissionSpec::UPDATE});
  }
  if (absl::IsNotFound(lookup)) return Require(project, resource, {PermissionSpec::CREATE});
  return lookup;
}

absl::Status Access::RequireApplyProject(absl::string_view name) const {
  if (!user_) return absl::OkStatus();
  feast::core::Project project;
  project.mutable_spec()->set_name(std::string(name));
  return RequireCreateOrUpdate(name, ResourceOf(project),
                               registry_->GetProject(name, /*allow_cache=*/true).status());
}

absl::Status Access::RequireDescribeProject(absl::string_view name, bool create_if_missing) const {
  if (!user_) return absl::OkStatus();
  absl::StatusOr<feast::core::Project> stored = registry_->GetProject(name, false);
  if (stored.ok()) return Require(name, ResourceOf(*stored), {PermissionSpec::DESCRIBE});
  if (!absl::IsNotFound(stored.status())) return stored.status();
  if (!create_if_missing) return absl::OkStatus();
  feast::core::Project project;
  project.mutable_spec()->set_name(std::string(name));
  return Require(name, ResourceOf(project), {PermissionSpec::CREATE});
}

absl::Status Access::RequireCommit() const {
  if (!user_) return absl::OkStatus();
  absl::StatusOr<ListPage<feast::core::Project>> projects =
      registry_->ListProjects(ListOptions(), /*allow_cache=*/true);
  if (!projects.ok()) return projects.status();
  if (projects->items.empty()) return absl::OkStatus();
  absl::StatusOr<std::shared_ptr<const PermissionRules>> rules = RulesOf("");
  if (!rules.ok()) return rules.status();
  for (const feast::core::Project& project : projects->items) {
    for (Action action : {PermissionSpec::UPDATE, PermissionSpec::CREATE}) {
      // A project that would fail a filter-mode call counts as not granted.
      absl::StatusOr<bool> granted =
          (*rules)->Decide(*user_, ResourceOf(project), {action}, CheckMode::kFilter);
      if (granted.ok() && *granted) return absl::OkStatus();
    }
  }
  return FeastPermissionError(
      "Not authorized to commit registry changes: CREATE or UPDATE permission required on at "
      "least one project");
}

absl::StatusOr<Visibility> Access::Visible(absl::string_view project) const {
  if (!user_) return Visibility();
  absl::StatusOr<std::shared_ptr<const PermissionRules>> rules = RulesOf(project);
  if (!rules.ok()) return rules.status();
  return Visibility(*user_, *std::move(rules));
}

absl::Status Access::FilterRegistry(feast::core::Registry& registry) const {
  if (!user_) return absl::OkStatus();
  absl::StatusOr<Visibility> visible = Visible("");
  if (!visible.ok()) return visible.status();
  ForEachKind([&]<typename Message>() {
    static const google::protobuf::FieldDescriptor* field =
        feast::core::Registry::descriptor()->FindFieldByName(
            std::string(ObjectTraits<Message>::kRegistryField));
    const google::protobuf::Reflection* reflection = registry.GetReflection();
    std::vector<Message> kept;
    for (int i = 0; i < reflection->FieldSize(registry, field); ++i) {
      const auto& item =
          static_cast<const Message&>(reflection->GetRepeatedMessage(registry, field, i));
      if ((*visible)(item)) kept.push_back(item);
    }
    reflection->ClearField(&registry, field);
    for (Message& item : kept) {
      static_cast<Message*>(reflection->AddMessage(&registry, field))->Swap(&item);
    }
  });
  return visible->status();
}

}  // namespace larder::registry
