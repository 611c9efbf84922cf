#include "server/api/grpc_status.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/registry/feast_errors.h"

namespace larder::api {
namespace {

// Decodes one UTF-8 code point at `i`; invalid bytes decode as U+FFFD, one byte at a time.
uint32_t NextCodePoint(absl::string_view s, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  int extra = lead < 0x80 ? 0 : (lead >> 5) == 0x6 ? 1 : (lead >> 4) == 0xe ? 2
                                                         : (lead >> 3) == 0x1e ? 3 : -1;
  if (extra == 0) {
    ++i;
    return lead;
  }
  if (extra < 0 || i + extra >= s.size()) {
    ++i;
    return 0xfffd;
  }
  uint32_t cp = lead & (0x3f >> extra);
  for (int k = 1; k <= extra; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) {
      ++i;
      return 0xfffd;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  i += extra + 1;
  return cp;
}

}  // namespace

std::string PythonJsonString(absl::string_view utf8) {
  std::string out = "\"";
  for (size_t i = 0; i < utf8.size();) {
    const uint32_t cp = NextCodePoint(utf8, i);
    switch (cp) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      default: break;
    }
    if (cp >= 0x20 && cp < 0x7f) {
      out += static_cast<char>(cp);
    } else if (cp < 0x10000) {
      absl::StrAppendFormat(&out, "\\u%04x", cp);
    } else {  // surrogate pair, as Python writes astral characters
      const uint32_t v = cp - 0x10000;
      absl::StrAppendFormat(&out, "\\u%04x\\u%04x", 0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
    }
  }
  out += "\"";
  return out;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  if (std::optional<std::string> feast_class = registry::FeastClassOf(status)) {
    return grpc::Status(code, absl::StrCat("{\"module\": \"feast.errors\", \"class\": ",
                                           PythonJsonString(*feast_class), ", \"message\": ",
                                           PythonJsonString(status.message()), "}"));
  }
  return grpc::Status(code, std::string(status.message()));
}

}  // namespace larder::api
