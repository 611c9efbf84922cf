#include "server/registry/permission_matcher.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "re2/re2.h"
#include "server/registry/feast_errors.h"

namespace larder::registry {
namespace {

using feast::core::PermissionSpec;

bool SharesAny(const std::vector<std::string>& user_values,
               const google::protobuf::RepeatedPtrField<std::string>& required) {
  return std::any_of(required.begin(), required.end(), [&](const std::string& r) {
    return std::find(user_values.begin(), user_values.end(), r) != user_values.end();
  });
}

// Python's repr of a list of strings, as Feast's messages print them: ['a', 'b'].
template <typename Strings>
std::string PyList(const Strings& values) {
  return absl::StrCat(
      "[",
      absl::StrJoin(values, ", ",
                    [](std::string* out, const auto& v) { absl::StrAppend(out, "'", v, "'"); }),
      "]");
}

// Whether any of the permission's types covers `type`.
bool AnyTypeCovers(const PermissionSpec& spec, PermissionType type) {
  return std::any_of(spec.types().begin(), spec.types().end(),
                     [&](int t) { return TypeCovers(static_cast<PermissionType>(t), type); });
}

std::string ActionList(absl::Span<const Action> actions) {
  std::vector<std::string> names;
  for (Action a : actions) names.push_back(PermissionSpec::AuthzedAction_Name(a));
  return PyList(names);
}

}  // namespace

bool TypeCovers(PermissionType permission_type, PermissionType resource_type) {
  if (permission_type == resource_type) return true;
  return permission_type == PermissionSpec::FEATURE_VIEW &&
         (resource_type == PermissionSpec::STREAM_FEATURE_VIEW ||
          resource_type == PermissionSpec::BATCH_FEATURE_VIEW);
}

bool PolicyAccepts(const feast::core::Policy& policy, const auth::User& user,
                   std::string* explanation) {
  switch (policy.policy_type_case()) {
    case feast::core::Policy::kRoleBasedPolicy: {
      const auto& roles = policy.role_based_policy().roles();
      if (SharesAny(user.roles, roles)) return true;
      *explanation = absl::StrCat("Requires roles ", PyList(roles));
      return false;
    }
    case feast::core::Policy::kGroupBasedPolicy: {
      const auto& groups = policy.group_based_policy().groups();
      if (SharesAny(user.groups, groups)) return true;
      *explanation = absl::StrCat("Requires groups ", PyList(groups));
      return false;
    }
    case feast::core::Policy::kNamespaceBasedPolicy: {
      const auto& namespaces = policy.namespace_based_policy().namespaces();
      if (SharesAny(user.namespaces, namespaces)) return true;
      *explanation = absl::StrCat("Requires namespaces ", PyList(namespaces));
      return false;
    }
    case feast::core::Policy::kCombinedGroupNamespacePolicy: {
      const auto& combined = policy.combined_group_namespace_policy();
      if (SharesAny(user.groups, combined.groups()) ||
          SharesAny(user.namespaces, combined.namespaces())) {
        return true;
      }
      *explanation = absl::StrCat("Requires groups ", PyList(combined.groups()), " or namespaces ",
                                  PyList(combined.namespaces()));
      return false;
    }
    case feast::core::Policy::POLICY_TYPE_NOT_SET:
      break;
  }
  return true;  // Feast's AllowAll
}

absl::string_view TypeName(PermissionType type) {
  switch (type) {
    case PermissionSpec::FEATURE_VIEW:
      return "FeatureView";
    case PermissionSpec::ON_DEMAND_FEATURE_VIEW:
      return "OnDemandFeatureView";
    case PermissionSpec::BATCH_FEATURE_VIEW:
      return "BatchFeatureView";
    case PermissionSpec::STREAM_FEATURE_VIEW:
      return "StreamFeatureView";
    case PermissionSpec::ENTITY:
      return "Entity";
    case PermissionSpec::FEATURE_SERVICE:
      return "FeatureService";
    case PermissionSpec::DATA_SOURCE:
      return "DataSource";
    case PermissionSpec::VALIDATION_REFERENCE:
      return "ValidationReference";
    case PermissionSpec::SAVED_DATASET:
      return "SavedDataset";
    case PermissionSpec::PERMISSION:
      return "Permission";
    case PermissionSpec::PROJECT:
      return "Project";
    case PermissionSpec::LABEL_VIEW:
      return "LabelView";
    default:
      return "Unknown";
  }
}

PermissionRules::PermissionRules(std::vector<feast::core::Permission> permissions) {
  rules_.reserve(permissions.size());
  for (feast::core::Permission& permission : permissions) {
    Rule rule;
    for (const std::string& pattern : permission.spec().name_patterns()) {
      RE2::Options options;
      options.set_log_errors(false);
      rule.patterns.push_back(std::make_unique<RE2>(pattern, options));
    }
    rule.permission = std::move(permission);
    rules_.push_back(std::move(rule));
  }
}

PermissionRules::~PermissionRules() = default;
PermissionRules::PermissionRules(PermissionRules&&) noexcept = default;
PermissionRules& PermissionRules::operator=(PermissionRules&&) noexcept = default;

bool PermissionRules::Matches(const Rule& rule, const Resource& resource,
                              absl::Span<const Action> actions) const {
  const PermissionSpec& spec = rule.permission.spec();
  if (!AnyTypeCovers(spec, resource.type)) return false;
  if (!rule.patterns.empty() &&
      std::none_of(rule.patterns.begin(), rule.patterns.end(), [&](const auto& re) {
        return re->ok() && RE2::FullMatch(resource.name, *re);
      })) {
    return false;
  }
  return std::all_of(actions.begin(), actions.end(), [&](Action a) {
    return std::find(spec.actions().begin(), spec.actions().end(), a) != spec.actions().end();
  });
}

absl::StatusOr<bool> PermissionRules::Decide(const auth::User& user, const Resource& resource,
                                             absl::Span<const Action> actions,
                                             CheckMode mode) const {
  if (rules_.empty()) {
    if (!user.username.empty()) return true;
    return FeastPermissionError(
        "No permissions defined and no authenticated user context. Access denied.");
  }
  const bool filter = mode == CheckMode::kFilter;
  std::vector<std::string> explanations;
  const Rule* last_evaluated = nullptr;
  for (const Rule& rule : rules_) {
    if (!Matches(rule, resource, actions)) continue;
    // AFFIRMATIVE: the first accepting permission decides.
    std::string explanation;
    if (PolicyAccepts(rule.permission.spec().policy(), user, &explanation)) return true;
    explanations.push_back(absl::StrCat(
        "Permission ", rule.permission.spec().name(), " denied execution of ", ActionList(actions),
        " to ", TypeName(resource.type), ":", resource.name, ": ", explanation));
    last_evaluated = &rule;
  }
  if (last_evaluated != nullptr) {
    // Feast drops a rejected resource quietly only when the permission that decided it is
    // scoped by name; otherwise the whole list call fails.
    if (filter && !last_evaluated->patterns.empty()) return false;
    return FeastPermissionError(absl::StrJoin(explanations, ","));
  }
  // Nothing matched. Listing quietly skips names outside every name-scoped permission of the
  // type; with no name-scoped permission of the type the call fails, as in Feast.
  if (filter && std::any_of(rules_.begin(), rules_.end(), [&](const Rule& rule) {
        return !rule.patterns.empty() && AnyTypeCovers(rule.permission.spec(), resource.type);
      })) {
    return false;
  }
  return FeastPermissionError(absl::StrCat("No permissions defined to manage ", ActionList(actions),
                                           " on ", TypeName(resource.type), "/", resource.name,
                                           "."));
}

}  // namespace larder::registry
