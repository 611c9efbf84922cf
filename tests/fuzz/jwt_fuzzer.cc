// Fuzzes JWT verification (server/auth/jwt_authenticator.h) behind a bearer header. The first
// byte picks the shape of the rest:
//   even: the rest is the token as sent (header.payload.signature, or anything else);
//   odd:  the rest is <JOSE header JSON> '\0' <claims JSON>, which the fuzzer signs with the key
//         the authenticator trusts, so the claim checks and the mapping of claims to a User run
//         on arbitrary JSON instead of stopping at the signature.
// A verified token must name a user; a refused one must be UNAUTHENTICATED.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/auth/jwt_authenticator.h"

namespace {

std::string B64(absl::string_view bytes) { return absl::WebSafeBase64Escape(bytes); }

std::string Param(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) abort();
  std::string bytes(BN_num_bytes(bn), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(bn);
  return bytes;
}

// The signing key and the authenticator trusting it, made once per process (libFuzzer gives
// the target no context of its own).
struct Fixture {
  Fixture() : key(EVP_RSA_gen(2048)) {
    if (key == nullptr) abort();
    const std::string jwks = absl::StrCat(
        R"({"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "fuzz", "n": ")",
        B64(Param(key, OSSL_PKEY_PARAM_RSA_N)), R"(", "e": ")",
        B64(Param(key, OSSL_PKEY_PARAM_RSA_E)), R"("}]})");
    auto made = larder::auth::JwtAuthenticator::Create(
        jwks, {.issuer = "https://issuer.example", .audience = "larder", .client_id = "larder"},
        [] { return absl::FromUnixSeconds(1'800'000'000); });
    if (!made.ok()) abort();
    authenticator = *std::move(made);
  }

  std::string Sign(absl::string_view header, absl::string_view claims) const {
    const std::string signed_part = B64(header) + "." + B64(claims);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) != 1) abort();
    size_t length = 0;
    const auto* data = reinterpret_cast<const unsigned char*>(signed_part.data());
    if (EVP_DigestSign(ctx, nullptr, &length, data, signed_part.size()) != 1) abort();
    std::string signature(length, '\0');
    if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length, data,
                       signed_part.size()) != 1) {
      abort();
    }
    EVP_MD_CTX_free(ctx);
    signature.resize(length);
    return signed_part + "." + B64(signature);
  }

  EVP_PKEY* key;
  std::unique_ptr<larder::auth::JwtAuthenticator> authenticator;
};

const Fixture& TheFixture() {
  static const Fixture* const fixture = new Fixture();
  return *fixture;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Fixture& fixture = TheFixture();
  const absl::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string token;
  if ((data[0] & 1) == 0) {
    token = std::string(rest);
  } else {
    const size_t split = rest.find('\0');
    if (split == absl::string_view::npos) return 0;
    token = fixture.Sign(rest.substr(0, split), rest.substr(split + 1));
  }
  auto user = fixture.authenticator->Authenticate("Bearer " + token);
  if (user.ok() ? user->username.empty()
                : user.status().code() != absl::StatusCode::kUnauthenticated) {
    abort();
  }
  return 0;
}
