#pragma once

#include <memory>

#include "grpcpp/security/server_credentials.h"
#include "server/tls/tls_reloader.h"

namespace larder::grpc_edge {

// Server credentials that serve the files `reloader` stages (already checked, swapped in whole)
// and re-read them every TlsReloader::kGrpcWatchIntervalSeconds, so a reload reaches new gRPC
// connections within that time. With a client CA, clients must present a certificate it signed
// (unexpired), or the handshake fails.
std::shared_ptr<grpc::ServerCredentials> TlsServerCredentials(const tls::TlsReloader& reloader);

}  // namespace larder::grpc_edge
