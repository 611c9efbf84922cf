// larderctl: the registry from a terminal and from CI (docs/cli.md).
#include <CLI/CLI.hpp>

#include <iostream>

#include "ctl/commands.h"
#include "ctl/context.h"

int main(int argc, char** argv) {
  larder::ctl::Context ctx(std::cout, std::cerr);
  CLI::App app{"larderctl: look at, change, back up and roll back a Larder registry", "larderctl"};
  app.set_version_flag("--version", LARDER_VERSION);
  // Global options may come after the subcommand too (`larderctl list fv -o json`).
  app.fallthrough();
  app.require_subcommand(1);
  larder::ctl::GlobalOptions& options = ctx.options();
  app.add_option("--addr", options.address,
                 "server address host:port (several: comma-separated replicas)")
      ->envname("LARDER_ADDR")
      ->capture_default_str();
  app.add_option("--token", options.token, "bearer token")->envname("LARDER_TOKEN");
  app.add_option("--token-file", options.token_file, "file holding the bearer token");
  app.add_option("-o,--output", options.output, "output format: table, json or yaml")
      ->capture_default_str();
  // The TLS options have the C++ client's and the Python package's names, and read the same
  // environment variables (docs/auth.md).
  app.add_flag("--tls", options.tls, "connect with TLS (system roots unless --ca-file)")
      ->envname(larder::client::kTlsEnv);
  app.add_option("--ca-file", options.ca_file,
                 "PEM roots to verify the server with (implies --tls)")
      ->envname(larder::client::kCaFileEnv);
  app.add_option("--cert-file", options.cert_file, "PEM client certificate (mutual TLS)")
      ->envname(larder::client::kCertFileEnv);
  app.add_option("--key-file", options.key_file, "PEM client key (mutual TLS)")
      ->envname(larder::client::kKeyFileEnv);
  // --tls-server-name: the name before the options were made the same in every client.
  app.add_option("--server-name,--tls-server-name", options.server_name,
                 "name the server certificate must carry, when not the address")
      ->envname(larder::client::kServerNameEnv);
  app.add_option("--timeout", options.timeout_s, "seconds each call may take")
      ->capture_default_str();

  larder::ctl::AddReadCommands(app, ctx);
  larder::ctl::AddHistoryCommands(app, ctx);
  larder::ctl::AddWriteCommands(app, ctx);
  larder::ctl::AddFileRegistryCommands(app, ctx);
  larder::ctl::AddMaterializeCommands(app, ctx);
  larder::ctl::AddCompletionCommand(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end the parse with exit code 0; usage errors are plain errors.
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "larderctl: error: " << e.what() << " (see larderctl --help)\n";
    return larder::ctl::kExitError;
  }
  return ctx.exit_code();
}
