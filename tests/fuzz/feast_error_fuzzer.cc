// Fuzzes the Feast error-JSON codec (common/feast_error.h): parsing arbitrary status details,
// and the encoder against the parser. The input is split in two at its first NUL (class and
// message); then
//  - valid UTF-8 survives FeastErrorDetailsJson -> ParseFeastErrorDetails unchanged;
//  - any bytes, once encoded, are stable: encoding what was parsed back gives the same JSON
//    (invalid UTF-8 becomes U+FFFD once, and stays that).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/feast_error.h"

namespace {

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(absl::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1, cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2, cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  (void)larder::ParseFeastErrorDetails(input);

  const size_t split = input.find('\0');
  const absl::string_view feast_class = input.substr(0, split);
  const absl::string_view message =
      split == absl::string_view::npos ? absl::string_view() : input.substr(split + 1);
  const std::string json = larder::FeastErrorDetailsJson(feast_class, message);
  auto parsed = larder::ParseFeastErrorDetails(json);
  if (!parsed.has_value()) abort();
  if (IsValidUtf8(feast_class) && IsValidUtf8(message) &&
      (parsed->feast_class != feast_class || parsed->message != message)) {
    abort();
  }
  if (larder::FeastErrorDetailsJson(parsed->feast_class, parsed->message) != json) abort();
  return 0;
}
