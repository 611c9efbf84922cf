#include "server/server_config.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace larder {

std::string UsageText() {
  return R"(usage: larder [serve|migrate] [flags]

commands:
  serve     run the Feast registry gRPC server (default)
  migrate   apply pending schema migrations to the database and exit

flags:
  --db=URL                 registry database (env LARDER_DB; default sqlite:///larder.db,
                           the file larder.db in the working directory)
                           sqlite:///relative/path.db | sqlite:////absolute/path.db |
                           a plain file path | postgresql://user:pass@host:port/db |
                           mysql://user:pass@host:port/db
                           (SQLite URLs read as in SQLAlchemy/Feast: three slashes, then a
                           path relative to the working directory; four for an absolute one)
  --addr=HOST:PORT         listen address (env LARDER_ADDR; default 0.0.0.0:6570);
                           port 0 picks a free port, printed at start-up
  --http-addr=HOST:PORT    HTTP listener: Feast's REST registry API under /api/v1, /metrics,
                           /healthz, /readyz (env LARDER_HTTP_ADDR; default 0.0.0.0:6572;
                           empty: no HTTP; port 0 picks a free port, printed at start-up)
  --http-cors-origins=A,B  origins allowed to call the HTTP API from a browser ("*": any;
                           default: none, no CORS headers)
  --ui-dir=DIR             the Feast web UI's build folder, served at / over HTTP (env
                           LARDER_UI_DIR; default: the installed share/larder/ui)
  --migrate                serve: apply pending migrations before serving
  --max-message-bytes=N    largest request/response (env LARDER_MAX_MESSAGE_BYTES;
                           default 268435456)
  --db-connections=N       database connection pool size, and as many worker threads for calls
                           that may wait on it (default 16)
  --cache-poll-ms=N        how often the allow_cache snapshot applies other replicas' changes
                           (default 1000; 0: only on Refresh and local writes); on PostgreSQL
                           a commit's NOTIFY also applies them at once, the poll is the fallback
  --revision-order=sequenced|locked  how writes get change-log revisions on PostgreSQL:
                           numbered after COMMIT by a short serialized step, so writes commit
                           in parallel (default), or at COMMIT under one lock
                           (docs/consistency.md); SQLite and MySQL always number at COMMIT
  --staged-apply=on|off    hold Feast's commit=false writes until the client commits, then
                           apply them in one transaction: `feast apply` all-or-nothing
                           (default on; off writes each at once, as Feast's SQL registry)
  --staged-apply-timeout-s=N  discard an uncommitted apply idle this long (default 900)
  --history-retention=DUR  compact change-log entries older than DUR (e.g. 2160h); as-of
                           reads inside the window stay exact (default 0: keep everything)
  --history-compact-interval-s=N  how often to compact when retention is set (default 600)
  --materialization-job-retention=DUR  remove materialization jobs (and their tasks) this
                           long after they finished, e.g. 30d or 72h (default 30d; 0: keep
                           all); the intervals they recorded on feature views stay
  --materialization-job-sweep-interval-s=N  how often to remove them (default 600)
  --auth-tokens=FILE       require a bearer token from FILE on every call (docs/auth.md)
  --auth-jwks=FILE         require an OIDC RS256 JWT signed by a key in this JWKS file
  --auth-issuer=ISS        JWTs must carry this `iss` (default: not checked)
  --auth-audience=AUD      JWTs must carry this `aud` (default: not checked)
  --auth-client-id=ID      JWT roles also come from resource_access.ID.roles
  --default-project=NAME   Feast's project: its permissions govern calls that name none
                           (GetProject, ListProjects, DeleteProject, Commit, Proto)
  --tls-cert=FILE          serve TLS with this PEM certificate chain (needs --tls-key); the
                           files are re-read when they change (and on SIGHUP)
  --tls-key=FILE           the PEM private key of --tls-cert
  --tls-client-ca=FILE     mutual TLS: require client certificates signed by this CA; a
                           client's certificate CN is the caller when it sends no token
  --tls-reload-interval-s=N  how often the TLS files are checked for changes (default 10)
  --log-format=json|text   log format (default: json, or text when stderr is a terminal)
  --log-level=LEVEL        debug, info, warning or error (default info: one line per call)
  --slow-call-ms=N         log calls slower than N ms as warnings with "slow" (default 1000)
  --drain-seconds=N        after SIGTERM report NOT_SERVING but keep serving N seconds before
                           refusing new calls (default 5; env LARDER_DRAIN_SECONDS)
  --shutdown-grace-seconds=N  then give in-flight calls N seconds to finish (default 10)
  --clock-file=FILE        tests only: server time (timestamps it writes) is read from FILE,
                           an integer of unix microseconds, instead of the system clock
  --help                   this text
)";
}

