#include "tests/support/scratch_database.h"

#include <catch2/catch.hpp>

#include <cstdlib>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "storage/open_store.h"

namespace larder::testing {
namespace {

// Runs one statement outside any transaction on a fresh admin connection.
void AdminExecute(const std::string& admin_url, const std::string& sql) {
  auto url = storage::ParseDatabaseUrl(admin_url);
  REQUIRE(url.ok());
  auto connection = storage::BackendFor(*url).factory();
  INFO(connection.status().ToString());
  REQUIRE(connection.ok());
  absl::Status status = (*connection)->ExecuteScript(sql);
  INFO(status.ToString());
  REQUIRE(status.ok());
}

std::string WithDatabase(const storage::DatabaseUrl& url, const std::string& database) {
  const std::string scheme = url.backend == storage::Backend::kPostgres ? "postgresql" : "mysql";
  const std::string credentials =
      url.user.empty() ? ""
                       : absl::StrCat(url.user, url.password.empty() ? "" : ":", url.password, "@");
  return absl::StrCat(scheme, "://", credentials, url.host, ":", url.port, "/", database);
}

}  // namespace

const char* BackendName(TestBackend backend) {
  switch (backend) {
    case TestBackend::kSqlite:
      return "sqlite";
    case TestBackend::kPostgres:
      return "postgres";
    case TestBackend::kMysql:
      return "mysql";
  }
  return "?";
}

std::unique_ptr<ScratchDatabase> ScratchDatabase::Create(TestBackend backend) {
  std::unique_ptr<ScratchDatabase> db(new ScratchDatabase());
  db->backend_ = backend;
  if (backend == TestBackend::kSqlite) {
    db->dir_ = std::make_unique<TempDir>();
    db->url_ = "sqlite:///" + db->dir_->File("registry.db");
    return db;
  }
  const char* variable =
      backend == TestBackend::kPostgres ? "LARDER_TEST_POSTGRES_URL" : "LARDER_TEST_MYSQL_URL";
  const char* admin = std::getenv(variable);
  if (admin == nullptr || *admin == '\0') {
    const char* required = std::getenv("LARDER_TEST_REQUIRE_ALL_BACKENDS");
    if (required != nullptr && *required == '1') {
      FAIL(variable << " is not set but every backend is required");
    }
    WARN("SKIPPED: " << variable << " not set (tests/run-all.sh starts the databases)");
    return nullptr;
  }
  db->admin_url_ = admin;
  absl::BitGen gen;
  db->name_ = absl::StrCat("larder_t_", absl::Uniform<uint64_t>(gen));
  AdminExecute(db->admin_url_, absl::StrCat("CREATE DATABASE ", db->name_));
  auto url = storage::ParseDatabaseUrl(admin);
  REQUIRE(url.ok());
  db->url_ = WithDatabase(*url, db->name_);
  return db;
}

ScratchDatabase::~ScratchDatabase() {
  if (name_.empty()) return;
  const std::string drop = backend_ == TestBackend::kPostgres
                               ? absl::StrCat("DROP DATABASE IF EXISTS ", name_, " WITH (FORCE)")
                               : absl::StrCat("DROP DATABASE IF EXISTS ", name_);
  auto url = storage::ParseDatabaseUrl(admin_url_);
  if (!url.ok()) return;
  auto connection = storage::BackendFor(*url).factory();
  if (connection.ok()) (*connection)->ExecuteScript(drop).IgnoreError();
}

std::unique_ptr<storage::SqlStore> OpenPreparedStore(const std::string& url) {
  absl::StatusOr<storage::DatabaseUrl> parsed = storage::ParseDatabaseUrl(url);
  REQUIRE(parsed.ok());
  absl::StatusOr<std::unique_ptr<storage::SqlStore>> opened = storage::OpenStore(*parsed, {});
  REQUIRE(opened.ok());
  REQUIRE(storage::PrepareStoreSchema(**opened, false).ok());
  return *std::move(opened);
}

}  // namespace larder::testing
