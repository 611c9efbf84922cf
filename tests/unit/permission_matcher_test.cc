// Feast's permission decisions (spec §3.9) without a server: type matching with subclasses,
// full-match name patterns, all-actions matching, policies, AFFIRMATIVE decisions, and the
// differences between assert mode and filter mode.
#include "server/registry/permission_matcher.h"

#include <catch2/catch.hpp>

#include "server/registry/feast_errors.h"

namespace larder::registry {
namespace {

using feast::core::Permission;
using feast::core::PermissionSpec;

Permission RolePermission(const std::string& name, std::vector<PermissionSpec::Type> types,
                          std::vector<std::string> patterns, std::vector<Action> actions,
                          std::vector<std::string> roles) {
  Permission p;
  p.mutable_spec()->set_name(name);
  for (auto t : types) p.mutable_spec()->add_types(t);
  for (auto& n : patterns) p.mutable_spec()->add_name_patterns(n);
  for (auto a : actions) p.mutable_spec()->add_actions(a);
  for (auto& r : roles)
    p.mutable_spec()->mutable_policy()->mutable_role_based_policy()->add_roles(r);
  return p;
}

auth::User UserWithRoles(std::vector<std::string> roles) {
  return auth::User{"alice", std::move(roles), {}, {}};
}

// "allow", "drop", or "<feast class>: <message>".
std::string Outcome(const PermissionRules& rules, const auth::User& user, PermissionType type,
                    const std::string& name, std::vector<Action> actions, CheckMode mode) {
  absl::StatusOr<bool> decided = rules.Decide(user, Resource{type, name}, actions, mode);
  if (decided.ok()) return *decided ? "allow" : "drop";
  std::string out = FeastClassOf(decided.status()).value_or("?");
  if (decided.status().code() != absl::StatusCode::kPermissionDenied) out += " (wrong code)";
  return out + ": " + std::string(decided.status().message());
}

constexpr auto kDescribe = PermissionSpec::DESCRIBE;
constexpr auto kUpdate = PermissionSpec::UPDATE;
constexpr auto kAssert = CheckMode::kAssert;
constexpr auto kFilter = CheckMode::kFilter;

TEST_CASE("A FEATURE_VIEW permission covers stream and batch feature views only", "[authz]") {
  CHECK(TypeCovers(PermissionSpec::FEATURE_VIEW, PermissionSpec::FEATURE_VIEW));
  CHECK(TypeCovers(PermissionSpec::FEATURE_VIEW, PermissionSpec::STREAM_FEATURE_VIEW));
  CHECK(TypeCovers(PermissionSpec::FEATURE_VIEW, PermissionSpec::BATCH_FEATURE_VIEW));
  CHECK_FALSE(TypeCovers(PermissionSpec::FEATURE_VIEW, PermissionSpec::ON_DEMAND_FEATURE_VIEW));
  CHECK_FALSE(TypeCovers(PermissionSpec::FEATURE_VIEW, PermissionSpec::LABEL_VIEW));
  CHECK_FALSE(TypeCovers(PermissionSpec::STREAM_FEATURE_VIEW, PermissionSpec::FEATURE_VIEW));
  CHECK_FALSE(TypeCovers(PermissionSpec::ENTITY, PermissionSpec::DATA_SOURCE));
}

TEST_CASE("Policies accept by role, group, namespace, either, or everyone", "[authz]") {
  const auth::User user{"u", {"reader"}, {"ml"}, {"prod"}};
  std::string why;
  feast::core::Policy policy;
  CHECK(PolicyAccepts(policy, user, &why));  // unset: allow all

  policy.mutable_role_based_policy()->add_roles("writer");
  CHECK_FALSE(PolicyAccepts(policy, user, &why));
  CHECK(why == "Requires roles ['writer']");
  policy.mutable_role_based_policy()->add_roles("reader");
  CHECK(PolicyAccepts(policy, user, &why));

  policy.mutable_group_based_policy()->add_groups("ops");
  CHECK_FALSE(PolicyAccepts(policy, user, &why));
  CHECK(why == "Requires groups ['ops']");
  policy.mutable_group_based_policy()->add_groups("ml");
  CHECK(PolicyAccepts(policy, user, &why));

  policy.mutable_namespace_based_policy()->add_namespaces("dev");
  CHECK_FALSE(PolicyAccepts(policy, user, &why));
  CHECK(why == "Requires namespaces ['dev']");

  auto* combined = policy.mutable_combined_group_namespace_policy();
  combined->add_groups("ops");
  combined->add_namespaces("dev");
  CHECK_FALSE(PolicyAccepts(policy, user, &why));
  CHECK(why == "Requires groups ['ops'] or namespaces ['dev']");
  combined->add_namespaces("prod");
  CHECK(PolicyAccepts(policy, user, &why));
}

TEST_CASE("Without permissions any named user may do anything, nobody else", "[authz]") {
  const PermissionRules none({});
  CHECK(Outcome(none, UserWithRoles({}), PermissionSpec::ENTITY, "e", {PermissionSpec::DELETE},
                kAssert) == "allow");
  CHECK(Outcome(none, auth::User{}, PermissionSpec::ENTITY, "e", {kDescribe}, kFilter) ==
        "FeastPermissionError: Permission error:\nNo permissions defined and no authenticated "
        "user context. Access denied.");
}

TEST_CASE("Assert mode: names full-match, all actions must be granted, else denied", "[authz]") {
  const PermissionRules rules({RolePermission("read-public", {PermissionSpec::ENTITY},
                                              {"public_.*"}, {kDescribe}, {"reader"})});
  const auth::User reader = UserWithRoles({"reader"});
  CHECK(Outcome(rules, reader, PermissionSpec::ENTITY, "public_driver", {kDescribe}, kAssert) ==
        "allow");
  // "public_.*" must match the whole name.
  CHECK(Outcome(rules, reader, PermissionSpec::ENTITY, "x_public_driver", {kDescribe}, kAssert) ==
        "FeastPermissionError: Permission error:\nNo permissions defined to manage "
        "['DESCRIBE'] on Entity/x_public_driver.");
  // DESCRIBE alone does not grant DESCRIBE+UPDATE.
  CHECK(Outcome(rules, reader, PermissionSpec::ENTITY, "public_driver", {kDescribe, kUpdate},
                kAssert) ==
        "FeastPermissionError: Permission error:\nNo permissions defined to manage "
        "['DESCRIBE', 'UPDATE'] on Entity/public_driver.");
  // Another type is not covered.
  CHECK(Outcome(rules, reader, PermissionSpec::DATA_SOURCE, "public_src", {kDescribe}, kAssert) ==
        "FeastPermissionError: Permission error:\nNo permissions defined to manage "
        "['DESCRIBE'] on DataSource/public_src.");
  CHECK(Outcome(rules, UserWithRoles({"writer"}), PermissionSpec::ENTITY, "public_driver",
                {kDescribe}, kAssert) ==
        "FeastPermissionError: Permission error:\nPermission read-public denied execution of "
        "['DESCRIBE'] to Entity:public_driver: Requires roles ['reader']");
}

TEST_CASE("AFFIRMATIVE: one accepting permission grants, all rejecting explain each", "[authz]") {
  const PermissionRules rules(
      {RolePermission("admins", {PermissionSpec::FEATURE_VIEW}, {}, {kDescribe, kUpdate},
                      {"admin"}),
       RolePermission("readers", {PermissionSpec::FEATURE_VIEW}, {}, {kDescribe}, {"reader"})});
  CHECK(Outcome(rules, UserWithRoles({"reader"}), PermissionSpec::STREAM_FEATURE_VIEW, "v",
                {kDescribe}, kAssert) == "allow");
  CHECK(Outcome(rules, UserWithRoles({"guest"}), PermissionSpec::FEATURE_VIEW, "v", {kDescribe},
                kAssert) ==
        "FeastPermissionError: Permission error:\nPermission admins denied execution of "
        "['DESCRIBE'] to FeatureView:v: Requires roles ['admin'],Permission readers denied "
        "execution of ['DESCRIBE'] to FeatureView:v: Requires roles ['reader']");
}

TEST_CASE("Filter mode drops quietly only under name-scoped permissions", "[authz]") {
  const auth::User reader = UserWithRoles({"reader"});
  const auth::User guest = UserWithRoles({"guest"});
  const PermissionRules scoped({RolePermission("read-public", {PermissionSpec::ENTITY},
                                               {"public_.*"}, {kDescribe}, {"reader"})});
  CHECK(Outcome(scoped, reader, PermissionSpec::ENTITY, "public_a", {kDescribe}, kFilter) ==
        "allow");
  CHECK(Outcome(scoped, reader, PermissionSpec::ENTITY, "secret", {kDescribe}, kFilter) == "drop");
  CHECK(Outcome(scoped, guest, PermissionSpec::ENTITY, "public_a", {kDescribe}, kFilter) == "drop");
  // No permission mentions data sources: the whole list fails.
  CHECK(Outcome(scoped, reader, PermissionSpec::DATA_SOURCE, "s", {kDescribe}, kFilter) ==
        "FeastPermissionError: Permission error:\nNo permissions defined to manage "
        "['DESCRIBE'] on DataSource/s.");

  const PermissionRules unscoped(
      {RolePermission("read-all", {PermissionSpec::ENTITY}, {}, {kDescribe}, {"reader"})});
  CHECK(Outcome(unscoped, reader, PermissionSpec::ENTITY, "a", {kDescribe}, kFilter) == "allow");
  // Rejected by a permission without name patterns: the whole list fails.
  CHECK(Outcome(unscoped, guest, PermissionSpec::ENTITY, "a", {kDescribe}, kFilter) ==
        "FeastPermissionError: Permission error:\nPermission read-all denied execution of "
        "['DESCRIBE'] to Entity:a: Requires roles ['reader']");
}

TEST_CASE("required_tags are ignored and a bad pattern matches nothing", "[authz]") {
  Permission tagged =
      RolePermission("tagged", {PermissionSpec::ENTITY}, {}, {kDescribe}, {"reader"});
  (*tagged.mutable_spec()->mutable_required_tags())["team"] = "ml";
  const PermissionRules rules(
      {tagged, RolePermission("broken", {PermissionSpec::PROJECT}, {"("}, {kDescribe}, {})});
  CHECK(Outcome(rules, UserWithRoles({"reader"}), PermissionSpec::ENTITY, "untagged", {kDescribe},
                kAssert) == "allow");
  CHECK(Outcome(rules, UserWithRoles({"reader"}), PermissionSpec::PROJECT, "(", {kDescribe},
                kAssert) ==
        "FeastPermissionError: Permission error:\nNo permissions defined to manage "
        "['DESCRIBE'] on Project/(.");
}

}  // namespace
}  // namespace larder::registry
