#include "storage/database_url.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"

namespace larder::storage {
namespace {

std::string SqlitePath(const std::string& text) {
  auto url = ParseDatabaseUrl(text);
  INFO(text << ": " << url.status().ToString());
  REQUIRE(url.ok());
  CHECK(url->backend == Backend::kSqlite);
  return url->path;
}

TEST_CASE("SQLite URLs follow SQLAlchemy: three slashes relative, four absolute", "[url]") {
  // The default (--db unset) is the working directory's larder.db, never /larder.db.
  CHECK(SqlitePath("sqlite:///larder.db") == "larder.db");
  CHECK(SqlitePath("sqlite:///data/registry.db") == "data/registry.db");
  CHECK(SqlitePath("sqlite:///./registry.db") == "./registry.db");
  CHECK(SqlitePath("sqlite:///../registry.db") == "../registry.db");
  CHECK(SqlitePath("sqlite:////abs/registry.db") == "/abs/registry.db");
  CHECK(SqlitePath("sqlite:////tmp/x/y.db") == "/tmp/x/y.db");
  // Without the host separator, the rest is a relative path too.
  CHECK(SqlitePath("sqlite://rel.db") == "rel.db");
}

TEST_CASE("A plain path is a SQLite file, absolute or relative", "[url]") {
  CHECK(SqlitePath("/abs/x.db") == "/abs/x.db");
  CHECK(SqlitePath("x.db") == "x.db");
  CHECK(SqlitePath("dir/x.db") == "dir/x.db");
  auto url = ParseDatabaseUrl("/abs/x.db");
  REQUIRE(url.ok());
  CHECK(url->Redacted() == "/abs/x.db");
}

TEST_CASE("A SQLite URL naming no file is INVALID_ARGUMENT", "[url]") {
  for (const char* text : {"", "sqlite://", "sqlite:///"}) {
    INFO("'" << text << "'");
    CHECK(absl::IsInvalidArgument(ParseDatabaseUrl(text).status()));
  }
}

TEST_CASE("Server URLs: user, password, host, port and database", "[url]") {
  auto pg = ParseDatabaseUrl("postgresql://u:secret@db:6543/reg?sslmode=disable");
  REQUIRE(pg.ok());
  CHECK(pg->backend == Backend::kPostgres);
  CHECK(pg->user == "u");
  CHECK(pg->password == "secret");
  CHECK(pg->host == "db");
  CHECK(pg->port == 6543);
  CHECK(pg->database == "reg");
  CHECK(pg->Redacted() == "postgresql://u:***@db:6543/reg?sslmode=disable");

  auto pg_default = ParseDatabaseUrl("postgres://db/reg");
  REQUIRE(pg_default.ok());
  CHECK(pg_default->port == 5432);

  auto maria = ParseDatabaseUrl("mariadb://u@h/d");
  REQUIRE(maria.ok());
  CHECK(maria->backend == Backend::kMysql);
  CHECK(maria->port == 3306);
  CHECK(maria->password.empty());

  for (const char* bad : {"oracle://x/y", "postgresql://db", "mysql://h:0/d", "mysql://h:70000/d",
                          "postgresql://:5432/d"}) {
    INFO(bad);
    CHECK(absl::IsInvalidArgument(ParseDatabaseUrl(bad).status()));
  }
}

// Found by tests/fuzz/database_url_fuzzer: the error echoed the whole URL, password included.
TEST_CASE("An unsupported scheme's error names the scheme, never the password", "[url]") {
  const absl::Status status = ParseDatabaseUrl("postgresq://u:s3cret@db:5432/reg").status();
  CHECK(absl::IsInvalidArgument(status));
  CHECK(absl::StrContains(status.message(), "'postgresq://'"));
  CHECK_FALSE(absl::StrContains(status.message(), "s3cret"));
}

}  // namespace
}  // namespace larder::storage
