// OIDC JWT verification without a server or an identity provider: the test makes its own RSA
// key, JWKS and signed tokens, and injects the clock.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <catch2/catch.hpp>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/auth/jwt_authenticator.h"
#include "server/auth/static_tokens.h"

namespace larder::auth {
namespace {

constexpr int64_t kNow = 1'800'000'000;

std::string B64(absl::string_view bytes) { return absl::WebSafeBase64Escape(bytes); }

// An RSA key pair and the JWKS publishing its public half under `kid`.
class TestKey {
 public:
  explicit TestKey(std::string kid) : kid_(std::move(kid)), pkey_(EVP_RSA_gen(2048)) {
    REQUIRE(pkey_ != nullptr);
  }
  ~TestKey() { EVP_PKEY_free(pkey_); }

  std::string Jwks() const {
    return absl::StrCat(R"({"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": ")", kid_,
                        R"(", "n": ")", B64(Param(OSSL_PKEY_PARAM_RSA_N)), R"(", "e": ")",
                        B64(Param(OSSL_PKEY_PARAM_RSA_E)), R"("}]})");
  }
  // A JWT with `claims` (a JSON object) signed by this key; `alg` goes into the header.
  std::string Sign(const std::string& claims, const std::string& alg = "RS256") const {
    const std::string signed_part =
        B64(absl::StrCat(R"({"alg": ")", alg, R"(", "typ": "JWT", "kid": ")", kid_, R"("})")) +
        "." + B64(claims);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    REQUIRE(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey_) == 1);
    size_t length = 0;
    const auto* data = reinterpret_cast<const unsigned char*>(signed_part.data());
    REQUIRE(EVP_DigestSign(ctx, nullptr, &length, data, signed_part.size()) == 1);
    std::string signature(length, '\0');
    REQUIRE(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length, data,
                           signed_part.size()) == 1);
    EVP_MD_CTX_free(ctx);
    signature.resize(length);
    return signed_part + "." + B64(signature);
  }

 private:
  std::string Param(const char* name) const {
    BIGNUM* bn = nullptr;
    REQUIRE(EVP_PKEY_get_bn_param(pkey_, name, &bn) == 1);
    std::string bytes(BN_num_bytes(bn), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
    BN_free(bn);
    return bytes;
  }

  std::string kid_;
  EVP_PKEY* pkey_;
};

std::unique_ptr<JwtAuthenticator> Make(const TestKey& key, JwtSettings settings = {}) {
  auto made = JwtAuthenticator::Create(key.Jwks(), std::move(settings),
                                       [] { return absl::FromUnixSeconds(kNow); });
  INFO(made.status().ToString());
  REQUIRE(made.ok());
  return *std::move(made);
}

std::string Error(const Authenticator& a, const std::string& token) {
  auto user = a.Authenticate("Bearer " + token);
  if (user.ok()) return "accepted as " + user->username;
  return std::string(user.status().ToString());
}

const std::string kValid = absl::StrCat(
    R"({"sub": "1234", "preferred_username": "alice", "exp": )", kNow + 60,
    R"(, "iss": "https://idp", "aud": ["feast", "other"], "roles": ["reader"], )",
    R"("resource_access": {"feast": {"roles": ["writer"]}, "x": {"roles": ["nope"]}}, )",
    R"("groups": ["analysts"]})");

TEST_CASE("A valid RS256 JWT yields Feast's user: username, roles, groups", "[auth][jwt]") {
  const TestKey key("k1");
  auto user =
      Make(key, {"https://idp", "feast", "feast"})->Authenticate("Bearer " + key.Sign(kValid));
  INFO(user.status().ToString());
  REQUIRE(user.ok());
  CHECK(user->username == "alice");
  CHECK(user->roles == std::vector<std::string>{"writer", "reader"});
  CHECK(user->groups == std::vector<std::string>{"analysts"});
  CHECK(user->namespaces.empty());
  // The username falls back through upn, azp, appid to sub.
  const std::string service =
      absl::StrCat(R"({"sub": "svc-1", "azp": "ci-bot", "exp": )", kNow + 60, "}");
  CHECK(Error(*Make(key), key.Sign(service)) == "accepted as ci-bot");
}

