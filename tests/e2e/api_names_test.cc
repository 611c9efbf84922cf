// Object and project names at the edges, through the real larder binary on every backend: case,
// trailing spaces, NUL characters, length, non-ASCII text, and the order of unsorted lists. A
// name is an exact string: two names that differ in any byte are two objects on every backend,
// and a name no backend can store is refused with INVALID_ARGUMENT before anything is written.
#include <cstdlib>
#include <functional>

#include "absl/random/random.h"
#include "storage/open_store.h"
#include "tests/e2e/api_fixture.h"

namespace larder::testing {
namespace {

using Names = std::vector<std::string>;
using grpc::StatusCode;

std::string JoinKey(ApiServer& api, const std::string& project, const std::string& name) {
  core::Entity entity;
  const grpc::Status status =
      api.Call(&Stub::GetEntity, Named<reg::GetEntityRequest>(project, name), &entity);
  return status.ok() ? entity.spec().join_key() : Describe(status);
}

void CaseMatters(ScratchDatabase& db) {
  ApiServer api(db);
  REQUIRE_OK(api.Apply("demo", MakeEntity("Driver", "upper")));
  REQUIRE_OK(api.Apply("demo", MakeEntity("driver", "lower")));
  CHECK(JoinKey(api, "demo", "Driver") == "upper");
  CHECK(JoinKey(api, "demo", "driver") == "lower");
  // Feature-view names are unique across kinds only when exactly equal.
  REQUIRE_OK(api.Apply("demo", MakeFeatureView("Stats", {"driver"}, {Field("f", ValueType::INT64)},
                                               FileSource("s", "s.parquet"))));
  CHECK_OK(api.Apply("demo", MakeOnDemandView("stats", {Field("g", ValueType::INT64)}, {})));
  REQUIRE_OK(api.Apply("Demo", MakeEntity("driver", "other project")));
  CHECK(SpecNames(api.Ok(&Stub::ListProjects, reg::ListProjectsRequest()).projects()) ==
        Names{"Demo", "demo"});
  CHECK(JoinKey(api, "Demo", "driver") == "other project");
}
LARDER_BACKEND_TEST("names: case matters on every backend", CaseMatters)

// MariaDB's binary collation is PAD SPACE ('sp' = 'sp ' in comparisons), so a second name that
// differs by a trailing space used to overwrite the first one's row. Names with leading or
// trailing whitespace are refused on every backend instead, before anything is written.
void EdgeWhitespaceRefused(ScratchDatabase& db) {
  ApiServer api(db);
  for (const std::string name : {"sp ", " sp", "sp\t"}) {
    INFO("name '" << name << "'");
    const grpc::Status entity = api.Apply("demo", MakeEntity(name, "x"));
    CHECK(entity.error_code() == StatusCode::INVALID_ARGUMENT);
    CHECK(entity.error_message().rfind("{", 0) != 0);  // plain text, not Feast JSON
    const grpc::Status project = api.Apply(name, MakeEntity("a", "x"));
    CHECK(project.error_code() == StatusCode::INVALID_ARGUMENT);
    // Reads refuse them too, so no backend can answer for a different (padded) name.
    CHECK(api.Status(&Stub::GetEntity, Named<reg::GetEntityRequest>("demo", name)).error_code() ==
          StatusCode::INVALID_ARGUMENT);
  }
  CHECK(api.Ok(&Stub::ListProjects, reg::ListProjectsRequest()).projects_size() == 0);
  // Inner spaces are ordinary characters.
  REQUIRE_OK(api.Apply("demo", MakeEntity("s p", "inner")));
  CHECK(JoinKey(api, "demo", "s p") == "inner");
}
LARDER_BACKEND_TEST("names: leading or trailing whitespace is INVALID_ARGUMENT on every backend",
                    EdgeWhitespaceRefused)

// Protobuf strings may contain NUL; PostgreSQL text cannot, and libpq's text parameters end at
// the first NUL, so "nu\0l" used to be stored and looked up as "nu".
void NulNeverAliases(ScratchDatabase& db) {
  ApiServer api(db);
  const std::string with_nul("nu\0l", 4);
  const grpc::Status applied = api.Apply("demo", MakeEntity(with_nul, "with nul"));
  // Refused as bad input, with nothing written (PostgreSQL cannot store NUL in text).
  CHECK(applied.error_code() == StatusCode::INVALID_ARGUMENT);
  CHECK(api.Ok(&Stub::ListProjects, reg::ListProjectsRequest()).projects_size() == 0);
  CHECK_FEAST_ERROR(api.Status(&Stub::GetEntity, Named<reg::GetEntityRequest>("demo", "nu")),
                    StatusCode::NOT_FOUND, "EntityNotFoundException",
                    "Entity nu does not exist in project demo");
  REQUIRE_OK(api.Apply("demo", MakeEntity("nu", "plain")));
  CHECK(JoinKey(api, "demo", "nu") == "plain");
  CHECK(api.Status(&Stub::GetEntity, Named<reg::GetEntityRequest>("demo", with_nul)).error_code() ==
        StatusCode::INVALID_ARGUMENT);

  const grpc::Status project = api.Apply(std::string("pr\0j", 4), MakeEntity("x", "x"));
  CHECK(project.error_code() == StatusCode::INVALID_ARGUMENT);
  reg::GetProjectRequest get;
  get.set_name("pr");
  CHECK(api.Status(&Stub::GetProject, get).error_code() == StatusCode::NOT_FOUND);
}
LARDER_BACKEND_TEST("names: a NUL character never makes a name alias its prefix", NulNeverAliases)

// Feast's schema (kept by Larder) stores names in VARCHAR(255): SQLite used to accept longer
// names that PostgreSQL and MariaDB refused with INTERNAL "database error 22001/1406".
void NameLengthLimit(ScratchDatabase& db) {
  ApiServer api(db);
  const std::string longest(255, 'n');
  REQUIRE_OK(api.Apply("demo", MakeEntity(longest, "fits")));
  CHECK(JoinKey(api, "demo", longest) == "fits");
  // 255 characters, not bytes: four-byte characters fit too.
  std::string wide;
  for (int i = 0; i < 255; ++i) wide += "\xF0\x9F\x9A\x97";
  REQUIRE_OK(api.Apply("demo", MakeEntity(wide, "wide")));
  CHECK(JoinKey(api, "demo", wide) == "wide");

  const grpc::Status too_long = api.Apply("demo", MakeEntity(longest + "n", "too long"));
  CHECK(too_long.error_code() == StatusCode::INVALID_ARGUMENT);
  CHECK(too_long.error_message().rfind("{", 0) != 0);  // plain text, not Feast JSON
  const grpc::Status long_project = api.Apply(std::string(256, 'p'), MakeEntity("x", "x"));
  CHECK(long_project.error_code() == StatusCode::INVALID_ARGUMENT);
  const grpc::Status long_view = api.Apply(
      "demo", MakeFeatureView(std::string(256, 'v'), {"x"}, {Field("f", ValueType::INT64)},
                              FileSource("s", "s.parquet")));
  CHECK(long_view.error_code() == StatusCode::INVALID_ARGUMENT);
  // Nothing was written by the refused calls.
  CHECK(SpecNames(api.Ok(&Stub::ListProjects, reg::ListProjectsRequest()).projects()) ==
        Names{"demo"});
  CHECK(api.Ok(&Stub::ListEntities, In<reg::ListEntitiesRequest>("demo")).entities_size() == 2);
}
LARDER_BACKEND_TEST("names: longer than 255 characters is INVALID_ARGUMENT on every backend",
                    NameLengthLimit)

void NonAsciiNames(ScratchDatabase& db) {
  ApiServer api(db);
  const std::string car = "car\xF0\x9F\x9A\x97", cafe = "caf\xC3\xA9";
  REQUIRE_OK(api.Apply(cafe, MakeEntity(car, "emoji")));
  CHECK(JoinKey(api, cafe, car) == "emoji");
  auto cached = Named<reg::GetEntityRequest>(cafe, car);
  cached.set_allow_cache(true);
  CHECK(api.Ok(&Stub::GetEntity, cached).spec().join_key() == "emoji");
  // json.dumps writes non-ASCII as \uXXXX, astral characters as surrogate pairs.
  CHECK_FEAST_ERROR(
      api.Status(&Stub::GetEntity, Named<reg::GetEntityRequest>(cafe, "bus\xF0\x9F\x9A\x8C")),
      StatusCode::NOT_FOUND, "EntityNotFoundException",
      "Entity bus\\ud83d\\ude8c does not exist in project caf\\u00e9");
  CHECK(SpecNames(api.Ok(&Stub::ListProjects, reg::ListProjectsRequest()).projects()) ==
        Names{cafe});
}
LARDER_BACKEND_TEST("names: non-ASCII names round-trip; errors escape them as json.dumps",
                    NonAsciiNames)

// Unsorted lists are documented as ordered by name, and cached lists (Larder's snapshot) are in
// byte order. A PostgreSQL database whose default collation is linguistic (en-US, common in
// production) ordered database reads differently: "__dummy alpha beta_2 beta2 customer Zeta"
// uncached against "Zeta __dummy alpha beta2 beta_2 customer" cached.
TEST_CASE(
    "names: on PostgreSQL with a linguistic default collation, unsorted lists keep byte "
    "order, cached or not [postgres]",
    "[postgres]") {
  const char* admin = std::getenv("LARDER_TEST_POSTGRES_URL");
  if (admin == nullptr || *admin == '\0') {
    WARN("SKIPPED: LARDER_TEST_POSTGRES_URL not set (tests/run-all.sh starts the databases)");
    return;
  }
  auto admin_url = storage::ParseDatabaseUrl(admin);
  REQUIRE(admin_url.ok());
  auto execute = [&](const std::string& sql) -> absl::Status {
    auto connection = storage::BackendFor(*admin_url).factory();
    if (!connection.ok()) return connection.status();
    return (*connection)->ExecuteScript(sql);
  };
  absl::BitGen gen;
  const std::string name = "larder_t_icu_" + std::to_string(absl::Uniform<uint64_t>(gen));
  const absl::Status created = execute("CREATE DATABASE " + name +
                                       " LOCALE_PROVIDER icu ICU_LOCALE 'en-US' "
                                       "LOCALE 'C.UTF-8' TEMPLATE template0");
  if (!created.ok()) {
    WARN("SKIPPED: this PostgreSQL cannot create an ICU en-US database: " << created.ToString());
    return;
  }
  struct Drop {
    std::function<void()> run;
    ~Drop() { run(); }
  } drop{[&] { execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").IgnoreError(); }};
  const std::string credentials =
      admin_url->user.empty()
          ? ""
          : admin_url->user + (admin_url->password.empty() ? "" : ":" + admin_url->password) + "@";
  ApiServer api("postgresql://" + credentials + admin_url->host + ":" +
                std::to_string(admin_url->port) + "/" + name);

  for (const std::string entity : {"Zeta", "beta_2", "beta2", "alpha", "__dummy", "customer"}) {
    REQUIRE_OK(api.Apply("demo", MakeEntity(entity, "id")));
  }
  const Names byte_order = {"Zeta", "__dummy", "alpha", "beta2", "beta_2", "customer"};
  for (const bool allow_cache : {false, true}) {
    INFO("allow_cache " << allow_cache);
    auto list = In<reg::ListEntitiesRequest>("demo");
    list.set_allow_cache(allow_cache);
    CHECK(SpecNames(api.Ok(&Stub::ListEntities, list).entities()) == byte_order);
    list.mutable_pagination()->set_page(1);
    list.mutable_pagination()->set_limit(2);
    CHECK(SpecNames(api.Ok(&Stub::ListEntities, list).entities()) == Names{"Zeta", "__dummy"});
  }
}

}  // namespace
}  // namespace larder::testing
