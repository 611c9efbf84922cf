// Checklist item 18 of docs/feast-registry-api.md §8.2 through the real binary on every backend:
// bearer-token authentication (UNAUTHENTICATED for a missing or unknown token), "no Permission
// objects: any authenticated user may do everything", a RoleBasedPolicy that filters List
// calls and denies Get/Apply/Delete with Feast's FeastPermissionError, Commit's
// UPDATE-or-CREATE rule, and the username recorded as the change log's actor.
#include <fstream>
#include <set>

#include "tests/e2e/api_fixture.h"
#include "tests/support/temp_dir.h"

namespace larder::testing {
namespace {

using grpc::StatusCode;
using Names = std::vector<std::string>;
using Spec = core::PermissionSpec;

constexpr char kTokens[] =
    "# token user fields\n"
    "tok-admin admin roles=admin\n"
    "tok-reader reader roles=reader groups=analysts\n";

// A larder serving `db` with the tokens above and default project "p".
struct AuthServer {
  explicit AuthServer(const ScratchDatabase& db)
      : tokens_file(WriteTokens(dir)),
        api(db, {"--auth-tokens=" + tokens_file, "--default-project=p"}) {}
  static std::string WriteTokens(const TempDir& dir) {
    const std::string path = dir.File("tokens");
    std::ofstream(path) << kTokens;
    return path;
  }
  void As(const std::string& token) { api.set_authorization("Bearer " + token); }

