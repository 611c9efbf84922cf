// Fuzzes the parsing of a call's `authorization` header (BearerTokenOf), the first thing every
// authenticated call meets, and checks its contract: a token is returned only for a "Bearer"
// scheme, and the token is part of the header.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "server/auth/authenticator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view header(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<absl::string_view> token = larder::auth::BearerTokenOf(header);
  if (!token.ok()) {
    if (token.status().code() != absl::StatusCode::kUnauthenticated) abort();
    return 0;
  }
  if (token->empty() || !absl::StrContains(header, *token)) abort();
  if (!absl::StartsWithIgnoreCase(absl::StripLeadingAsciiWhitespace(header), "bearer")) abort();
  return 0;
}
