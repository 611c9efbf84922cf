#include "server/observability/redact.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace larder::observability {
namespace {

bool SecretParameter(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  for (absl::string_view secret : {"password", "passwd", "pwd", "token", "secret", "key"}) {
    if (absl::StrContains(lower, secret)) return true;
  }
  return false;
}

}  // namespace

std::string RedactUrl(absl::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos) {
    return absl::StrContains(url, '@') ? "***" : std::string(url);
  }
  const size_t authority_start = scheme_end + 3;
  const size_t path_start = url.find_first_of("/?", authority_start);
  absl::string_view authority = url.substr(authority_start, path_start == absl::string_view::npos
                                                                ? absl::string_view::npos
                                                                : path_start - authority_start);
  std::string out(url.substr(0, authority_start));
  // The last '@' ends the user information (a password may itself hold '@').
  if (const size_t at = authority.rfind('@'); at != absl::string_view::npos) {
    absl::string_view user_info = authority.substr(0, at);
    if (const size_t colon = user_info.find(':'); colon != absl::string_view::npos) {
      absl::StrAppend(&out, user_info.substr(0, colon), ":***");
    } else {
      absl::StrAppend(&out, user_info);
    }
    absl::StrAppend(&out, "@", authority.substr(at + 1));
  } else {
    absl::StrAppend(&out, authority);
  }
  if (path_start == absl::string_view::npos) return out;
  absl::string_view rest = url.substr(path_start);
  const size_t query = rest.find('?');
  absl::StrAppend(&out, rest.substr(0, query));
  if (query == absl::string_view::npos) return out;
  std::vector<std::string> parameters;
  for (absl::string_view parameter : absl::StrSplit(rest.substr(query + 1), '&')) {
    const size_t eq = parameter.find('=');
    if (eq != absl::string_view::npos && SecretParameter(parameter.substr(0, eq))) {
      parameters.push_back(absl::StrCat(parameter.substr(0, eq), "=***"));
    } else {
      parameters.emplace_back(parameter);
    }
  }
  absl::StrAppend(&out, "?", absl::StrJoin(parameters, "&"));
  return out;
}

}  // namespace larder::observability
