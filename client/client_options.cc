#include "client/client_options.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace larder::client {
namespace {

void FillFrom(std::string& field, const char* variable,
              const std::function<const char*(const char*)>& getenv) {
  if (!field.empty()) return;
  if (const char* value = getenv(variable); value != nullptr) field = value;
}

// Reads `path` into `pem` when a path is given; `name` is the option, for the message.
absl::Status ReadInto(const std::string& path, std::string& pem, const char* name,
                      const char* alternative) {
  if (path.empty()) return absl::OkStatus();
  if (!pem.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("give ", name, " or ", alternative, ", not both"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", name, " ", path));
  std::ostringstream text;
  text << in.rdbuf();
  pem = text.str();
  return absl::OkStatus();
}

}  // namespace

void ApplyTlsEnvironment(ClientOptions& options,
                         const std::function<const char*(const char*)>& getenv) {
  if (!options.tls) {
    if (const char* value = getenv(kTlsEnv); value != nullptr) {
      const std::string text = absl::AsciiStrToLower(value);
      options.tls = text == "1" || text == "true" || text == "yes";
    }
  }
  FillFrom(options.ca_file, kCaFileEnv, getenv);
  FillFrom(options.cert_file, kCertFileEnv, getenv);
  FillFrom(options.key_file, kKeyFileEnv, getenv);
  FillFrom(options.server_name, kServerNameEnv, getenv);
}

absl::Status ResolveTlsFiles(ClientOptions& options) {
  if (absl::Status read = ReadInto(options.ca_file, options.ca_pem, "ca_file", "ca_pem");
      !read.ok()) {
    return read;
  }
  if (absl::Status read = ReadInto(options.cert_file, options.cert_pem, "cert_file", "cert_pem");
      !read.ok()) {
    return read;
  }
  if (absl::Status read = ReadInto(options.key_file, options.key_pem, "key_file", "key_pem");
      !read.ok()) {
    return read;
  }
  if (options.cert_pem.empty() != options.key_pem.empty()) {
    return absl::InvalidArgumentError(
        "a client certificate needs its key: give cert_file and key_file together");
  }
  if (!options.ca_pem.empty() || !options.cert_pem.empty()) options.tls = true;
  return absl::OkStatus();
}

}  // namespace larder::client
