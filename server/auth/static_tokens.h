#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/auth/authenticator.h"
#include "server/auth/user.h"

namespace larder::auth {

// One line of a tokens file: the secret and who presents it.
struct StaticToken {
  std::string token;
  User user;
};

// Parses a tokens file (docs/auth.md): each line that is neither blank nor starts with `#` is
//   <token> <username> [roles=a,b] [groups=g1,g2] [namespaces=n1]
// INVALID_ARGUMENT names the line (never the token) for unknown or repeated fields, a missing
// username, or a token listed twice.
absl::StatusOr<std::vector<StaticToken>> ParseStaticTokens(absl::string_view contents);

// Accepts exactly the tokens of a tokens file, read once at start-up. Thread-safe (immutable).
class StaticTokenAuthenticator final : public Authenticator {
 public:
  explicit StaticTokenAuthenticator(std::vector<StaticToken> tokens) : tokens_(std::move(tokens)) {}

 private:
  // Compares against every token in constant time per token, so response timing does not tell
  // how much of a guess was right.
  absl::StatusOr<User> VerifyToken(absl::string_view token) const override;

  const std::vector<StaticToken> tokens_;
};

// Reads and parses `path`. INVALID_ARGUMENT (naming the file) when unreadable, empty of tokens,
// or malformed.
absl::StatusOr<std::unique_ptr<StaticTokenAuthenticator>> LoadStaticTokens(const std::string& path);

}  // namespace larder::auth
