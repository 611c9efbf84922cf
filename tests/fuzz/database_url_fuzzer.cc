// Fuzzes --db URL parsing (ParseDatabaseUrl) and the redaction used in logs and errors: a parsed
// URL's Redacted() form must never contain its password, and an error (printed at start-up)
// must not depend on what sits where a password would (between "scheme://user:" and '@').
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
    // The message must not depend on the password: the same URL with another password of the
    // same length (and no separator in it, so the URL keeps its shape) gives the same message.
    const size_t scheme_end = text.find("://");
    if (scheme_end != absl::string_view::npos) {
      const size_t authority = scheme_end + 3;
      const size_t at = text.rfind('@');
      const size_t colon = text.find(':', authority);
      if (at != absl::string_view::npos && at > authority && colon < at &&
          text.substr(colon + 1, at - colon - 1).find_first_of("/@:?") == absl::string_view::npos) {
        std::string other(text);
        for (size_t i = colon + 1; i < at; ++i) other[i] = other[i] == 'Q' ? 'R' : 'Q';
        auto again = larder::storage::ParseDatabaseUrl(other);
        if (again.ok() || again.status().message() != url.status().message()) abort();
      }
    }
    return 0;
  }
  const std::string redacted = url->Redacted();
  // The password as written (":<password>@"); the user or database may equal it, so the bare
  // password is no evidence (nor is a password that is itself "***").
  if (!url->password.empty() && url->password != "***" &&
      absl::StrContains(redacted, ":" + url->password + "@")) {
    abort();
  }
  if (url->port < 0 || url->port > 65535) abort();
  return 0;
}
