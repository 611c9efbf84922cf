// Fuzzes the JWKS document parser (--auth-jwks): JwtAuthenticator::Create on arbitrary bytes
// must return an authenticator or INVALID_ARGUMENT, and an authenticator made from a fuzzed
// document must refuse a token it never signed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "server/auth/jwt_authenticator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view jwks(reinterpret_cast<const char*>(data), size);
  auto made = larder::auth::JwtAuthenticator::Create(jwks, {});
  if (!made.ok()) {
    if (made.status().code() != absl::StatusCode::kInvalidArgument) abort();
    return 0;
  }
  // header {"alg":"RS256","kid":"k"}, payload {"sub":"x"}, and a signature of zeros.
  auto user = (*made)->Authenticate(
      "Bearer "
      "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJzdWIiOiJ4In0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  if (user.ok()) abort();
  return 0;
}
