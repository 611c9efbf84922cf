#include "server/config_log.h"

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "server/observability/redact.h"

namespace larder {

void LogStartupConfig(const observability::Logger& logger, const ServerConfig& config) {
  const std::string db = observability::RedactUrl(config.db_url);
  const std::string retention = absl::FormatDuration(config.history_retention);
  const std::string job_retention = absl::FormatDuration(config.materialization_job_retention);
  logger.Log(observability::LogLevel::kInfo, "configuration",
             {{"db", db},
              {"addr", config.listen_address},
              {"migrate", config.migrate},
              {"max_message_bytes", config.max_message_bytes},
              {"db_connections", config.max_db_connections},
              {"cache_poll_ms", config.cache_poll_ms},
              {"staged_apply", config.staged_apply},
              {"staged_apply_timeout_s", config.staged_apply_timeout_s},
              {"history_retention", retention},
              {"materialization_job_retention", job_retention},
              {"auth_tokens_file", config.auth_tokens_file},
              {"auth_jwks_file", config.auth_jwks_file},
              {"auth_issuer", config.auth_issuer},
              {"auth_audience", config.auth_audience},
              {"default_project", config.default_project},
              {"tls_cert_file", config.tls_cert_file},
              {"tls_key_file", config.tls_key_file},
              {"tls_client_ca_file", config.tls_client_ca_file},
              {"log_level", config.log_level},
              {"slow_call_ms", config.slow_call_ms},
              {"drain_seconds", config.drain_seconds},
              {"shutdown_grace_seconds", config.shutdown_grace_seconds}});
}

}  // namespace larder
