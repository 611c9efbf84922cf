#include "server/auth/static_tokens.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/auth/auth_file.h"

namespace larder::auth {
namespace {

// Equal strings in time that depends only on the lengths.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  const size_t n = std::max(a.size(), b.size());
  unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? a[i] : 0;
    const unsigned char y = i < b.size() ? b[i] : 0;
    difference |= x ^ y;
  }
  return difference == 0;
}

std::vector<std::string> CommaList(absl::string_view value) {
  return absl::StrSplit(value, ',', absl::SkipWhitespace());
}

absl::Status LineError(int line, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", problem));
}

}  // namespace

absl::StatusOr<std::vector<StaticToken>> ParseStaticTokens(absl::string_view contents) {
  std::vector<StaticToken> tokens;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    const std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() < 2) return LineError(line_number, "expected '<token> <username> ...'");
    StaticToken entry;
    entry.token = std::string(fields[0]);
    entry.user.username = std::string(fields[1]);
    if (absl::StrContains(entry.user.username, '=')) {
      return LineError(line_number, "the second field must be the username");
    }
    std::set<absl::string_view> seen;
    for (size_t i = 2; i < fields.size(); ++i) {
      const std::pair<absl::string_view, absl::string_view> kv =
          absl::StrSplit(fields[i], absl::MaxSplits('=', 1));
      std::vector<std::string>* list = nullptr;
      if (kv.first == "roles") {
        list = &entry.user.roles;
      } else if (kv.first == "groups") {
        list = &entry.user.groups;
      } else if (kv.first == "namespaces") {
        list = &entry.user.namespaces;
      } else {
        return LineError(line_number, absl::StrCat("unknown field '", kv.first,
                                                   "' (roles=, groups= or namespaces=)"));
      }
      if (!absl::StrContains(fields[i], '=')) {
        return LineError(line_number, absl::StrCat("'", kv.first, "' needs '=' and a list"));
      }
      if (!seen.insert(kv.first).second) {
        return LineError(line_number, absl::StrCat("'", kv.first, "' given twice"));
      }
      *list = CommaList(kv.second);
    }
    for (const StaticToken& other : tokens) {
      if (other.token == entry.token) {
        return LineError(line_number,
                         absl::StrCat("the token of user '", entry.user.username,
                                      "' is also the token of '", other.user.username, "'"));
      }
    }
    tokens.push_back(std::move(entry));
  }
  return tokens;
}

absl::StatusOr<User> StaticTokenAuthenticator::VerifyToken(absl::string_view token) const {
  const User* found = nullptr;
  for (const StaticToken& entry : tokens_) {
    // No early exit: the time taken does not depend on which entry matched.
    if (ConstantTimeEquals(entry.token, token) && found == nullptr) found = &entry.user;
  }
  if (found == nullptr) return absl::UnauthenticatedError("Invalid token");
  return *found;
}

absl::StatusOr<std::unique_ptr<StaticTokenAuthenticator>> LoadStaticTokens(
    const std::string& path) {
  absl::StatusOr<std::string> contents = ReadAuthFile(path, "auth tokens file");
  if (!contents.ok()) return contents.status();
  absl::StatusOr<std::vector<StaticToken>> tokens = ParseStaticTokens(*contents);
  if (!tokens.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("auth tokens file ", path, " ", tokens.status().message()));
  }
  if (tokens->empty()) {
    return absl::InvalidArgumentError(absl::StrCat("auth tokens file ", path, " has no tokens"));
  }
  return std::make_unique<StaticTokenAuthenticator>(*std::move(tokens));
}

}  // namespace larder::auth
