#include "server/tls/tls_material.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace larder::tls {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", flag, " ", path));
  std::stringstream content;
  content << in.rdbuf();
  if (content.str().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", path, " is empty"));
  }
  return content.str();
}

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};

std::unique_ptr<BIO, BioDeleter> MemoryBio(const std::string& pem) {
  return std::unique_ptr<BIO, BioDeleter>(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

std::string SubjectOf(X509* certificate) {
  char buffer[512];
  X509_NAME_oneline(X509_get_subject_name(certificate), buffer, sizeof(buffer));
  return buffer;
}

std::string SerialOf(X509* certificate) {
  BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr);
  if (number == nullptr) return "";
  char* hex = BN_bn2hex(number);
  std::string out = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  BN_free(number);
  return out;
}

std::string NotAfterOf(X509* certificate) {
  BIO* bio = BIO_new(BIO_s_mem());
  ASN1_TIME_print(bio, X509_get0_notAfter(certificate));
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(size));
  BIO_free(bio);
  return out;
}

std::string Sha256Of(X509* certificate) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (X509_digest(certificate, EVP_sha256(), digest, &size) != 1) return "";
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), static_cast<size_t>(size)));
}

}  // namespace

TlsMaterial::~TlsMaterial() {
  X509_free(certificate_);
  sk_X509_pop_free(intermediates_, X509_free);
  EVP_PKEY_free(key_);
  X509_STORE_free(client_ca_store_);
  sk_X509_NAME_pop_free(client_ca_names_, X509_NAME_free);
}

absl::StatusOr<std::shared_ptr<const TlsMaterial>> TlsMaterial::Read(const TlsFiles& files) {
  std::shared_ptr<TlsMaterial> out(new TlsMaterial());
  absl::StatusOr<std::string> chain = ReadFile(files.certificate_chain, "--tls-cert");
  if (!chain.ok()) return chain.status();
  absl::StatusOr<std::string> key = ReadFile(files.private_key, "--tls-key");
  if (!key.ok()) return key.status();
  out->chain_pem_ = *std::move(chain);
  out->key_pem_ = *std::move(key);

  auto chain_bio = MemoryBio(out->chain_pem_);
  out->certificate_ = PEM_read_bio_X509(chain_bio.get(), nullptr, nullptr, nullptr);
  out->intermediates_ = sk_X509_new_null();
  while (X509* next = PEM_read_bio_X509(chain_bio.get(), nullptr, nullptr, nullptr)) {
    sk_X509_push(out->intermediates_, next);
  }
  auto key_bio = MemoryBio(out->key_pem_);
  out->key_ = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  ERR_clear_error();  // the chain's end-of-file "error", or a real one reported below
  if (out->certificate_ == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-cert ", files.certificate_chain, " holds no PEM certificate"));
  }
  if (out->key_ == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-key ", files.private_key, " holds no (unencrypted) PEM private key"));
  }
  if (X509_check_private_key(out->certificate_, out->key_) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("--tls-key ", files.private_key,
                                                   " does not match the certificate in ",
                                                   files.certificate_chain));
  }

  if (!files.client_ca.empty()) {
    absl::StatusOr<std::string> ca = ReadFile(files.client_ca, "--tls-client-ca");
    if (!ca.ok()) return ca.status();
    out->client_ca_pem_ = *std::move(ca);
    out->client_ca_store_ = X509_STORE_new();
    out->client_ca_names_ = sk_X509_NAME_new_null();
    auto ca_bio = MemoryBio(out->client_ca_pem_);
    while (X509* ca_certificate = PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(out->client_ca_store_, ca_certificate);
      if (X509_NAME* name = X509_NAME_dup(X509_get_subject_name(ca_certificate))) {
        sk_X509_NAME_push(out->client_ca_names_, name);
      }
      X509_free(ca_certificate);  // the store holds its own reference
    }
    ERR_clear_error();
    if (sk_X509_NAME_num(out->client_ca_names_) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--tls-client-ca ", files.client_ca, " holds no PEM certificate"));
    }
  }

  out->subject_ = SubjectOf(out->certificate_);
  out->serial_ = SerialOf(out->certificate_);
  out->not_after_ = NotAfterOf(out->certificate_);
  out->sha256_ = Sha256Of(out->certificate_);
  return std::shared_ptr<const TlsMaterial>(std::move(out));
}

bool TlsMaterial::SameFilesAs(const TlsMaterial& other) const {
  return chain_pem_ == other.chain_pem_ && key_pem_ == other.key_pem_ &&
         client_ca_pem_ == other.client_ca_pem_;
}

}  // namespace larder::tls
