#include "server/auth/authenticator.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace larder::auth {

absl::StatusOr<absl::string_view> BearerTokenOf(absl::string_view authorization_header) {
  if (authorization_header.empty()) {
    return absl::UnauthenticatedError("Missing authorization header");
  }
  const std::vector<absl::string_view> parts =
      absl::StrSplit(authorization_header, absl::ByAnyChar(" \t\r\n\f\v"), absl::SkipEmpty());
  // Feast also requires the literal "Bearer " prefix (one space) before splitting.
  const bool bearer_prefix = authorization_header.size() > 7 &&
                             absl::StartsWithIgnoreCase(authorization_header, "bearer ");
  if (!bearer_prefix || parts.size() != 2) {
    return absl::UnauthenticatedError(absl::StrCat("Expected Bearer schema, found ",
                                                   parts.empty() ? absl::string_view() : parts[0]));
  }
  return parts[1];
}

absl::StatusOr<User> Authenticator::Authenticate(absl::string_view authorization_header) const {
  absl::StatusOr<absl::string_view> token = BearerTokenOf(authorization_header);
  if (!token.ok()) return token.status();
  return VerifyToken(*token);
}

}  // namespace larder::auth
