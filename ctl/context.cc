#include "ctl/context.h"

#include <fstream>
#include <ostream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace larder::ctl {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", what, " ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// gRPC's connection errors run to several lines of resolver detail; the first line says it.
std::string FirstLine(absl::string_view text) {
  std::string line(text.substr(0, text.find('\n')));
  return line;
}

}  // namespace

absl::StatusOr<client::RegistryClient*> Context::Client() {
  if (client_ != nullptr) return client_.get();
  client::ClientOptions options;
  options.addresses = absl::StrSplit(options_.address, ',', absl::SkipWhitespace());
  options.deadline = absl::Seconds(options_.timeout_s);
  // A person waits for the answer: fail over and retry briefly, then say what is wrong.
  options.max_attempts = 3;
  std::string token = options_.token;
  if (!options_.token_file.empty()) {
    absl::StatusOr<std::string> read = ReadFile(options_.token_file, "token file");
    if (!read.ok()) return read.status();
    token = std::string(absl::StripAsciiWhitespace(*read));
  }
  if (!token.empty()) options.token_provider = [token] { return token; };
  // The client reads the files (and names a missing one); the flags have the options' names.
  options.tls = options_.tls;
  options.ca_file = options_.ca_file;
  options.cert_file = options_.cert_file;
  options.key_file = options_.key_file;
  options.server_name = options_.server_name;
  absl::StatusOr<std::unique_ptr<client::RegistryClient>> made =
      client::RegistryClient::Create(std::move(options));
  if (!made.ok()) return made.status();
  client_ = std::move(*made);
  return client_.get();
}

int Context::Fail(const absl::Status& status) {
  int code = kExitError;
  std::string message;
  if (absl::IsUnavailable(status)) {
    // gRPC's text nests resolver and socket detail; its last part says why ("Connection
    // refused", "Deadline Exceeded").
    std::string why = FirstLine(status.message());
    const size_t colon = why.rfind(": ");
    if (colon != std::string::npos) why = why.substr(colon + 2);
    message = absl::StrCat("cannot reach larder at ", options_.address, ": ", why);
    // A server that requires client certificates (mutual TLS) ends the handshake of a client
    // without one, which gRPC only reports as a closed socket.
    const bool tls = options_.tls || !options_.ca_file.empty();
    if (tls && options_.cert_file.empty() && absl::StrContains(why, "Socket closed")) {
      absl::StrAppend(&message,
                      " (a server that requires a client certificate closes the connection: "
                      "give --cert-file and --key-file)");
    }
  } else if (std::optional<v1::VersionConflicts> conflicts = client::VersionConflictsOf(status)) {
    code = kExitConflict;
    std::vector<std::string> parts;
    for (const v1::VersionConflict& c : conflicts->conflicts()) {
      parts.push_back(absl::StrCat(c.kind(), " ", c.name(), " is at version ", c.actual_version(),
                                   ", expected ", c.expected_version()));
    }
    message = absl::StrCat("conflict, nothing applied: ", absl::StrJoin(parts, "; "));
  } else if (std::optional<v1::RevisionConflict> revision = client::RevisionConflictOf(status)) {
    code = kExitConflict;
    message =
        absl::StrCat("conflict, nothing applied: the registry is at revision ",
                     revision->actual_revision(), ", expected ", revision->expected_revision());
  } else if (absl::IsAborted(status)) {
    // A write that met another one and committed nothing (e.g. import's revision pin).
    code = kExitConflict;
    message = absl::StrCat("conflict: ", FirstLine(status.message()));
  } else if (absl::IsUnauthenticated(status) || absl::IsPermissionDenied(status)) {
    message = absl::StrCat("not allowed: ", FirstLine(status.message()));
  } else {
    message = FirstLine(status.message());
    if (message.empty()) message = status.ToString();
  }
  err_ << "larderctl: error: " << message << "\n";
  return code;
}

}  // namespace larder::ctl
