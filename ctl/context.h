#pragma once

// What every larderctl command shares: the global options, the client built from them (on first
// use), the output streams, and how a failure becomes one line and an exit code.

#include <iosfwd>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/registry_client.h"
#include "ctl/output.h"

namespace larder::ctl {

// Documented exit codes (docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitPlanHasChanges = 2;  // --dry-run --detailed-exitcode
inline constexpr int kExitConflict = 3;

struct GlobalOptions {
  std::string address = "localhost:6570";
  std::string token;
  std::string token_file;
  std::string output = "table";
  // TLS: the client's options under the same names (client/client_options.h).
  bool tls = false;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;
  double timeout_s = 30;
};

class Context {
 public:
  Context(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}

  GlobalOptions& options() { return options_; }
  // The client for --addr (created on first use).
  absl::StatusOr<client::RegistryClient*> Client();
  // The -o format (INVALID_ARGUMENT for an unknown one).
  absl::StatusOr<Format> OutputFormat() const { return ParseFormat(options_.output); }

  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }

  // Prints `status` as one line on stderr and returns its exit code: 3 for a version or
  // revision conflict, 1 otherwise.
  int Fail(const absl::Status& status);

  // Records a command's outcome (reporting a failure) as the process exit code.
  void Finish(const absl::StatusOr<int>& result) {
    exit_code_ = result.ok() ? *result : Fail(result.status());
  }
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_ = kExitOk;
  GlobalOptions options_;
  std::unique_ptr<client::RegistryClient> client_;
  std::ostream& out_;
  std::ostream& err_;
};

// A command's outcome: an exit code, or the error Context::Fail reports.
using CommandResult = absl::StatusOr<int>;

}  // namespace larder::ctl
