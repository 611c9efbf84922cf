#include "server/http/tls_certificates.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"

namespace larder::http {

// One certificate chain and its key, as read together from the files.
struct TlsCertificates::Pair {
  std::string chain_pem, key_pem;  // to tell whether the files changed since
  X509* certificate = nullptr;
  STACK_OF(X509) * intermediates = nullptr;
  EVP_PKEY* key = nullptr;
  Pair() = default;
  Pair(const Pair&) = delete;
  Pair& operator=(const Pair&) = delete;
  ~Pair() {
    X509_free(certificate);
    sk_X509_pop_free(intermediates, X509_free);
    EVP_PKEY_free(key);
  }
};

namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", flag, " ", path));
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};

std::unique_ptr<BIO, BioDeleter> MemoryBio(const std::string& pem) {
  return std::unique_ptr<BIO, BioDeleter>(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

}  // namespace

absl::StatusOr<std::shared_ptr<const TlsCertificates::Pair>> TlsCertificates::ReadPair(
    const Files& files) {
  absl::StatusOr<std::string> chain = ReadFile(files.certificate_chain, "--tls-cert");
  if (!chain.ok()) return chain.status();
  absl::StatusOr<std::string> key = ReadFile(files.private_key, "--tls-key");
  if (!key.ok()) return key.status();
  auto pair = std::make_shared<Pair>();
  pair->chain_pem = *std::move(chain);
  pair->key_pem = *std::move(key);
  auto chain_bio = MemoryBio(pair->chain_pem);
  pair->certificate = PEM_read_bio_X509(chain_bio.get(), nullptr, nullptr, nullptr);
  pair->intermediates = sk_X509_new_null();
  while (X509* next = PEM_read_bio_X509(chain_bio.get(), nullptr, nullptr, nullptr)) {
    sk_X509_push(pair->intermediates, next);
  }
  auto key_bio = MemoryBio(pair->key_pem);
  pair->key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  ERR_clear_error();  // the chain's end-of-file "error", or a real one reported below
  if (pair->certificate == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-cert ", files.certificate_chain, " holds no PEM certificate"));
  }
  if (pair->key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-key ", files.private_key, " holds no (unencrypted) PEM private key"));
  }
  if (X509_check_private_key(pair->certificate, pair->key) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("--tls-key ", files.private_key,
                                                   " does not match the certificate in ",
                                                   files.certificate_chain));
  }
  return std::shared_ptr<const Pair>(std::move(pair));
}

absl::StatusOr<std::shared_ptr<TlsCertificates>> TlsCertificates::Load(Files files) {
  absl::StatusOr<std::shared_ptr<const Pair>> pair = ReadPair(files);
  if (!pair.ok()) return pair.status();
  if (!files.client_ca.empty()) {
    absl::StatusOr<std::string> ca = ReadFile(files.client_ca, "--tls-client-ca");
    if (!ca.ok()) return ca.status();
  }
  std::shared_ptr<TlsCertificates> out(new TlsCertificates(std::move(files)));
  out->pair_ = *std::move(pair);
  out->next_check_ = absl::Now() + out->files_.reload_interval;
  return out;
}

TlsCertificates::~TlsCertificates() = default;

void TlsCertificates::Reload() {
  std::lock_guard<std::mutex> lock(mutex_);
  next_check_ = absl::InfinitePast();
}

std::shared_ptr<const TlsCertificates::Pair> TlsCertificates::Current() {
  std::lock_guard<std::mutex> lock(mutex_);
  const absl::Time now = absl::Now();
  if (now >= next_check_) {
    next_check_ = now + files_.reload_interval;
    // Files that do not load or match yet (a rotation half done) leave the served pair as is.
    absl::StatusOr<std::shared_ptr<const Pair>> read = ReadPair(files_);
    if (read.ok() &&
        ((*read)->chain_pem != pair_->chain_pem || (*read)->key_pem != pair_->key_pem)) {
      pair_ = *std::move(read);
    }
  }
  return pair_;
}

int TlsCertificates::SelectCertificate(SSL* ssl, void* self) {
  std::shared_ptr<const Pair> pair = static_cast<TlsCertificates*>(self)->Current();
  // SSL_use_cert_and_key takes its own references, so the pair may be replaced afterwards.
  return SSL_use_cert_and_key(ssl, pair->certificate, pair->key, pair->intermediates,
                              /*override=*/1) == 1
             ? 1
             : 0;
}

bool TlsCertificates::Configure(SSL_CTX& context) {
  SSL_CTX_set_min_proto_version(&context, TLS1_2_VERSION);
  SSL_CTX_set_cert_cb(&context, &TlsCertificates::SelectCertificate, this);
  if (!files_.client_ca.empty()) {
    if (SSL_CTX_load_verify_locations(&context, files_.client_ca.c_str(), nullptr) != 1) {
      ERR_clear_error();
      return false;
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files_.client_ca.c_str());
    if (names != nullptr) SSL_CTX_set_client_CA_list(&context, names);
    SSL_CTX_set_verify(&context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return true;
}

}  // namespace larder::http
