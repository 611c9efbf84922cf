#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "feast/core/Permission.pb.h"
#include "server/auth/user.h"

namespace re2 {
class RE2;
}

namespace larder::registry {

using PermissionType = feast::core::PermissionSpec::Type;
using Action = feast::core::PermissionSpec::AuthzedAction;

// A registry object as Feast's permission rules see it: its class and its name. (Tags play no
// part: Feast's matcher never finds `required_tags` on a resource, so they always match.)
struct Resource {
  PermissionType type;
  std::string name;
};

// Assert: anything not allowed is an error (Get, Delete, Apply). Filter: what is not allowed
// is dropped, except in the cases where Feast fails the whole call instead (List).
enum class CheckMode { kAssert, kFilter };

// Whether a permission naming `permission_type` covers a resource of `resource_type`: its own
// class or a subclass (stream and batch feature views are feature views).
bool TypeCovers(PermissionType permission_type, PermissionType resource_type);

// Whether `policy` accepts `user`; otherwise `*explanation` says what it requires
// ("Requires roles ['reader']"). An unset policy accepts everyone.
bool PolicyAccepts(const feast::core::Policy& policy, const auth::User& user,
                   std::string* explanation);

// Feast's class name of a resource type, as denial messages show it ("FeatureView").
absl::string_view TypeName(PermissionType type);

// The Permission objects of one project with their name patterns compiled, deciding requests
// exactly as Feast's enforcer does (spec §3.9). Immutable and thread-safe once built.
class PermissionRules {
 public:
  explicit PermissionRules(std::vector<feast::core::Permission> permissions);
  ~PermissionRules();
  PermissionRules(PermissionRules&&) noexcept;
  PermissionRules& operator=(PermissionRules&&) noexcept;

  bool empty() const { return rules_.empty(); }

  // Whether `user` may do all of `actions` on `resource`: true, false (filter mode only: drop
  // it), or PERMISSION_DENIED carrying FeastPermissionError with Feast's explanation.
  // With no permissions at all, any user with a username is allowed.
  absl::StatusOr<bool> Decide(const auth::User& user, const Resource& resource,
                              absl::Span<const Action> actions, CheckMode mode) const;

 private:
  struct Rule {
    feast::core::Permission permission;
    // Empty when the permission has no name patterns. A pattern RE2 cannot compile matches
    // nothing (Feast would fail the call with an internal error instead).
    std::vector<std::unique_ptr<re2::RE2>> patterns;
  };
  bool Matches(const Rule& rule, const Resource& resource, absl::Span<const Action> actions) const;

  std::vector<Rule> rules_;
};

}  // namespace larder::registry
