#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"

namespace larder::grpc_edge {

// The files a TLS listener serves from (PEM).
struct TlsFiles {
  std::string certificate_chain;  // the server's certificate (and intermediates)
  std::string private_key;
  std::string client_ca;  // non-empty: mutual TLS, client certificates must chain to this CA
  unsigned int reload_interval_s = 10;
};

// Server credentials that serve `files` and re-read them every reload_interval_s (so a rotated
// certificate is served without a restart; write the new key and certificate atomically, e.g.
// by swapping a directory symlink as Kubernetes does for mounted Secrets). With a client CA,
// clients must present a certificate it signed (unexpired), or the handshake fails.
// Before handing out credentials the files are read and checked once, so a missing file, a
// file that is not PEM or a key that does not match the certificate is a clear start-up error
// (INVALID_ARGUMENT naming the file) instead of every handshake failing later.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> TlsServerCredentials(
    const TlsFiles& files);

}  // namespace larder::grpc_edge
