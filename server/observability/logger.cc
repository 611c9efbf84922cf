#include "server/observability/logger.h"

#include <unistd.h>

#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/observability/json_text.h"

namespace larder::observability {
namespace {

// A text-format value: bare when it is a simple token, otherwise as a JSON string, so a value
// with spaces or quotes still reads back unambiguously.
void AppendTextValue(std::string& out, absl::string_view value) {
  bool bare = !value.empty();
  for (char c : value) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '=' || c == '\\' ||
        static_cast<unsigned char>(c) >= 0x7F) {
      bare = false;
      break;
    }
  }
  if (bare) {
    out.append(value.data(), value.size());
  } else {
    AppendJsonString(out, value);
  }
}

std::string RealText(double value) {
  if (!std::isfinite(value)) return "0";  // JSON has no NaN or infinity
  return absl::StrFormat("%.3f", value);
}

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "debug") return LogLevel::kDebug;
  if (lower == "info") return LogLevel::kInfo;
  if (lower == "warning" || lower == "warn") return LogLevel::kWarning;
  if (lower == "error") return LogLevel::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("--log-level must be debug, info, warning or error, not '", name, "'"));
}

absl::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view name) {
  if (name == "json") return LogFormat::kJson;
  if (name == "text") return LogFormat::kText;
  return absl::InvalidArgumentError(
      absl::StrCat("--log-format must be json or text, not '", name, "'"));
}

Logger::Logger(LogFormat format, LogLevel level, Sink sink, std::function<absl::Time()> now)
    : format_(format),
      level_(level),
      sink_(std::move(sink)),
      now_(now ? std::move(now) : [] { return absl::Now(); }) {}

Logger::Sink Logger::StderrSink() {
  return [](absl::string_view line) {
    // One write per line: a line from another writer of stderr is never spliced into it.
    while (!line.empty()) {
      const ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
      if (n <= 0) return;
      line.remove_prefix(static_cast<size_t>(n));
    }
  };
}

LogFormat Logger::DefaultFormat() {
  return isatty(STDERR_FILENO) ? LogFormat::kText : LogFormat::kJson;
}

std::string Logger::Format(LogLevel level, absl::string_view message,
                           std::initializer_list<LogField> fields) const {
  const absl::Time now = now_();
  std::string line;
  if (format_ == LogFormat::kJson) {
    line = absl::StrCat("{\"time\":\"",
                        absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", now, absl::UTCTimeZone()),
                        "\",\"level\":\"", LogLevelName(level), "\",\"msg\":");
    AppendJsonString(line, message);
    for (const LogField& field : fields) {
      line.push_back(',');
      AppendJsonString(line, field.key);
      line.push_back(':');
      switch (field.type) {
        case LogField::Type::kString:
          AppendJsonString(line, field.text);
          break;
        case LogField::Type::kInteger:
          absl::StrAppend(&line, field.integer);
          break;
        case LogField::Type::kReal:
          line.append(RealText(field.real));
          break;
        case LogField::Type::kBool:
          line.append(field.boolean ? "true" : "false");
          break;
      }
    }
    line.push_back('}');
    return line;
  }
  line = absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now, absl::UTCTimeZone()), " ",
                      absl::AsciiStrToUpper(LogLevelName(level)), " ", message);
  for (const LogField& field : fields) {
    absl::StrAppend(&line, " ", field.key, "=");
    switch (field.type) {
      case LogField::Type::kString:
        AppendTextValue(line, field.text);
        break;
      case LogField::Type::kInteger:
        absl::StrAppend(&line, field.integer);
        break;
      case LogField::Type::kReal:
        line.append(RealText(field.real));
        break;
      case LogField::Type::kBool:
        line.append(field.boolean ? "true" : "false");
        break;
    }
  }
  return line;
}

void Logger::Log(LogLevel level, absl::string_view message,
                 std::initializer_list<LogField> fields) const {
  if (!enabled(level)) return;
  std::string line = Format(level, message, fields);
  line.push_back('\n');
  absl::MutexLock lock(&mu_);
  sink_(line);
}

}  // namespace larder::observability
