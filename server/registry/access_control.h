#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "feast/core/Registry.pb.h"
#include "feast/registry/RegistryServer.pb.h"
#include "server/auth/user.h"
#include "server/registry/object_traits.h"
#include "server/registry/permission_matcher.h"
#include "server/registry/registry.h"

namespace larder::registry {

// How Feast's permission rules see each registry object: its kind's permission type and its name.
// A feature view with a transformation is Feast's BatchFeatureView (still a FeatureView).
template <typename Message>
Resource ResourceOf(const Message& object) {
  using Traits = ObjectTraits<Message>;
  if constexpr (std::is_same_v<Message, feast::core::FeatureView>) {
    if (object.spec().has_feature_transformation()) {
      return {feast::core::PermissionSpec::BATCH_FEATURE_VIEW, Traits::Name(object)};
    }
  }
  return {Traits::kPermissionType, Traits::Name(object)};
}
Resource ResourceOf(const feast::registry::AnyFeatureView& o);

// Filter mode for one List call: keeps what the caller may DESCRIBE. Once a resource fails
// the whole call (Feast's filter-mode quirks, §3.9) every later one is dropped too and
// status() says why. Not thread-safe; lives for one call and borrows the caller's User.
class Visibility {
 public:
  Visibility() = default;  // auth off: everything is visible
  Visibility(const auth::User& user, std::shared_ptr<const PermissionRules> rules)
      : user_(&user), rules_(std::move(rules)) {}

  bool Keep(const Resource& resource);
  template <typename Message>
  bool operator()(const Message& object) {
    return user_ == nullptr || Keep(ResourceOf(object));
  }
  const absl::Status& status() const { return status_; }

 private:
  const auth::User* user_ = nullptr;
  std::shared_ptr<const PermissionRules> rules_;
  absl::Status status_;
};

// What the caller of one RPC may do, by Feast's Permission objects (spec §3.9). Without a user
// (auth off) every check passes and nothing is read. The permissions of a request's project
// (or of the default project, for requests that name none) are read from the database at each
// check, as Feast does; existence look-ups for create-or-update use the snapshot.
// Cheap to copy. Borrows `registry` and `default_project`, which must outlive it.
class Access {
 public:
  Access() = default;
  Access(Registry& registry, auth::User user, absl::string_view default_project)
      : registry_(&registry), user_(std::move(user)), default_project_(default_project) {}

  // nullptr when auth is off.
  const auth::User* user() const { return user_ ? &*user_ : nullptr; }

  // Assert mode. PERMISSION_DENIED (FeastPermissionError) unless the caller may do all of
  // `actions` on `resource` of `project`.
  absl::Status Require(absl::string_view project, const Resource& resource,
                       std::initializer_list<Action> actions) const;
  // The same check with the permissions read through `tx`: what writes use, so nothing that
  // decides a write is read outside its transaction.
  absl::Status RequireIn(storage::Transaction& tx, absl::string_view project,
                         const Resource& resource, std::initializer_list<Action> actions) const;
  template <typename Message>
  absl::Status Require(absl::string_view project, const Message& object,
                       std::initializer_list<Action> actions) const {
    if (!user_) return absl::OkStatus();
    return Require(project, ResourceOf(object), actions);
  }

  // Create-or-update on a project known only by name (Refresh). Writes check their own
  // permissions inside their transaction (RegistryWrite, through RequireIn).
  absl::Status RequireApplyProject(absl::string_view name) const;

  // DESCRIBE on the project when it exists; no check for a missing one (ListProjectMetadata,
  // lineage). With `create_if_missing`, CREATE on a missing one instead (GetInfra).
  absl::Status RequireDescribeProject(absl::string_view name, bool create_if_missing) const;

  // Commit: UPDATE or CREATE on at least one project, when there is any.
  absl::Status RequireCommit() const;

  // The DESCRIBE filter of a List call over `project`'s objects.
  absl::StatusOr<Visibility> Visible(absl::string_view project) const;

  // Removes from `registry` (a whole-registry Proto) every object the caller may not DESCRIBE.
  // Proto names no project, so Feast judges every object by the default project's permissions.
  absl::Status FilterRegistry(feast::core::Registry& registry) const;

 private:
  // The permissions governing `project` (the default project when empty), from the database.
  absl::StatusOr<std::shared_ptr<const PermissionRules>> RulesOf(absl::string_view project) const;
  absl::StatusOr<std::shared_ptr<const PermissionRules>> RulesIn(storage::Transaction& tx,
                                                                 absl::string_view project) const;
  // `lookup` is the status of looking the object up.
  absl::Status RequireCreateOrUpdate(absl::string_view project, const Resource& resource,
                                     const absl::Status& lookup) const;

  Registry* registry_ = nullptr;
  std::optional<auth::User> user_;
  absl::string_view default_project_;
};

}  // namespace larder::registry
