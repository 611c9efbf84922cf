#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/auth/authenticator.h"

namespace larder::auth {

// What an OIDC token must satisfy besides its signature; empty strings are not checked.
struct JwtSettings {
  std::string issuer;
  std::string audience;
  // Roles also come from resource_access.<client_id>.roles.
  std::string client_id;
};

// Verifies OIDC RS256 JWTs against the RSA keys of a JWKS document and maps their claims to a
// User as Feast's OIDC parser does (spec §1.3). Thread-safe (immutable after construction).
class JwtAuthenticator final : public Authenticator {
 public:
  // Parses the JWKS JSON; INVALID_ARGUMENT when it is not JSON or has no usable RSA key.
  // `now` is the clock expiry is checked against.
  static absl::StatusOr<std::unique_ptr<JwtAuthenticator>> Create(
      absl::string_view jwks_json, JwtSettings settings,
      std::function<absl::Time()> now = absl::Now);
  ~JwtAuthenticator() override;

 private:
  struct Key;
  JwtAuthenticator(std::map<std::string, std::unique_ptr<Key>> keys, JwtSettings settings,
                   std::function<absl::Time()> now);
  // UNAUTHENTICATED "Invalid token: <why>" or "Token has expired".
  absl::StatusOr<User> VerifyToken(absl::string_view token) const override;

  const std::map<std::string, std::unique_ptr<Key>> keys_;  // by kid
  const JwtSettings settings_;
  const std::function<absl::Time()> now_;
};

// Reads `path` and creates a JwtAuthenticator; INVALID_ARGUMENT naming the file.
absl::StatusOr<std::unique_ptr<JwtAuthenticator>> LoadJwks(const std::string& path,
                                                           JwtSettings settings);

// Tries each authenticator in order and answers with the first that accepts the token, or
// with the last one's error. Thread-safe when they are.
class FirstAcceptingAuthenticator final : public Authenticator {
 public:
  explicit FirstAcceptingAuthenticator(std::vector<std::unique_ptr<Authenticator>> chain)
      : chain_(std::move(chain)) {}

 private:
  absl::StatusOr<User> VerifyToken(absl::string_view token) const override;

  const std::vector<std::unique_ptr<Authenticator>> chain_;
};

}  // namespace larder::auth
