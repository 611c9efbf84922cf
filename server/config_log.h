#pragma once

#include "server/observability/logger.h"
#include "server/server_config.h"

namespace larder {

// Logs the configuration the server starts with, one line, secrets redacted: the database
// URL's password (and secret query parameters) become "***"; tokens, keys and JWKS appear only
// as the paths of their files, never their contents.
void LogStartupConfig(const observability::Logger& logger, const ServerConfig& config);

}  // namespace larder
