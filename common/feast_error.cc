#include "common/feast_error.h"

#include <map>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/utf8.h"

namespace larder {
namespace {

constexpr absl::string_view kFeastClassPayload = "type.larder.dev/feast-exception-class";

// Decodes one UTF-8 code point at `i`; invalid bytes decode as U+FFFD, one byte at a time.
// Overlong forms, surrogates (U+D800..U+DFFF) and values above U+10FFFF are invalid too: written
// as \uXXXX they would be lone or bogus surrogates, which no JSON reader (ours included) turns
// back into text.
uint32_t NextCodePoint(absl::string_view s, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  const int extra = lead < 0x80           ? 0
                    : (lead >> 5) == 0x6  ? 1
                    : (lead >> 4) == 0xe  ? 2
                    : (lead >> 3) == 0x1e ? 3
                                          : -1;
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
  constexpr uint32_t kSmallest[] = {0, 0x80, 0x800, 0x10000};  // per number of extra bytes
  if (cp < kSmallest[extra] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
    ++i;
    return 0xfffd;
  }
  i += extra + 1;
  return cp;
}

// Python json.dumps of a string (ASCII-only output, \uXXXX escapes), including the quotes.
std::string PythonJsonString(absl::string_view utf8) {
  std::string out = "\"";
  for (size_t i = 0; i < utf8.size();) {
    const uint32_t cp = NextCodePoint(utf8, i);
    switch (cp) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      default:
        break;
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

// A tiny reader for the one JSON shape Feast sends: a flat object of string values.
class FlatJsonReader {
 public:
  explicit FlatJsonReader(absl::string_view text) : s_(text) {}

  std::optional<std::map<std::string, std::string>> ReadObject() {
    std::map<std::string, std::string> fields;
    SkipSpace();
    if (!Consume('{')) return std::nullopt;
    SkipSpace();
    if (Consume('}')) return fields;
    while (true) {
      std::optional<std::string> key = ReadString();
      SkipSpace();
      if (!key || !Consume(':')) return std::nullopt;
      SkipSpace();
      std::optional<std::string> value = ReadString();
      if (!value) return std::nullopt;
      fields[*key] = *value;
      SkipSpace();
      if (Consume('}')) break;
      if (!Consume(',')) return std::nullopt;
      SkipSpace();
    }
    SkipSpace();
    if (pos_ != s_.size()) return std::nullopt;
    return fields;
  }

 private:
  void SkipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Consume(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::optional<uint32_t> ReadHex4() {
    if (pos_ + 4 > s_.size()) return std::nullopt;
    pos_ += 4;
    return common::ParseHex4(s_.substr(pos_ - 4, 4));
  }

  std::optional<std::string> ReadString() {
    if (!Consume('"')) return std::nullopt;
    std::string out;
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) return std::nullopt;
      const char e = s_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          std::optional<uint32_t> cp = ReadHex4();
          if (!cp) return std::nullopt;
          // A surrogate pair encodes one astral character.
          if (*cp >= 0xd800 && *cp < 0xdc00 && pos_ + 6 <= s_.size() && s_[pos_] == '\\' &&
              s_[pos_ + 1] == 'u') {
            pos_ += 2;
            std::optional<uint32_t> low = ReadHex4();
            if (!low || *low < 0xdc00 || *low >= 0xe000) return std::nullopt;
            cp = 0x10000 + ((*cp - 0xd800) << 10) + (*low - 0xdc00);
          }
          common::AppendUtf8(*cp, out);
          break;
        }
        default:
          return std::nullopt;
      }
    }
    return std::nullopt;
  }

  absl::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

absl::Status FeastError(absl::StatusCode code, absl::string_view feast_class,
                        absl::string_view message) {
  absl::Status status(code, message);
  status.SetPayload(kFeastClassPayload, absl::Cord(feast_class));
  return status;
}

std::optional<std::string> FeastClassOf(const absl::Status& status) {
  auto payload = status.GetPayload(kFeastClassPayload);
  if (!payload.has_value()) return std::nullopt;
  return std::string(*payload);
}

std::string FeastErrorDetailsJson(absl::string_view feast_class, absl::string_view message) {
  return absl::StrCat("{\"module\": \"feast.errors\", \"class\": ", PythonJsonString(feast_class),
                      ", \"message\": ", PythonJsonString(message), "}");
}

std::optional<FeastErrorDetails> ParseFeastErrorDetails(absl::string_view details) {
  std::optional<std::map<std::string, std::string>> fields = FlatJsonReader(details).ReadObject();
  if (!fields) return std::nullopt;
  auto module = fields->find("module"), feast_class = fields->find("class"),
       message = fields->find("message");
  if (module == fields->end() || feast_class == fields->end() || message == fields->end()) {
    return std::nullopt;
  }
  return FeastErrorDetails{module->second, feast_class->second, message->second};
}

}  // namespace larder
