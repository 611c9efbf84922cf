#include "server/grpc/tls_credentials.h"

#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace larder::grpc_edge {

std::shared_ptr<grpc::ServerCredentials> TlsServerCredentials(const tls::TlsReloader& reloader) {
  const tls::TlsFiles& staged = reloader.staged();
  // gRPC's file watcher is the only way to change a listener's key material in gRPC 1.51's
  // public API; it reads the reloader's private copy, never the operator's files, so a bad
  // rotation never reaches it.
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      staged.private_key, staged.certificate_chain, staged.client_ca,
      tls::TlsReloader::kGrpcWatchIntervalSeconds);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!staged.client_ca.empty()) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace larder::grpc_edge
