#include "server/auth/jwt_authenticator.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "server/auth/auth_file.h"

namespace larder::auth {

// An RSA public key of the JWKS.
struct JwtAuthenticator::Key {
  ~Key() { EVP_PKEY_free(pkey); }
  EVP_PKEY* pkey = nullptr;
};

namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

absl::Status Invalid(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat("Invalid token: ", why));
}

absl::StatusOr<Struct> ParseJson(absl::string_view json) {
  Struct parsed;
  auto status = google::protobuf::util::JsonStringToMessage(std::string(json), &parsed);
  if (!status.ok()) return absl::InvalidArgumentError("not a JSON object");
  return parsed;
}

// The field `name` of `object`, or nullptr.
const Value* FieldOf(const Struct& object, const std::string& name) {
  auto it = object.fields().find(name);
  return it == object.fields().end() ? nullptr : &it->second;
}

std::string StringField(const Struct& object, const std::string& name) {
  const Value* v = FieldOf(object, name);
  return v != nullptr && v->kind_case() == Value::kStringValue ? v->string_value() : "";
}

void AppendStrings(const Value* list, std::vector<std::string>& out) {
  if (list == nullptr || list->kind_case() != Value::kListValue) return;
  for (const Value& v : list->list_value().values()) {
    if (v.kind_case() == Value::kStringValue) out.push_back(v.string_value());
  }
}

std::unique_ptr<BIGNUM, decltype(&BN_free)> BigNum(const std::string& big_endian) {
  return {BN_bin2bn(reinterpret_cast<const unsigned char*>(big_endian.data()),
                    static_cast<int>(big_endian.size()), nullptr),
          &BN_free};
}

// The RSA public key (n, e), or nullptr.
EVP_PKEY* RsaPublicKey(const std::string& n, const std::string& e) {
  auto bn_n = BigNum(n), bn_e = BigNum(e);
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  OSSL_PARAM* params = nullptr;
  EVP_PKEY* pkey = nullptr;
  if (bn_n && bn_e && build != nullptr && ctx != nullptr &&
      OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_N, bn_n.get()) == 1 &&
      OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_E, bn_e.get()) == 1 &&
      (params = OSSL_PARAM_BLD_to_param(build)) != nullptr && EVP_PKEY_fromdata_init(ctx) == 1) {
    if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) pkey = nullptr;
  }
  OSSL_PARAM_free(params);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_BLD_free(build);
  return pkey;
}

bool VerifyRs256(EVP_PKEY* key, absl::string_view signed_part, const std::string& signature) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

bool AudienceMatches(const Value* aud, const std::string& audience) {
  if (aud == nullptr) return false;
  if (aud->kind_case() == Value::kStringValue) return aud->string_value() == audience;
  std::vector<std::string> audiences;
  AppendStrings(aud, audiences);
  return std::find(audiences.begin(), audiences.end(), audience) != audiences.end();
}

}  // namespace

JwtAuthenticator::JwtAuthenticator(std::map<std::string, std::unique_ptr<Key>> keys,
                                   JwtSettings settings, std::function<absl::Time()> now)
    : keys_(std::move(keys)), settings_(std::move(settings)), now_(std::move(now)) {}

JwtAuthenticator::~JwtAuthenticator() = default;

absl::StatusOr<std::unique_ptr<JwtAuthenticator>> JwtAuthenticator::Create(
    absl::string_view jwks_json, JwtSettings settings, std::function<absl::Time()> now) {
  absl::StatusOr<Struct> jwks = ParseJson(jwks_json);
  if (!jwks.ok()) return absl::InvalidArgumentError("JWKS is not a JSON object");
  std::map<std::string, std::unique_ptr<Key>> keys;
  const Value* list = FieldOf(*jwks, "keys");
  if (list != nullptr && list->kind_case() == Value::kListValue) {
    for (const Value& entry : list->list_value().values()) {
      if (entry.kind_case() != Value::kStructValue) continue;
      const Struct& jwk = entry.struct_value();
      // Signing keys only: RSA, and not marked for encryption.
      if (StringField(jwk, "kty") != "RSA" || StringField(jwk, "use") == "enc") continue;
      std::string n, e;
      if (!absl::WebSafeBase64Unescape(StringField(jwk, "n"), &n) ||
          !absl::WebSafeBase64Unescape(StringField(jwk, "e"), &e) || n.empty() || e.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("JWKS key '", StringField(jwk, "kid"), "' has no valid n and e"));
      }
      auto key = std::make_unique<Key>();
      key->pkey = RsaPublicKey(n, e);
      if (key->pkey == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("JWKS key '", StringField(jwk, "kid"), "' is not a valid RSA key"));
      }
      keys[StringField(jwk, "kid")] = std::move(key);
    }
  }
  if (keys.empty()) return absl::InvalidArgumentError("JWKS has no RSA signing key");
  return std::unique_ptr<JwtAuthenticator>(
      new JwtAuthenticator(std::move(keys), std::move(settings), std::move(now)));
}

