// Fuzzes --db URL parsing (ParseDatabaseUrl) and the redaction used in logs and errors: a parsed
// URL's Redacted() form must never contain its password.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/match.h"
#include "storage/database_url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto url = larder::storage::ParseDatabaseUrl(text);
  if (!url.ok()) {
    if (url.status().code() != absl::StatusCode::kInvalidArgument) abort();
    return 0;
  }
  const std::string redacted = url->Redacted();
  // "***" is what replaces the password, so a password that is a substring of it is not a leak.
  if (url->password.size() > 3 && absl::StrContains(redacted, url->password)) abort();
  if (url->port < 0 || url->port > 65535) abort();
  return 0;
}
