#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace larder::client {

// How a RegistryClient reaches and talks to Larder (or any Feast registry server).
struct ClientOptions {
  // One or more replicas; calls go to one at a time and move to the next after UNAVAILABLE.
  std::vector<std::string> addresses;
  // Deadline of each attempt.
  absl::Duration deadline = absl::Seconds(10);
  // Attempts per call (1 = no retries), with jittered exponential backoff between them.
  int max_attempts = 6;
  absl::Duration initial_backoff = absl::Milliseconds(20);
  absl::Duration max_backoff = absl::Seconds(1);
  // Called before every attempt; a non-empty result is sent as `authorization: Bearer <token>`.
  std::function<std::string()> token_provider;
  // TLS: off by default (plaintext, as Feast's default registry server). The same names as
  // larderctl's flags (--tls, --ca-file, ...) and the Python package's keywords, and the same
  // environment variables through ApplyTlsEnvironment (docs/auth.md).
  bool tls = false;         // TLS, verified with the system roots unless ca_file is given
  std::string ca_file;      // PEM roots to verify the server with (implies tls)
  std::string cert_file;    // PEM client certificate: mutual TLS (implies tls; needs key_file)
  std::string key_file;     // its PEM private key
  std::string server_name;  // the name the server certificate must carry, when not the address
  // In-memory alternatives to ca_file, cert_file and key_file (e.g. from a secret store); a
  // file and its alternative together are INVALID_ARGUMENT.
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
  // Every call carries a random request id (metadata x-larder-request-id), the same on each of
  // its attempts. Larder records it with the change and answers a retry of a request that
  // already committed without applying it again, so with this on, ApplyMaterialization is
  // retried after UNAVAILABLE too. Feast's Python server ignores the header: turn it off there.
  bool server_deduplicates_requests = true;
};

// The environment variables every Larder client reads for its TLS options (larderctl through
// its flags, the Python package in LarderClient), named after the options.
inline constexpr char kTlsEnv[] = "LARDER_TLS";  // "1"/"true"/"yes": tls = true
inline constexpr char kCaFileEnv[] = "LARDER_CA_FILE";
inline constexpr char kCertFileEnv[] = "LARDER_CERT_FILE";
inline constexpr char kKeyFileEnv[] = "LARDER_KEY_FILE";
inline constexpr char kServerNameEnv[] = "LARDER_SERVER_NAME";

// Fills the TLS options `options` leaves unset from those variables, read through `getenv`
// (std::getenv in a program; a fake in tests).
void ApplyTlsEnvironment(ClientOptions& options,
                         const std::function<const char*(const char*)>& getenv);

// Checks the TLS options and reads the files into ca_pem, cert_pem and key_pem, turning tls on
// when any is set. INVALID_ARGUMENT naming the option when a file cannot be read, a file and
// its in-memory alternative are both given, or a client certificate comes without its key (or
// the other way round).
absl::Status ResolveTlsFiles(ClientOptions& options);

}  // namespace larder::client