absl::StatusOr<User> JwtAuthenticator::VerifyToken(absl::string_view token) const {
  const std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return Invalid("not a JWT");
  std::string header_json, payload_json, signature;
  if (!absl::WebSafeBase64Unescape(parts[0], &header_json) ||
      !absl::WebSafeBase64Unescape(parts[1], &payload_json) ||
      !absl::WebSafeBase64Unescape(parts[2], &signature)) {
    return Invalid("not base64url");
  }
  absl::StatusOr<Struct> header = ParseJson(header_json);
  if (!header.ok()) return Invalid("header is not JSON");
  // Only RS256: accepting the token's own choice of algorithm ("none", HS256 with the public
  // key as secret) is the classic JWT forgery.
  if (StringField(*header, "alg") != "RS256") return Invalid("algorithm must be RS256");
  const Key* key = nullptr;
  if (auto it = keys_.find(StringField(*header, "kid")); it != keys_.end()) {
    key = it->second.get();
  } else if (keys_.size() == 1 && FieldOf(*header, "kid") == nullptr) {
    key = keys_.begin()->second.get();
  }
  if (key == nullptr) return Invalid("unknown signing key");
  const size_t signed_length = parts[0].size() + 1 + parts[1].size();
  if (!VerifyRs256(key->pkey, token.substr(0, signed_length), signature)) {
    return Invalid("bad signature");
  }

  absl::StatusOr<Struct> claims = ParseJson(payload_json);
  if (!claims.ok()) return Invalid("payload is not JSON");
  const double now = absl::ToDoubleSeconds(now_() - absl::UnixEpoch());
  const Value* exp = FieldOf(*claims, "exp");
  if (exp == nullptr || exp->kind_case() != Value::kNumberValue) return Invalid("no exp claim");
  if (now >= exp->number_value()) return absl::UnauthenticatedError("Token has expired");
  if (const Value* nbf = FieldOf(*claims, "nbf");
      nbf != nullptr && nbf->kind_case() == Value::kNumberValue && now < nbf->number_value()) {
    return Invalid("not valid yet");
  }
  if (!settings_.issuer.empty() && StringField(*claims, "iss") != settings_.issuer) {
    return Invalid("wrong issuer");
  }
  if (!settings_.audience.empty() &&
      !AudienceMatches(FieldOf(*claims, "aud"), settings_.audience)) {
    return Invalid("wrong audience");
  }

  User user;
  for (const char* claim : {"preferred_username", "upn", "azp", "appid", "sub"}) {
    user.username = StringField(*claims, claim);
    if (!user.username.empty()) break;
  }
  // Feast refuses such a token too ("Missing username claim in access token"); accepting it
  // would let a call act, and be recorded, as nobody.
  if (user.username.empty())
    return Invalid("no username claim (preferred_username, upn, azp, appid or sub)");
  if (!settings_.client_id.empty()) {
    const Value* access = FieldOf(*claims, "resource_access");
    if (access != nullptr && access->kind_case() == Value::kStructValue) {
      const Value* client = FieldOf(access->struct_value(), settings_.client_id);
      if (client != nullptr && client->kind_case() == Value::kStructValue) {
        AppendStrings(FieldOf(client->struct_value(), "roles"), user.roles);
      }
    }
  }
  AppendStrings(FieldOf(*claims, "roles"), user.roles);
  AppendStrings(FieldOf(*claims, "groups"), user.groups);
  return user;
}

absl::StatusOr<std::unique_ptr<JwtAuthenticator>> LoadJwks(const std::string& path,
                                                           JwtSettings settings) {
  absl::StatusOr<std::string> contents = ReadAuthFile(path, "JWKS file");
  if (!contents.ok()) return contents.status();
  absl::StatusOr<std::unique_ptr<JwtAuthenticator>> authenticator =
      JwtAuthenticator::Create(*contents, std::move(settings));
  if (!authenticator.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("JWKS file ", path, ": ", authenticator.status().message()));
  }
  return authenticator;
}

absl::StatusOr<User> FirstAcceptingAuthenticator::VerifyToken(absl::string_view token) const {
  absl::Status last = absl::UnauthenticatedError("Invalid token");
  for (const auto& authenticator : chain_) {
    absl::StatusOr<User> user = authenticator->Authenticate(absl::StrCat("Bearer ", token));
    if (user.ok()) return user;
    last = user.status();
  }
  return last;
}

}  // namespace larder::auth