  TempDir dir;
  std::string tokens_file;
  ApiServer api;
};

// Feast's JSON of a FeastPermissionError (the newline is escaped inside the JSON string).
std::string Denied(const std::string& details) {
  return std::string("PERMISSION_DENIED: ") +
         FeastJson("FeastPermissionError", "Permission error:\\n" + details);
}

core::Permission RolePermission(const std::string& name, std::vector<Spec::Type> types,
                                std::vector<std::string> patterns,
                                std::vector<Spec::AuthzedAction> actions, const std::string& role) {
  core::Permission p;
  p.mutable_spec()->set_name(name);
  for (auto t : types) p.mutable_spec()->add_types(t);
  for (auto& n : patterns) p.mutable_spec()->add_name_patterns(n);
  for (auto a : actions) p.mutable_spec()->add_actions(a);
  p.mutable_spec()->mutable_policy()->mutable_role_based_policy()->add_roles(role);
  return p;
}

void Unauthenticated(ScratchDatabase& db) {
  AuthServer server(db);
  ApiServer& api = server.api;
  const auto list = In<reg::ListEntitiesRequest>("p");
  CHECK_PLAIN_ERROR(api.Status(&Stub::ListEntities, list), StatusCode::UNAUTHENTICATED,
                    "Missing authorization header");
  CHECK_PLAIN_ERROR(api.Apply("p", MakeEntity("driver", "driver_id")), StatusCode::UNAUTHENTICATED,
                    "Missing authorization header");
  api.set_authorization("Basic dG9rLWFkbWlu");
  CHECK_PLAIN_ERROR(api.Status(&Stub::ListEntities, list), StatusCode::UNAUTHENTICATED,
                    "Expected Bearer schema, found Basic");
  server.As("tok-wrong");
  CHECK_PLAIN_ERROR(api.Apply("p", MakeEntity("driver", "driver_id")), StatusCode::UNAUTHENTICATED,
                    "Invalid token");
  CHECK_PLAIN_ERROR(api.Status(&Stub::Commit, Empty()), StatusCode::UNAUTHENTICATED,
                    "Invalid token");
  // Nothing was written by the rejected calls.
  CHECK_FALSE(PeekRow(api.db_url(), storage::ObjectKind::kEntity, "p", "driver").has_value());
  CHECK(PeekChanges(api.db_url()).empty());
  server.As("tok-admin");
  CHECK(api.Ok(&Stub::ListEntities, list).entities_size() == 0);
}
LARDER_BACKEND_TEST(
    "auth: calls without a known bearer token are UNAUTHENTICATED and change nothing",
    Unauthenticated)

void NoPermissionsAllowEveryone(ScratchDatabase& db) {
  AuthServer server(db);
  ApiServer& api = server.api;
  server.As("tok-reader");  // a user without any useful role
  const DemoRepo repo = MakeDemoRepo("p");
  ApplyDemoRepo(api, repo);
  CHECK(api.Ok(&Stub::GetEntity, Named<reg::GetEntityRequest>("p", "driver")).spec().name() ==
        "driver");
  CHECK(SpecNames(api.Ok(&Stub::ListEntities, In<reg::ListEntitiesRequest>("p")).entities()) ==
        Names{"__dummy", "customer", "driver"});
  CHECK(api.Ok(&Stub::ListAllFeatureViews, In<reg::ListAllFeatureViewsRequest>("p"))
            .feature_views_size() == 3);
  CHECK(api.Proto().entities_size() == 3);
  REQUIRE_OK(api.Status(&Stub::DeleteEntity, Named<reg::DeleteEntityRequest>("p", "customer")));
  REQUIRE_OK(api.Status(&Stub::Commit, Empty()));
  reg::GetProjectRequest get_project;
  get_project.set_name("p");
  CHECK(api.Ok(&Stub::GetProject, get_project).spec().name() == "p");

  // Every change of this test is recorded as the token's user.
  const std::vector<storage::ChangeRecord> changes = PeekChanges(api.db_url());
  REQUIRE(changes.size() >= 11);
  std::set<std::string> actors;
  for (const auto& change : changes) actors.insert(change.actor);
  CHECK(actors == std::set<std::string>{"reader"});
  CHECK(changes.back().name == "customer");
  CHECK(changes.back().op == storage::ChangeOp::kDelete);
}
LARDER_BACKEND_TEST(
    "auth: with no Permission objects an authenticated user may do everything, recorded as "
    "the actor",
    NoPermissionsAllowEveryone)

void RoleBasedPolicy(ScratchDatabase& db) {
  AuthServer server(db);
  ApiServer& api = server.api;
  server.As("tok-admin");
  const std::vector<Spec::Type> all_types = {Spec::FEATURE_VIEW,
                                             Spec::ON_DEMAND_FEATURE_VIEW,
                                             Spec::BATCH_FEATURE_VIEW,
                                             Spec::STREAM_FEATURE_VIEW,
                                             Spec::ENTITY,
                                             Spec::FEATURE_SERVICE,
                                             Spec::DATA_SOURCE,
                                             Spec::VALIDATION_REFERENCE,
                                             Spec::SAVED_DATASET,
                                             Spec::PERMISSION,
                                             Spec::PROJECT,
                                             Spec::LABEL_VIEW};
  const std::vector<Spec::AuthzedAction> all_actions = {
      Spec::CREATE,      Spec::DESCRIBE,     Spec::UPDATE,       Spec::DELETE,
      Spec::READ_ONLINE, Spec::READ_OFFLINE, Spec::WRITE_ONLINE, Spec::WRITE_OFFLINE};
  // Name-scoped (".*"), so objects it denies are dropped from lists instead of failing them.
  REQUIRE_OK(api.Apply("p", RolePermission("admin-all", all_types, {".*"}, all_actions, "admin")));
  REQUIRE_OK(api.Apply("p", RolePermission("read-public", {Spec::ENTITY}, {"public_.*"},
                                           {Spec::DESCRIBE}, "reader")));
  for (const std::string name : {"public_driver", "public_customer", "secret_salary"}) {
    REQUIRE_OK(api.Apply("p", MakeEntity(name, name + "_id")));
  }
  const auto list = In<reg::ListEntitiesRequest>("p");
  CHECK(SpecNames(api.Ok(&Stub::ListEntities, list).entities()) ==
        Names{"public_customer", "public_driver", "secret_salary"});
  const size_t changes_by_admin = PeekChanges(api.db_url()).size();
  const auto driver_row = PeekRow(api.db_url(), storage::ObjectKind::kEntity, "p", "public_driver");
  REQUIRE(driver_row.has_value());

  server.As("tok-reader");
  // List filters: the secret entity is dropped, pagination counts only what is visible.
  const reg::ListEntitiesResponse listed = api.Ok(&Stub::ListEntities, list);
  CHECK(SpecNames(listed.entities()) == Names{"public_customer", "public_driver"});
  CHECK(PaginationText(listed.pagination()) == "0,0,2,1,0,0");
  // Get: allowed, denied, and not-found before denial.
  CHECK(
      api.Ok(&Stub::GetEntity, Named<reg::GetEntityRequest>("p", "public_driver")).spec().name() ==
      "public_driver");
  CHECK(
      Describe(api.Status(&Stub::GetEntity, Named<reg::GetEntityRequest>("p", "secret_salary"))) ==
      Denied("Permission admin-all denied execution of ['DESCRIBE'] to "
             "Entity:secret_salary: Requires roles ['admin']"));
  CHECK_FEAST_ERROR(api.Status(&Stub::GetEntity, Named<reg::GetEntityRequest>("p", "public_ghost")),
                    StatusCode::NOT_FOUND, "EntityNotFoundException",
                    "Entity public_ghost does not exist in project p");
  // Apply without CREATE (new) or UPDATE (existing), Delete without DELETE: denied, unwritten.
  CHECK(Describe(api.Apply("p", MakeEntity("public_new", "id"))) ==
        Denied("Permission admin-all denied execution of ['CREATE'] to Entity:public_new: "
               "Requires roles ['admin']"));
  core::Entity changed = MakeEntity("public_driver", "public_driver_id");
  changed.mutable_spec()->set_description("changed by the reader");
  CHECK(Describe(api.Apply("p", changed)) ==
        Denied("Permission admin-all denied execution of ['DESCRIBE', 'UPDATE'] to "
               "Entity:public_driver: Requires roles ['admin']"));
  CHECK(Describe(api.Status(&Stub::DeleteEntity,
                            Named<reg::DeleteEntityRequest>("p", "public_driver"))) ==
        Denied("Permission admin-all denied execution of ['DELETE'] to Entity:public_driver: "
               "Requires roles ['admin']"));
  CHECK_FALSE(PeekRow(api.db_url(), storage::ObjectKind::kEntity, "p", "public_new").has_value());
  const auto driver_after =
      PeekRow(api.db_url(), storage::ObjectKind::kEntity, "p", "public_driver");
  REQUIRE(driver_after.has_value());
  CHECK(driver_after->proto == driver_row->proto);
  CHECK(PeekChanges(api.db_url()).size() == changes_by_admin);
  // Projects (judged by the default project's permissions) and Proto are filtered the same way.
  CHECK(api.Ok(&Stub::ListProjects, reg::ListProjectsRequest()).projects_size() == 0);
  const core::Registry proto = api.Proto();
  CHECK(SpecNames(proto.entities()) == Names{"public_customer", "public_driver"});
  CHECK(proto.projects_size() == 0);
  CHECK(proto.permissions_size() == 0);
  // Commit needs UPDATE or CREATE on at least one project.
  CHECK(Describe(api.Status(&Stub::Commit, Empty())) ==
        Denied("Not authorized to commit registry changes: CREATE or UPDATE permission "
               "required on at least one project"));

  server.As("tok-admin");
  REQUIRE_OK(api.Status(&Stub::Commit, Empty()));
  CHECK(api.Ok(&Stub::ListProjects, reg::ListProjectsRequest()).projects_size() == 1);
  // A reader granted UPDATE on the project may commit.
  REQUIRE_OK(api.Apply(
      "p", RolePermission("reader-updates-p", {Spec::PROJECT}, {"p"}, {Spec::UPDATE}, "reader")));
  server.As("tok-reader");
  REQUIRE_OK(api.Status(&Stub::Commit, Empty()));

  std::set<std::string> actors;
  for (const auto& change : PeekChanges(api.db_url())) actors.insert(change.actor);
  CHECK(actors == std::set<std::string>{"admin"});
}
LARDER_BACKEND_TEST(
    "auth: a RoleBasedPolicy filters lists, denies gets, applies and deletes, and gates Commit",
    RoleBasedPolicy)

TEST_CASE("auth: a malformed tokens file stops start-up with a clear message", "[e2e]") {
  TempDir dir;
  const std::string tokens = dir.File("tokens");
  std::ofstream(tokens) << "tok-a alice\ntok-b bob colour=red\n";
  ServerProcess bad(
      {"--addr=127.0.0.1:0", "--db=sqlite:///" + dir.File("a.db"), "--auth-tokens=" + tokens});
  CHECK(bad.RunToExit() == 1);
  CHECK(bad.output().find("larder: auth tokens file " + tokens +
                          " line 2: unknown field 'colour' (roles=, groups= or namespaces=)") !=
        std::string::npos);
  CHECK(bad.output().find("tok-b") == std::string::npos);
}

TEST_CASE("auth: a JWKS file without an RSA signing key stops start-up", "[e2e]") {
  TempDir dir;
  const std::string jwks = dir.File("jwks.json");
  std::ofstream(jwks) << R"({"keys": [{"kty": "EC", "kid": "k1"}]})";
  ServerProcess bad({"--addr=127.0.0.1:0", "--db=sqlite:///" + dir.File("a.db"),
                     "--auth-jwks=" + jwks, "--auth-audience=feast"});
  CHECK(bad.RunToExit() == 1);
  CHECK(bad.output().find("larder: JWKS file " + jwks + ": JWKS has no RSA signing key") !=
        std::string::npos);
}

}  // namespace
}  // namespace larder::testing
