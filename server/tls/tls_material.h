#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace larder::tls {

// Where a TLS listener's files are (PEM), as the operator gave them.
struct TlsFiles {
  std::string certificate_chain;  // --tls-cert: the server's certificate, intermediates after it
  std::string private_key;        // --tls-key (unencrypted)
  std::string client_ca;          // --tls-client-ca; non-empty: mutual TLS
};

// One complete, checked set of TLS files: their text and the parsed OpenSSL objects, which
// this object owns (and frees). Immutable once read, so it is shared between threads freely.
class TlsMaterial {
 public:
  TlsMaterial(const TlsMaterial&) = delete;
  TlsMaterial& operator=(const TlsMaterial&) = delete;
  ~TlsMaterial();

  // Reads the files and checks what a handshake would otherwise only report, vaguely, for
  // every client: each file can be read and holds PEM, the key matches the certificate, the
  // client CA (when given) holds a certificate. Returns INVALID_ARGUMENT naming the flag and
  // the file otherwise.
  static absl::StatusOr<std::shared_ptr<const TlsMaterial>> Read(const TlsFiles& files);

  // Whether `other` was read from files with the same contents.
  bool SameFilesAs(const TlsMaterial& other) const;

  const std::string& chain_pem() const { return chain_pem_; }
  const std::string& key_pem() const { return key_pem_; }
  const std::string& client_ca_pem() const { return client_ca_pem_; }

  X509* certificate() const { return certificate_; }
  STACK_OF(X509) * intermediates() const { return intermediates_; }
  EVP_PKEY* key() const { return key_; }
  // Null without a client CA.
  X509_STORE* client_ca_store() const { return client_ca_store_; }
  STACK_OF(X509_NAME) * client_ca_names() const { return client_ca_names_; }

  // What the logs say about the served certificate: its subject, serial number (hex), expiry
  // and SHA-256 fingerprint (hex, as `openssl x509 -fingerprint -sha256` without colons).
  const std::string& subject() const { return subject_; }
  const std::string& serial() const { return serial_; }
  const std::string& not_after() const { return not_after_; }
  const std::string& sha256() const { return sha256_; }

 private:
  TlsMaterial() = default;

  std::string chain_pem_, key_pem_, client_ca_pem_;
  X509* certificate_ = nullptr;
  STACK_OF(X509) * intermediates_ = nullptr;
  EVP_PKEY* key_ = nullptr;
  X509_STORE* client_ca_store_ = nullptr;
  STACK_OF(X509_NAME) * client_ca_names_ = nullptr;
  std::string subject_, serial_, not_after_, sha256_;
};

}  // namespace larder::tls
