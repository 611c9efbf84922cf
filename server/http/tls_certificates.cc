#include "server/http/tls_certificates.h"

#include <openssl/err.h>
#include <openssl/x509.h>

namespace larder::http {

int TlsCertificates::SelectCertificate(SSL* ssl, void* self) {
  std::shared_ptr<const tls::TlsMaterial> material =
      static_cast<TlsCertificates*>(self)->reloader_->Current();
  // Each call below takes its own references, so the material may be replaced afterwards.
  if (SSL_use_cert_and_key(ssl, material->certificate(), material->key(), material->intermediates(),
                           /*override=*/1) != 1) {
    return 0;
  }
  if (material->client_ca_store() != nullptr) {
    // The client CA of this moment verifies the client's certificate, and its names are the
    // ones the server asks for.
    if (SSL_set1_verify_cert_store(ssl, material->client_ca_store()) != 1) return 0;
    STACK_OF(X509_NAME)* names = SSL_dup_CA_list(material->client_ca_names());
    if (names == nullptr) return 0;
    SSL_set_client_CA_list(ssl, names);
  }
  return 1;
}

bool TlsCertificates::Configure(SSL_CTX& context) {
  SSL_CTX_set_min_proto_version(&context, TLS1_2_VERSION);
  SSL_CTX_set_cert_cb(&context, &TlsCertificates::SelectCertificate, this);
  if (reloader_->Current()->client_ca_store() != nullptr) {
    // Which CA verifies is set per handshake (SelectCertificate); requiring a certificate is
    // set here, once.
    SSL_CTX_set_verify(&context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return true;
}

}  // namespace larder::http