namespace {
// The flags that take a plain string, or nullptr.
std::string* StringFlag(ServerConfig& config, absl::string_view flag) {
  if (flag == "--auth-tokens") return &config.auth_tokens_file;
  if (flag == "--auth-jwks") return &config.auth_jwks_file;
  if (flag == "--auth-issuer") return &config.auth_issuer;
  if (flag == "--auth-audience") return &config.auth_audience;
  if (flag == "--auth-client-id") return &config.auth_client_id;
  if (flag == "--default-project") return &config.default_project;
  if (flag == "--clock-file") return &config.clock_file;
  if (flag == "--tls-cert") return &config.tls_cert_file;
  if (flag == "--tls-key") return &config.tls_key_file;
  if (flag == "--tls-client-ca") return &config.tls_client_ca_file;
  if (flag == "--log-format") return &config.log_format;
  if (flag == "--log-level") return &config.log_level;
  if (flag == "--ui-dir") return &config.ui_dir;
  return nullptr;
}

// The flags that take a non-negative integer, or nullptr.
int* CountFlag(ServerConfig& config, absl::string_view flag) {
  if (flag == "--slow-call-ms") return &config.slow_call_ms;
  if (flag == "--drain-seconds") return &config.drain_seconds;
  if (flag == "--shutdown-grace-seconds") return &config.shutdown_grace_seconds;
  if (flag == "--tls-reload-interval-s") return &config.tls_reload_interval_s;
  return nullptr;
}

// A retention period: "30d" (whole days, what operators think in) or any absl duration
// ("720h", "90m", "0"). False for anything else or a negative one.
bool ParseRetention(absl::string_view text, absl::Duration& out) {
  int64_t days = 0;
  if (absl::EndsWith(text, "d") && absl::SimpleAtoi(text.substr(0, text.size() - 1), &days)) {
    if (days < 0 || days > 100 * 365) return false;
    out = absl::Hours(24 * days);
    return true;
  }
  absl::Duration parsed;
  if (!absl::ParseDuration(text, &parsed) || parsed < absl::ZeroDuration()) return false;
  out = parsed;
  return true;
}
}  // namespace

