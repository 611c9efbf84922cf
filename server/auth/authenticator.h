#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/auth/user.h"

namespace larder::auth {

// Turns the value of a call's `authorization` metadata into the calling User. The header is
// parsed here, once, exactly as Feast's server does (spec §1.3); subclasses only verify the
// bearer token. No gRPC types, so it is testable on plain strings.
//
// Implementations must be thread-safe: one instance serves every call.
class Authenticator {
 public:
  virtual ~Authenticator() = default;

  // `authorization_header` is empty when the call carried none. Returns UNAUTHENTICATED with
  // a plain-text message when the header is missing or malformed or the token is not accepted.
  absl::StatusOr<User> Authenticate(absl::string_view authorization_header) const;

 private:
  // UNAUTHENTICATED when `token` is not valid.
  virtual absl::StatusOr<User> VerifyToken(absl::string_view token) const = 0;
};

// The token of an `authorization: Bearer <token>` header: the scheme is matched
// case-insensitively and the value must be exactly two whitespace-separated parts. Returns
// UNAUTHENTICATED "Missing authorization header" for an empty value and "Expected Bearer schema,
// found <first part>" otherwise (the token itself is never echoed).
absl::StatusOr<absl::string_view> BearerTokenOf(absl::string_view authorization_header);

}  // namespace larder::auth