TEST_CASE("Forged, expired or mismatched JWTs are UNAUTHENTICATED", "[auth][jwt]") {
  const TestKey key("k1"), other("k1");
  auto jwt = Make(key, {"https://idp", "feast", ""});
  CHECK(Error(*jwt, other.Sign(kValid)) == "UNAUTHENTICATED: Invalid token: bad signature");
  std::string tampered = key.Sign(kValid);
  tampered[tampered.find('.') + 3] ^= 1;
  CHECK(Error(*jwt, tampered).rfind("UNAUTHENTICATED: Invalid token", 0) == 0);
  CHECK(Error(*jwt, key.Sign(kValid, "HS256")) ==
        "UNAUTHENTICATED: Invalid token: algorithm must be RS256");
  CHECK(Error(*jwt, key.Sign(kValid, "none")) ==
        "UNAUTHENTICATED: Invalid token: algorithm must be RS256");
  CHECK(Error(*jwt, key.Sign(absl::StrCat(R"({"sub": "a", "exp": )", kNow, "}"))) ==
        "UNAUTHENTICATED: Token has expired");
  CHECK(Error(*jwt, key.Sign(R"({"sub": "a"})")) == "UNAUTHENTICATED: Invalid token: no exp claim");
  CHECK(Error(*Make(key, {"https://other-idp", "", ""}), key.Sign(kValid)) ==
        "UNAUTHENTICATED: Invalid token: wrong issuer");
  CHECK(Error(*Make(key, {"", "registry", ""}), key.Sign(kValid)) ==
        "UNAUTHENTICATED: Invalid token: wrong audience");
  CHECK(Error(*jwt, "opaque-token") == "UNAUTHENTICATED: Invalid token: not a JWT");
  const TestKey unknown("k2");
  CHECK(Error(*jwt, unknown.Sign(kValid)) == "UNAUTHENTICATED: Invalid token: unknown signing key");
}

// Found by tests/fuzz/jwt_fuzzer: a correctly signed token naming nobody was accepted as the
// empty user. Feast's OIDC parser refuses it.
TEST_CASE("A signed JWT without a username claim is UNAUTHENTICATED", "[auth][jwt]") {
  const TestKey key("k1");
  const std::string nobody = absl::StrCat(R"({"suB": "alice", "preferred_username": 7, "exp": )",
                                          kNow + 60, R"(, "roles": ["admin"]})");
  CHECK(Error(*Make(key), key.Sign(nobody)) ==
        "UNAUTHENTICATED: Invalid token: no username claim (preferred_username, upn, azp, appid "
        "or sub)");
}

TEST_CASE("A JWKS without a usable RSA key is refused", "[auth][jwt]") {
  CHECK(JwtAuthenticator::Create("not json", {}).status().message() == "JWKS is not a JSON object");
  CHECK(JwtAuthenticator::Create(R"({"keys": []})", {}).status().message() ==
        "JWKS has no RSA signing key");
  CHECK(JwtAuthenticator::Create(R"({"keys": [{"kty": "RSA", "kid": "a", "n": "", "e": "AQAB"}]})",
                                 {})
            .status()
            .message() == "JWKS key 'a' has no valid n and e");
}

TEST_CASE("With tokens and JWTs both configured, either is accepted", "[auth][jwt]") {
  const TestKey key("k1");
  auto tokens = ParseStaticTokens("tok-a admin roles=admin\n");
  REQUIRE(tokens.ok());
  std::vector<std::unique_ptr<Authenticator>> chain;
  chain.push_back(std::make_unique<StaticTokenAuthenticator>(*std::move(tokens)));
  chain.push_back(Make(key));
  FirstAcceptingAuthenticator both(std::move(chain));
  CHECK(Error(both, "tok-a") == "accepted as admin");
  CHECK(Error(both, key.Sign(kValid)) == "accepted as alice");
  CHECK(Error(both, "tok-b") == "UNAUTHENTICATED: Invalid token: not a JWT");
}

}  // namespace
}  // namespace larder::auth
