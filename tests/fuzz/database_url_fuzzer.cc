// Fuzzes --db URL parsing (ParseDatabaseUrl) and the redaction used in logs and errors: a parsed
// URL's Redacted() form must never contain its password, and an error (printed at start-up)
// must not repeat what sits where a password would (between "scheme://user:" and the last '@').
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
    const size_t scheme_end = text.find("://");
    if (scheme_end != absl::string_view::npos) {
      const absl::string_view authority = text.substr(scheme_end + 3);
      const size_t at = authority.rfind('@');
      const size_t colon = authority.find(':');
      if (at != absl::string_view::npos && colon < at) {
        // ":<password>@" as written: no fixed part of a message looks like that.
        const absl::string_view password = authority.substr(colon, at - colon + 1);
        if (password.size() > 2 && absl::StrContains(url.status().message(), password)) abort();
      }
    }
    return 0;
  }
  const std::string redacted = url->Redacted();
  // The password as written (":<password>@"); the user or database may equal it, and "***" may
  // contain it, so the bare password is no evidence.
  if (!url->password.empty() && absl::StrContains(redacted, ":" + url->password + "@")) abort();
  if (url->port < 0 || url->port > 65535) abort();
  return 0;
}
