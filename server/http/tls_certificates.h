#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace larder::http {

// The certificate and key the HTTPS listener presents, re-read from their files so a rotated
// certificate is served without a restart: on the first handshake after `reload_interval`
// has passed, and at once after Reload() (SIGHUP). A pair that does not load or match (one file
// replaced, the other not yet) is ignored and the previous pair kept. With a client CA, clients
// must present a certificate it signed (read once, at start-up). Thread-safe.
class TlsCertificates {
 public:
  struct Files {
    std::string certificate_chain;  // PEM, the server's certificate first
    std::string private_key;
    std::string client_ca;  // non-empty: clients must present a certificate it signed
    absl::Duration reload_interval = absl::Seconds(10);
  };

  // Reads and checks the files: INVALID_ARGUMENT naming the flag when they do not load.
  static absl::StatusOr<std::shared_ptr<TlsCertificates>> Load(Files files);
  ~TlsCertificates();

  // Sets up an httplib SSLServer's context: certificates chosen per handshake, client
  // verification when a client CA is set. Returns false when the context cannot be set up.
  bool Configure(SSL_CTX& context);
  // Makes the next handshake re-read the files.
  void Reload();

 private:
  struct Pair;
  explicit TlsCertificates(Files files) : files_(std::move(files)) {}
  static int SelectCertificate(SSL* ssl, void* self);
  // The files as they are now; an error naming the flag when they do not load or match.
  static absl::StatusOr<std::shared_ptr<const Pair>> ReadPair(const Files& files);
  std::shared_ptr<const Pair> Current();

  const Files files_;
  std::mutex mutex_;
  std::shared_ptr<const Pair> pair_;  // guarded by mutex_
  absl::Time next_check_;             // guarded by mutex_
};

}  // namespace larder::http
