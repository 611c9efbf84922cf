// Native errors that must reach callers as a specific canonical code (docs/architecture.md, "How
// errors flow"), provoked on the real databases.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "tests/storage/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace larder::testing {
namespace {

using storage::ObjectKind;
using storage::ObjectRow;
using storage::Transaction;

constexpr char kTooLong[] = "entity.insert: a value is longer than its column allows";

absl::Status InsertEntity(storage::Store& store, const std::string& name) {
  return store.Run(storage::TxMode::kReadWrite, [&](Transaction& tx) {
    return tx.InsertObject(ObjectKind::kEntity, ObjectRow{"p", name, "x", 100, 1});
  });
}

// Feast's schema keeps names in VARCHAR(255). A longer value is the caller's fault, never
// INTERNAL with a driver code (PostgreSQL 22001, MySQL/MariaDB 1406).
void ExpectTooLongIsInvalidArgument(TestBackend backend) {
  auto db = ScratchDatabase::Create(backend);
  if (db == nullptr) return;  // skipped (the reason is logged)
  auto store = OpenMigratedStore(*db);
  const absl::Status status = InsertEntity(*store, std::string(256, 'n'));
  INFO(status.ToString());
  CHECK(absl::IsInvalidArgument(status));
  CHECK(status.message() == kTooLong);
  // Nothing was written, and the store goes on working.
  REQUIRE(InsertEntity(*store, std::string(255, 'n')).ok());
}

TEST_CASE("A value longer than its column is INVALID_ARGUMENT naming the statement [postgres]",
          "[postgres]") {
  ExpectTooLongIsInvalidArgument(TestBackend::kPostgres);
}

TEST_CASE("A value longer than its column is INVALID_ARGUMENT naming the statement [mysql]",
          "[mysql]") {
  ExpectTooLongIsInvalidArgument(TestBackend::kMysql);
}

// What a PostgreSQL cluster created without a UTF-8 locale gives (initdb on a machine with no
// configured locale): a SQL_ASCII database, where VARCHAR(255) counts bytes, so a 255-character
// name of 4-byte characters does not fit.
TEST_CASE(
    "On a SQL_ASCII PostgreSQL database, 255 four-byte characters are INVALID_ARGUMENT "
    "[postgres]",
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
  const std::string name = absl::StrCat("larder_t_ascii_", absl::Uniform<uint64_t>(gen));
  const absl::Status created =
      execute(absl::StrCat("CREATE DATABASE ", name,
                           " ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"));
  INFO(created.ToString());
  REQUIRE(created.ok());
  struct Drop {
    std::function<void()> run;
    ~Drop() { run(); }
  } drop{[&] {
    execute(absl::StrCat("DROP DATABASE IF EXISTS ", name, " WITH (FORCE)")).IgnoreError();
  }};
  const std::string credentials =
      admin_url->user.empty()
          ? ""
          : absl::StrCat(admin_url->user, admin_url->password.empty() ? "" : ":",
                         admin_url->password, "@");
  auto url = storage::ParseDatabaseUrl(
      absl::StrCat("postgresql://", credentials, admin_url->host, ":", admin_url->port, "/", name));
  REQUIRE(url.ok());
  auto store = storage::OpenStore(*url, {});
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  auto schema = storage::PrepareStoreSchema(**store, /*allow_migrate=*/false);
  INFO(schema.status().ToString());
  REQUIRE(schema.ok());

  std::string wide;
  for (int i = 0; i < 255; ++i) wide += "\xF0\x9F\x9A\x97";  // 255 characters, 1020 bytes
  const absl::Status status = InsertEntity(**store, wide);
  INFO(status.ToString());
  CHECK(absl::IsInvalidArgument(status));
  CHECK(status.message() == kTooLong);
  store->reset();  // before the database is dropped
}

// SQLITE_NOTADB and SQLITE_CORRUPT: the file is damaged; reconnecting cannot help.
TEST_CASE("SQLite: a file that is not a database is DATA_LOSS [sqlite]", "[sqlite]") {
  TempDir dir;
  const std::string path = dir.File("garbage.db");
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 1000; ++i) out << "this is not a SQLite database\n";
  }
  auto url = storage::ParseDatabaseUrl("sqlite:///" + path);
  REQUIRE(url.ok());
  auto connection = storage::BackendFor(*url).factory();
  INFO(connection.status().ToString());
  CHECK(absl::IsDataLoss(connection.status()));
  auto store = storage::OpenStore(*url, {});
  INFO(store.status().ToString());
  CHECK(absl::IsDataLoss(store.status()));
}

TEST_CASE("SQLite: a damaged database file is DATA_LOSS [sqlite]", "[sqlite]") {
  TempDir dir;
  const std::string path = dir.File("registry.db");
  auto url = storage::ParseDatabaseUrl("sqlite:///" + path);
  REQUIRE(url.ok());
  {
    auto store = storage::OpenStore(*url, {});
    REQUIRE(store.ok());
    REQUIRE(storage::PrepareStoreSchema(**store, /*allow_migrate=*/false).ok());
    for (int i = 0; i < 200; ++i) {
      REQUIRE(InsertEntity(**store, absl::StrCat("entity_", i, std::string(200, 'x'))).ok());
    }
  }  // closing the last connection checkpoints the WAL into the file
  // Keep the first page (header and the start of the schema), overwrite every other one.
  const auto size = std::filesystem::file_size(path);
  REQUIRE(size > 8192);
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(4096);
    const std::string garbage(size - 4096, '\xA5');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  absl::Status status;
  auto store = storage::OpenStore(*url, {});
  status = store.status();
  if (status.ok()) status = storage::PrepareStoreSchema(**store, false).status();
  if (status.ok()) {
    status = (*store)->Run(storage::TxMode::kReadOnly, [](Transaction& tx) {
      return tx.ListObjects(ObjectKind::kEntity, "p").status();
    });
  }
  INFO(status.ToString());
  CHECK(absl::IsDataLoss(status));
}

}  // namespace
}  // namespace larder::testing
