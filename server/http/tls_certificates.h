#pragma once

#include <openssl/ssl.h>

#include <memory>

#include "server/tls/tls_reloader.h"

namespace larder::http {

// Sets up the HTTPS listener's TLS from a TlsReloader: every handshake takes the certificate,
// key and (under mutual TLS) client CA the reloader serves at that moment, so a reload (file
// change or SIGHUP) reaches the next connection at once; open connections keep theirs.
// Thread-safe.
class TlsCertificates {
 public:
  // `reloader` is shared with the gRPC listener and main's SIGHUP handling.
  explicit TlsCertificates(std::shared_ptr<tls::TlsReloader> reloader)
      : reloader_(std::move(reloader)) {}

  // Sets up an httplib SSLServer's context: certificates chosen per handshake, client
  // verification when a client CA is set. Returns false when the context cannot be set up.
  bool Configure(SSL_CTX& context);

 private:
  static int SelectCertificate(SSL* ssl, void* self);

  const std::shared_ptr<tls::TlsReloader> reloader_;
};

}  // namespace larder::http
