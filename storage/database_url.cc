#include "storage/database_url.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace larder::storage {
namespace {

// Parses "user:pass@host:port/db" into `url`.
absl::Status ParseServerPart(absl::string_view rest, DatabaseUrl& url) {
  const size_t slash = rest.find('/');
  if (slash == absl::string_view::npos || slash + 1 == rest.size()) {
    return absl::InvalidArgumentError("database URL names no database (expected .../dbname)");
  }
  url.database = std::string(rest.substr(slash + 1));
  if (const size_t query = url.database.find('?'); query != std::string::npos) {
    url.database.resize(query);
  }
  absl::string_view authority = rest.substr(0, slash);
  if (const size_t at = authority.rfind('@'); at != absl::string_view::npos) {
    absl::string_view credentials = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const size_t colon = credentials.find(':');
    url.user = std::string(credentials.substr(0, colon));
    if (colon != absl::string_view::npos) url.password = std::string(credentials.substr(colon + 1));
  }
  const size_t colon = authority.rfind(':');
  url.host = std::string(authority.substr(0, colon));
  if (colon != absl::string_view::npos) {
    if (!absl::SimpleAtoi(authority.substr(colon + 1), &url.port) || url.port <= 0 ||
        url.port > 65535) {
      return absl::InvalidArgumentError("database URL has an invalid port");
    }
  }
  if (url.host.empty()) return absl::InvalidArgumentError("database URL names no host");
  return absl::OkStatus();
}

}  // namespace

std::string DatabaseUrl::Redacted() const {
  if (password.empty()) return original;
  std::string redacted = original;
  const size_t at = redacted.rfind('@');
  const size_t colon = redacted.find(':', redacted.find("://") + 3);
  if (at != std::string::npos && colon != std::string::npos && colon < at) {
    redacted.replace(colon + 1, at - colon - 1, "***");
  }
  return redacted;
}

absl::StatusOr<DatabaseUrl> ParseDatabaseUrl(absl::string_view text) {
  DatabaseUrl url;
  url.original = std::string(text);
  if (text.empty()) return absl::InvalidArgumentError("empty database URL");
  absl::string_view rest = text;
  if (absl::ConsumePrefix(&rest, "sqlite://")) {
    // SQLAlchemy's convention, as Feast users write it: the third slash ends the (empty) host
    // part, so sqlite:///data/r.db is the relative path data/r.db and sqlite:////abs/r.db the
    // absolute /abs/r.db. A host-less sqlite://rel.db is read as the relative rel.db.
    url.backend = Backend::kSqlite;
    absl::ConsumePrefix(&rest, "/");
    url.path = std::string(rest);
  } else if (absl::ConsumePrefix(&rest, "postgresql://") ||
             absl::ConsumePrefix(&rest, "postgres://")) {
    url.backend = Backend::kPostgres;
    if (absl::Status s = ParseServerPart(rest, url); !s.ok()) return s;
    if (url.port == 0) url.port = 5432;
  } else if (absl::ConsumePrefix(&rest, "mysql://") || absl::ConsumePrefix(&rest, "mariadb://")) {
    url.backend = Backend::kMysql;
    if (absl::Status s = ParseServerPart(rest, url); !s.ok()) return s;
    if (url.port == 0) url.port = 3306;
  } else if (const size_t scheme_end = text.find("://"); scheme_end != absl::string_view::npos) {
    // Only the scheme is repeated: the rest of the URL may hold a password, and this message
    // is printed at start-up.
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported database URL scheme '", text.substr(0, scheme_end),
                     "://' (use sqlite:///relative.db, sqlite:////absolute.db, "
                     "postgresql://user:pass@host:port/db or mysql://user:pass@host:port/db)"));
  } else {
    url.backend = Backend::kSqlite;
    url.path = std::string(text);
  }
  if (url.backend == Backend::kSqlite && url.path.empty()) {
    return absl::InvalidArgumentError("SQLite URL names no file");
  }
  return url;
}

}  // namespace larder::storage
