#pragma once

#include <memory>
#include <string>

#include "storage/open_store.h"
#include "tests/support/temp_dir.h"

namespace larder::testing {

enum class TestBackend { kSqlite, kPostgres, kMysql };
const char* BackendName(TestBackend backend);

// A brand-new, empty database on one backend, dropped again on destruction, so every test starts
// clean. SQLite needs nothing; PostgreSQL and MariaDB need the servers named by
// LARDER_TEST_POSTGRES_URL / LARDER_TEST_MYSQL_URL (tests/run-all.sh starts them).
class ScratchDatabase {
 public:
  // Returns nullptr when the backend's server is not configured: the caller then skips, unless
  // LARDER_TEST_REQUIRE_ALL_BACKENDS is set, in which case this fails the test.
  static std::unique_ptr<ScratchDatabase> Create(TestBackend backend);
  ~ScratchDatabase();

  TestBackend backend() const { return backend_; }
  const std::string& url() const { return url_; }

 private:
  ScratchDatabase() = default;
  TestBackend backend_ = TestBackend::kSqlite;
  std::string url_;
  std::string admin_url_;
  std::string name_;
  std::unique_ptr<TempDir> dir_;
};

// Opens the database at `url` with Larder's schema in place (created when missing); fails the
// test when either step fails.
std::unique_ptr<storage::SqlStore> OpenPreparedStore(const std::string& url);

}  // namespace larder::testing

// Declares one test case per backend, named "<title> [sqlite]", "<title> [postgres]",
// "<title> [mysql]", each calling `body(ScratchDatabase&)` on a fresh database.
#define LARDER_BACKEND_TEST(title, body)                                                           \
  TEST_CASE(title " [sqlite]", "[sqlite]") {                                                       \
    auto db = ::larder::testing::ScratchDatabase::Create(::larder::testing::TestBackend::kSqlite); \
    REQUIRE(db != nullptr);                                                                        \
    body(*db);                                                                                     \
  }                                                                                                \
  TEST_CASE(title " [postgres]", "[postgres]") {                                                   \
    auto db =                                                                                      \
        ::larder::testing::ScratchDatabase::Create(::larder::testing::TestBackend::kPostgres);     \
    if (db == nullptr) return;                                                                     \
    body(*db);                                                                                     \
  }                                                                                                \
  TEST_CASE(title " [mysql]", "[mysql]") {                                                         \
    auto db = ::larder::testing::ScratchDatabase::Create(::larder::testing::TestBackend::kMysql);  \
    if (db == nullptr) return;                                                                     \
    body(*db);                                                                                     \
  }
