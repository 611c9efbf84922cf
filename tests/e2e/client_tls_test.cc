// The C++ client's TLS options (client/client_options.h) against the real binary: the same
// names as larderctl's flags and the Python package's keywords (ca_file, cert_file, key_file,
// server_name), the same environment variables, and clear errors for files that are missing.
// Certificates are made with the openssl command line; the tests skip without it.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "client/registry_client.h"
#include "tests/e2e/server_process.h"
#include "tests/support/temp_dir.h"

namespace larder::testing {
namespace {

bool Run(const std::string& command) {
  // In a subshell, so a redirection inside `command` still writes its file.
  return std::system(("(" + command + ") >/dev/null 2>&1").c_str()) == 0;
}

// A CA and, signed by it, a server certificate for 127.0.0.1 and localhost and a client
// certificate for CN=cpp-client; plus an unrelated CA. Empty when openssl is missing.
struct Pki {
  explicit Pki(const TempDir& dir) : dir(dir) {
    const std::string d = dir.path();
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes ";
    ok = Run("openssl req -x509" + ec + "-keyout " + d + "/ca.key -out " + d +
             "/ca.pem -days 2 -subj /CN=cpp-test-ca") &&
         Run("openssl req -x509" + ec + "-keyout " + d + "/other-ca.key -out " + d +
             "/other-ca.pem -days 2 -subj /CN=other-ca") &&
         Run("openssl req -new" + ec + "-keyout " + d + "/server.key -out " + d +
             "/server.csr -subj /CN=localhost") &&
         Run("printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n' "
             "> " +
             d + "/server.ext") &&
         Run("openssl x509 -req -in " + d + "/server.csr -CA " + d + "/ca.pem -CAkey " + d +
             "/ca.key -CAcreateserial -days 1 -extfile " + d + "/server.ext -out " + d +
             "/server.pem") &&
         Run("openssl req -new" + ec + "-keyout " + d + "/client.key -out " + d +
             "/client.csr -subj /CN=cpp-client") &&
         Run("printf 'extendedKeyUsage=clientAuth\\n' > " + d + "/client.ext") &&
         Run("openssl x509 -req -in " + d + "/client.csr -CA " + d + "/ca.pem -CAkey " + d +
             "/ca.key -CAcreateserial -days 1 -extfile " + d + "/client.ext -out " + d +
             "/client.pem");
  }
  std::string File(const std::string& name) const { return dir.File(name); }
  const TempDir& dir;
  bool ok = false;
};

// Sets TMPDIR for the servers this test starts, restoring it afterwards.
class TmpdirFor {
 public:
  explicit TmpdirFor(const std::string& dir) {
    if (const char* old = std::getenv("TMPDIR")) old_ = old;
    setenv("TMPDIR", dir.c_str(), 1);
  }
  ~TmpdirFor() {
    if (old_.has_value()) {
      setenv("TMPDIR", old_->c_str(), 1);
    } else {
      unsetenv("TMPDIR");
    }
  }

 private:
  std::optional<std::string> old_;
};

// The server's private copies of the TLS files under `dir` (docs/observability.md).
std::vector<std::filesystem::path> StagingDirs(const std::string& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind("larder-tls-", 0) == 0) out.push_back(entry.path());
  }
  return out;
}

client::ClientOptions Options(const ServerProcess& server) {
  client::ClientOptions options;
  options.addresses = {server.address()};
  options.max_attempts = 1;
  options.deadline = absl::Seconds(5);
  return options;
}

absl::Status ServerInfo(client::ClientOptions options) {
  absl::StatusOr<std::unique_ptr<client::RegistryClient>> made =
      client::RegistryClient::Create(std::move(options));
  if (!made.ok()) return made.status();
  return (*made)->GetServerInfo().status();
}

