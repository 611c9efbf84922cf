#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace larder {

enum class Command { kServe, kMigrate, kHelp };

// Everything `larder` is told on its command line and in its environment.
struct ServerConfig {
  Command command = Command::kServe;
  // ./larder.db (SQLAlchemy's reading: relative); overridden by LARDER_DB, then --db
  std::string db_url = "sqlite:///larder.db";
  std::string listen_address = "0.0.0.0:6570";  // Feast's registry port; LARDER_ADDR, --addr
  bool migrate = false;                         // serve: apply pending migrations first
  int64_t max_message_bytes = 256LL << 20;      // LARDER_MAX_MESSAGE_BYTES, --max-message-bytes
  int max_db_connections = 16;                  // --db-connections
  int cache_poll_ms = 1000;  // --cache-poll-ms: how often the snapshot catches up (0: never)

  // Authentication (docs/auth.md); with neither file every call is allowed, as Feast's no_auth.
  std::string auth_tokens_file;  // --auth-tokens: static bearer tokens
  std::string auth_jwks_file;    // --auth-jwks: OIDC JWTs verified against this JWKS
  std::string auth_issuer;       // --auth-issuer: required `iss` of JWTs (empty: any)
  std::string auth_audience;     // --auth-audience: required `aud` of JWTs (empty: any)
  std::string auth_client_id;    // --auth-client-id: whose resource_access roles JWTs grant
  // --default-project: Feast's configured project, whose permissions govern RPCs without one.
  std::string default_project;
  // --clock-file: for tests, the server's clock reads the time from this file (unix
  // microseconds) instead of the system clock, so a test moves time instead of sleeping.
  std::string clock_file;

  // --revision-order=sequenced|locked (docs/consistency.md, "Revision order").
  bool sequence_revisions = true;
  // --staged-apply=on|off: hold Feast's commit=false writes until the client's commit and apply
  // them in one transaction (docs/feast-compatibility.md, "Atomic feast apply").
  bool staged_apply = true;
  // --staged-apply-timeout-s: an uncommitted apply idle this long is discarded.
  int staged_apply_timeout_s = 900;

  // --history-retention=DURATION: compact the change log's entries older than this (each
  // object's last state is kept, so as-of reads inside the window stay exact). Zero: keep all.
  absl::Duration history_retention = absl::ZeroDuration();
  // --history-compact-interval-s: how often a replica compacts (when retention is set).
  int history_compact_interval_s = 600;

  // --materialization-job-retention=DURATION: finished materialization jobs (and their tasks)
  // are removed this long after they finished (docs/materialization.md, "Job history"). Zero:
  // keep all. Accepts days ("30d") besides Go-style durations.
  absl::Duration materialization_job_retention = absl::Hours(30 * 24);
  // --materialization-job-sweep-interval-s: how often a replica removes them.
  int materialization_job_sweep_interval_s = 600;

  // --http-addr (env LARDER_HTTP_ADDR): the HTTP listener for Feast's REST API, the web UI,
  // /metrics, /healthz and /readyz (docs/http.md); Feast's REST registry port. Empty: no HTTP.
  std::string http_address = "0.0.0.0:6572";
  // --http-cors-origins=A,B: origins allowed to read the HTTP API cross-origin ("*": any).
  std::vector<std::string> http_cors_origins;
  // --ui-dir (env LARDER_UI_DIR): the Feast web UI's build folder, served at /. Empty: the
  // installed build (share/larder/ui), when there is one.
  std::string ui_dir;

  // Logs (docs/operations-observability.md): --log-format=json|text (empty: JSON unless stderr
  // is a terminal), --log-level=debug|info|warning|error, --slow-call-ms (calls slower than
  // this are logged as warnings with "slow": true).
  std::string log_format;
  std::string log_level = "info";
  int slow_call_ms = 1000;

  // --drain-seconds: after SIGTERM the server reports NOT_SERVING but keeps answering this
  // long, so load balancers move traffic away before it stops accepting calls.
  int drain_seconds = 5;
  // --shutdown-grace-seconds: then how long in-flight calls get to finish before they are
  // cancelled.
  int shutdown_grace_seconds = 10;

  // TLS (docs/auth.md): --tls-cert and --tls-key serve TLS; --tls-client-ca also requires
  // client certificates signed by that CA. The files are re-read when they change.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // --tls-reload-interval-s: how often the TLS files are checked for changes.
  int tls_reload_interval_s = 10;

  bool tls_enabled() const { return !tls_cert_file.empty(); }
  bool auth_enabled() const { return !auth_tokens_file.empty() || !auth_jwks_file.empty(); }
};

// Usage text for --help and for errors.
std::string UsageText();

// Parses `larder [serve|migrate] [--flag=value|--flag value ...]` with environment defaults
// (`getenv` is passed in so tests control it). INVALID_ARGUMENT names the offending argument.
absl::StatusOr<ServerConfig> ParseServerConfig(const std::vector<std::string>& args,
                                               const char* (*getenv)(const char*));

}  // namespace larder
