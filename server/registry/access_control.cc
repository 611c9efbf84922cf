#include "server/registry/access_control.h"

#include <utility>

#include "server/registry/feast_errors.h"

namespace larder::registry {
namespace {

using feast::core::PermissionSpec;

template <typename Message>
Resource SpecNamed(PermissionSpec::Type type, const Message& m) {
  return {type, m.spec().name()};
}

// Keeps the elements of `items` that `visibility` keeps.
template <typename Repeated>
void KeepVisible(Visibility& visibility, Repeated* items) {
  Repeated kept;
  for (auto& item : *items) {
    if (visibility(item)) *kept.Add() = std::move(item);
  }
  items->Swap(&kept);
}

}  // namespace

Resource ResourceOf(const feast::core::Entity& o) { return SpecNamed(PermissionSpec::ENTITY, o); }
Resource ResourceOf(const feast::core::DataSource& o) {
  return {PermissionSpec::DATA_SOURCE, o.name()};
}
Resource ResourceOf(const feast::core::FeatureView& o) {
  return SpecNamed(o.spec().has_feature_transformation() ? PermissionSpec::BATCH_FEATURE_VIEW
                                                         : PermissionSpec::FEATURE_VIEW,
                   o);
}
Resource ResourceOf(const feast::core::StreamFeatureView& o) {
  return SpecNamed(PermissionSpec::STREAM_FEATURE_VIEW, o);
}
Resource ResourceOf(const feast::core::OnDemandFeatureView& o) {
  return SpecNamed(PermissionSpec::ON_DEMAND_FEATURE_VIEW, o);
}
Resource ResourceOf(const feast::core::LabelView& o) {
  return SpecNamed(PermissionSpec::LABEL_VIEW, o);
}
Resource ResourceOf(const feast::core::FeatureService& o) {
  return SpecNamed(PermissionSpec::FEATURE_SERVICE, o);
}
Resource ResourceOf(const feast::core::SavedDataset& o) {
  return SpecNamed(PermissionSpec::SAVED_DATASET, o);
}
Resource ResourceOf(const feast::core::ValidationReference& o) {
  return {PermissionSpec::VALIDATION_REFERENCE, o.name()};
}
Resource ResourceOf(const feast::core::Permission& o) {
  return SpecNamed(PermissionSpec::PERMISSION, o);
}
Resource ResourceOf(const feast::core::Project& o) {
  return SpecNamed(PermissionSpec::PROJECT, o);
}
Resource ResourceOf(const feast::registry::AnyFeatureView& o) {
  switch (o.any_feature_view_case()) {
    case feast::registry::AnyFeatureView::kStreamFeatureView:
      return ResourceOf(o.stream_feature_view());
    case feast::registry::AnyFeatureView::kOnDemandFeatureView:
      return ResourceOf(o.on_demand_feature_view());
    case feast::registry::AnyFeatureView::kLabelView:
      return ResourceOf(o.label_view());
    default:
      return ResourceOf(o.feature_view());
  }
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
  absl::StatusOr<ListPage<feast::core::Permission>> listed = registry_->List<feast::core::Permission>(
      project.empty() ? default_project_ : project, ListOptions(), /*allow_cache=*/false);
  if (!listed.ok()) return listed.status();
  return std::make_shared<const PermissionRules>(std::move(listed->items));
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

absl::Status Access::RequireApply(const feast::core::Project& project) const {
  // Keyed by the project's own name: Feast keys this look-up by the message (a latent bug).
  return RequireApplyProject(project.spec().name());
}

absl::Status Access::RequireApplyProject(absl::string_view name) const {
  if (!user_) return absl::OkStatus();
  feast::core::Project project;
  project.mutable_spec()->set_name(std::string(name));
  return RequireCreateOrUpdate(name, ResourceOf(project),
                               registry_->GetProject(name, /*allow_cache=*/true).status());
}

absl::Status Access::RequireDeleteFeatureView(absl::string_view project,
                                              absl::string_view name) const {
  if (!user_) return absl::OkStatus();
  absl::StatusOr<feast::registry::AnyFeatureView> stored =
      registry_->GetAnyFeatureView(project, name, /*allow_cache=*/false);
  if (!stored.ok()) return stored.status();
  return Require(project, ResourceOf(*stored), {PermissionSpec::DELETE});
}

absl::Status Access::RequireDeleteProject(absl::string_view name) const {
  if (!user_) return absl::OkStatus();
  absl::StatusOr<feast::core::Project> stored = registry_->GetProject(name, false);
  if (!stored.ok()) return stored.status();
  return Require("", ResourceOf(*stored), {PermissionSpec::DELETE});
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
  KeepVisible(*visible, registry.mutable_projects());
  KeepVisible(*visible, registry.mutable_entities());
  KeepVisible(*visible, registry.mutable_data_sources());
  KeepVisible(*visible, registry.mutable_feature_views());
  KeepVisible(*visible, registry.mutable_stream_feature_views());
  KeepVisible(*visible, registry.mutable_on_demand_feature_views());
  KeepVisible(*visible, registry.mutable_label_views());
  KeepVisible(*visible, registry.mutable_feature_services());
  KeepVisible(*visible, registry.mutable_saved_datasets());
  KeepVisible(*visible, registry.mutable_validation_references());
  KeepVisible(*visible, registry.mutable_permissions());
  return visible->status();
}

}  // namespace larder::registry