absl::StatusOr<ServerConfig> ParseServerConfig(const std::vector<std::string>& args,
                                               const char* (*getenv)(const char*)) {
  ServerConfig config;
  if (const char* db = getenv("LARDER_DB"); db != nullptr && *db != '\0') config.db_url = db;
  if (const char* addr = getenv("LARDER_ADDR"); addr != nullptr && *addr != '\0') {
    config.listen_address = addr;
  }
  if (const char* ui = getenv("LARDER_UI_DIR"); ui != nullptr && *ui != '\0') config.ui_dir = ui;
  // Set but empty turns HTTP off, as --http-addr= does.
  if (const char* http = getenv("LARDER_HTTP_ADDR"); http != nullptr) config.http_address = http;
  if (const char* drain = getenv("LARDER_DRAIN_SECONDS"); drain != nullptr && *drain != '\0') {
    if (!absl::SimpleAtoi(drain, &config.drain_seconds) || config.drain_seconds < 0) {
      return absl::InvalidArgumentError("LARDER_DRAIN_SECONDS must be a number of seconds >= 0");
    }
  }
  if (const char* max = getenv("LARDER_MAX_MESSAGE_BYTES"); max != nullptr && *max != '\0') {
    if (!absl::SimpleAtoi(max, &config.max_message_bytes) || config.max_message_bytes <= 0 ||
        config.max_message_bytes > INT32_MAX) {
      return absl::InvalidArgumentError("LARDER_MAX_MESSAGE_BYTES must be in 1..2147483647");
    }
  }

  size_t i = 0;
  if (i < args.size() && !absl::StartsWith(args[i], "-")) {
    if (args[i] == "serve") {
      config.command = Command::kServe;
    } else if (args[i] == "migrate") {
      config.command = Command::kMigrate;
    } else if (args[i] == "help") {
      config.command = Command::kHelp;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown command '", args[i], "'"));
    }
    ++i;
  }
  for (; i < args.size(); ++i) {
    std::string flag = args[i], value;
    bool has_value = false;
    if (const size_t eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag.resize(eq);
      has_value = true;
    }
    auto take_value = [&]() -> absl::StatusOr<std::string> {
      if (has_value) return value;
      if (i + 1 >= args.size()) return absl::InvalidArgumentError(flag + " needs a value");
      return args[++i];
    };
    if (flag == "--help" || flag == "-h") {
      config.command = Command::kHelp;
    } else if (flag == "--migrate") {
      if (has_value && value != "true" && value != "false") {
        return absl::InvalidArgumentError("--migrate takes no value, or true/false");
      }
      config.migrate = !has_value || value == "true";
    } else if (flag == "--db" || flag == "--addr" || flag == "--max-message-bytes" ||
               flag == "--db-connections" || flag == "--cache-poll-ms") {
      absl::StatusOr<std::string> v = take_value();
      if (!v.ok()) return v.status();
      if (flag == "--db") {
        config.db_url = *v;
      } else if (flag == "--addr") {
        config.listen_address = *v;
      } else if (flag == "--max-message-bytes") {
        if (!absl::SimpleAtoi(*v, &config.max_message_bytes) || config.max_message_bytes <= 0 ||
            config.max_message_bytes > INT32_MAX) {
          return absl::InvalidArgumentError("--max-message-bytes must be in 1..2147483647");
        }
      } else if (flag == "--cache-poll-ms") {
        if (!absl::SimpleAtoi(*v, &config.cache_poll_ms) || config.cache_poll_ms < 0) {
          return absl::InvalidArgumentError("--cache-poll-ms must be 0 or more");
        }
      } else if (!absl::SimpleAtoi(*v, &config.max_db_connections) ||
                 config.max_db_connections <= 0) {
        return absl::InvalidArgumentError("--db-connections must be a positive number");
      }
    } else if (flag == "--http-addr" || flag == "--http-cors-origins") {
      absl::StatusOr<std::string> v = take_value();
      if (!v.ok()) return v.status();
      if (flag == "--http-addr") {
        if (!v->empty() && v->rfind(':') == std::string::npos) {
          return absl::InvalidArgumentError("--http-addr must be HOST:PORT (or empty: no HTTP)");
        }
        config.http_address = *v;
      } else {
        config.http_cors_origins.clear();
        for (absl::string_view origin : absl::StrSplit(*v, ',', absl::SkipWhitespace())) {
          config.http_cors_origins.emplace_back(absl::StripAsciiWhitespace(origin));
        }
      }
    } else if (flag == "--history-retention" || flag == "--history-compact-interval-s") {
      absl::StatusOr<std::string> v = take_value();
      if (!v.ok()) return v.status();
      if (flag == "--history-retention") {
        if (!absl::ParseDuration(*v, &config.history_retention) ||
            config.history_retention < absl::ZeroDuration()) {
          return absl::InvalidArgumentError(
              "--history-retention must be a duration such as 720h or 90m (0: keep everything)");
        }
      } else if (!absl::SimpleAtoi(*v, &config.history_compact_interval_s) ||
                 config.history_compact_interval_s <= 0) {
        return absl::InvalidArgumentError("--history-compact-interval-s must be a positive number");
      }
    } else if (flag == "--materialization-job-retention" ||
               flag == "--materialization-job-sweep-interval-s") {
      absl::StatusOr<std::string> v = take_value();
      if (!v.ok()) return v.status();
      if (flag == "--materialization-job-retention") {
        if (!ParseRetention(*v, config.materialization_job_retention)) {
          return absl::InvalidArgumentError(
              "--materialization-job-retention must be a duration such as 30d or 72h (0: keep "
              "all jobs)");
        }
      } else if (!absl::SimpleAtoi(*v, &config.materialization_job_sweep_interval_s) ||
                 config.materialization_job_sweep_interval_s <= 0) {
        return absl::InvalidArgumentError(
            "--materialization-job-sweep-interval-s must be a positive number");
      }
    } else if (flag == "--revision-order") {
      absl::StatusOr<std::string> v = take_value();
      if (!v.ok()) return v.status();
      if (*v != "sequenced" && *v != "locked") {
        return absl::InvalidArgumentError("--revision-order must be sequenced or locked");
      }
      config.sequence_revisions = *v == "sequenced";
    } else if (flag == "--staged-apply" || flag == "--staged-apply-timeout-s") {
      absl::StatusOr<std::string> v = take_value();
      if (!v.ok()) return v.status();
      if (flag == "--staged-apply") {
        if (*v != "on" && *v != "off") {
          return absl::InvalidArgumentError("--staged-apply must be on or off");
        }
        config.staged_apply = *v == "on";
      } else if (!absl::SimpleAtoi(*v, &config.staged_apply_timeout_s) ||
                 config.staged_apply_timeout_s <= 0) {
        return absl::InvalidArgumentError("--staged-apply-timeout-s must be a positive number");
      }
    } else if (int* count = CountFlag(config, flag); count != nullptr) {
      absl::StatusOr<std::string> v = take_value();
      if (!v.ok()) return v.status();
      if (!absl::SimpleAtoi(*v, count) || *count < 0) {
        return absl::InvalidArgumentError(flag + " must be 0 or more");
      }
    } else if (std::string* target = StringFlag(config, flag); target != nullptr) {
      absl::StatusOr<std::string> v = take_value();
      if (!v.ok()) return v.status();
      if (v->empty()) return absl::InvalidArgumentError(flag + " needs a non-empty value");
      *target = *std::move(v);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag '", args[i], "'"));
    }
  }
  if (config.auth_jwks_file.empty() &&
      (!config.auth_issuer.empty() || !config.auth_audience.empty() ||
       !config.auth_client_id.empty())) {
    return absl::InvalidArgumentError(
        "--auth-issuer, --auth-audience and --auth-client-id need --auth-jwks");
  }
  if (!config.log_format.empty() && config.log_format != "json" && config.log_format != "text") {
    return absl::InvalidArgumentError("--log-format must be json or text");
  }
  if (config.log_level != "debug" && config.log_level != "info" && config.log_level != "warning" &&
      config.log_level != "error") {
    return absl::InvalidArgumentError("--log-level must be debug, info, warning or error");
  }
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (!config.tls_client_ca_file.empty() && config.tls_cert_file.empty()) {
    return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
  }
  if (config.tls_reload_interval_s == 0) {
    return absl::InvalidArgumentError("--tls-reload-interval-s must be a positive number");
  }
  return config;
}

}  // namespace larder