TEST_CASE("C++ client: TLS with ca_file, the environment, server_name and clear errors",
          "[e2e][tls]") {
  TempDir dir;
  Pki pki(dir);
  if (!pki.ok) {
    WARN("SKIPPED: openssl cannot make certificates");
    return;
  }
  TempDir scratch;
  TmpdirFor tmpdir(scratch.path());
  ServerProcess server({"serve", "--addr=127.0.0.1:0", "--db=sqlite:///" + dir.File("r.db"),
                        "--tls-cert=" + pki.File("server.pem"),
                        "--tls-key=" + pki.File("server.key")});
  REQUIRE(server.Start());
  // The copy gRPC reads is private to the server's user.
  std::vector<std::filesystem::path> staged = StagingDirs(scratch.path());
  REQUIRE(staged.size() == 1);
  CHECK((std::filesystem::status(staged[0]).permissions() & std::filesystem::perms::all) ==
        std::filesystem::perms::owner_all);

  client::ClientOptions with_ca = Options(server);
  with_ca.ca_file = pki.File("ca.pem");  // implies tls
  CHECK(ServerInfo(with_ca).ToString() == "OK");

  // The certificate names localhost too: server_name checks against it instead of the IP.
  client::ClientOptions named = with_ca;
  named.server_name = "localhost";
  CHECK(ServerInfo(named).ToString() == "OK");
  named.server_name = "registry.example.test";
  CHECK(absl::IsUnavailable(ServerInfo(named)));

  // The environment variables larderctl and the Python package read too.
  std::map<std::string, std::string> environment = {{"LARDER_CA_FILE", pki.File("ca.pem")}};
  auto getenv = [&environment](const char* name) -> const char* {
    auto found = environment.find(name);
    return found == environment.end() ? nullptr : found->second.c_str();
  };
  client::ClientOptions from_environment = Options(server);
  client::ApplyTlsEnvironment(from_environment, getenv);
  CHECK(from_environment.ca_file == pki.File("ca.pem"));
  CHECK(ServerInfo(from_environment).ToString() == "OK");
  // An option set in code wins over the environment.
  client::ClientOptions explicit_ca = Options(server);
  explicit_ca.ca_file = pki.File("other-ca.pem");
  client::ApplyTlsEnvironment(explicit_ca, getenv);
  CHECK(explicit_ca.ca_file == pki.File("other-ca.pem"));
  absl::Status refused = ServerInfo(explicit_ca);
  CHECK(absl::IsUnavailable(refused));
  CHECK_THAT(std::string(refused.message()),
             Catch::Matchers::Contains("CERTIFICATE_VERIFY_FAILED") ||
                 Catch::Matchers::Contains("certificate verify failed"));

  // PEM text in memory instead of a file.
  client::ClientOptions in_memory = Options(server);
  in_memory.tls = true;
  {
    std::ifstream in(pki.File("ca.pem"));
    std::stringstream text;
    text << in.rdbuf();
    in_memory.ca_pem = text.str();
  }
  CHECK(ServerInfo(in_memory).ToString() == "OK");

  client::ClientOptions plaintext = Options(server);
  CHECK(absl::IsUnavailable(ServerInfo(plaintext)));

  client::ClientOptions missing = Options(server);
  missing.ca_file = dir.File("nope.pem");
  absl::Status not_read = ServerInfo(missing);
  CHECK(absl::IsInvalidArgument(not_read));
  CHECK_THAT(std::string(not_read.message()), Catch::Matchers::Contains("ca_file"));
  CHECK_THAT(std::string(not_read.message()), Catch::Matchers::Contains("nope.pem"));

  client::ClientOptions half = with_ca;
  half.cert_file = pki.File("client.pem");
  absl::Status no_key = ServerInfo(half);
  CHECK(absl::IsInvalidArgument(no_key));
  CHECK_THAT(std::string(no_key.message()), Catch::Matchers::Contains("key_file"));

  // A clean stop removes the private copy.
  CHECK(server.Stop(SIGINT) == 0);
  CHECK(StagingDirs(scratch.path()).empty());
}

TEST_CASE("C++ client: mutual TLS with cert_file and key_file", "[e2e][tls]") {
  TempDir dir;
  Pki pki(dir);
  if (!pki.ok) {
    WARN("SKIPPED: openssl cannot make certificates");
    return;
  }
  ServerProcess server({"serve", "--addr=127.0.0.1:0", "--db=sqlite:///" + dir.File("r.db"),
                        "--tls-cert=" + pki.File("server.pem"),
                        "--tls-key=" + pki.File("server.key"),
                        "--tls-client-ca=" + pki.File("ca.pem")});
  REQUIRE(server.Start());

  client::ClientOptions options = Options(server);
  options.ca_file = pki.File("ca.pem");
  CHECK(absl::IsUnavailable(ServerInfo(options)));  // no client certificate
  options.cert_file = pki.File("client.pem");
  options.key_file = pki.File("client.key");
  CHECK(ServerInfo(options).ToString() == "OK");

  std::map<std::string, std::string> environment = {{"LARDER_TLS", "1"},
                                                    {"LARDER_CA_FILE", pki.File("ca.pem")},
                                                    {"LARDER_CERT_FILE", pki.File("client.pem")},
                                                    {"LARDER_KEY_FILE", pki.File("client.key")}};
  client::ClientOptions from_environment = Options(server);
  client::ApplyTlsEnvironment(from_environment, [&environment](const char* name) -> const char* {
    auto found = environment.find(name);
    return found == environment.end() ? nullptr : found->second.c_str();
  });
  CHECK(from_environment.tls);
  CHECK(ServerInfo(from_environment).ToString() == "OK");
}

}  // namespace
}  // namespace larder::testing
