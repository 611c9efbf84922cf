#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace larder::observability {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };
// kJson: one JSON object per line (for collectors); kText: `time LEVEL message key=value ...`
// (for people at a terminal).
enum class LogFormat { kJson, kText };

// "debug", "info", "warning" (or "warn"), "error"; INVALID_ARGUMENT otherwise.
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view name);
absl::string_view LogLevelName(LogLevel level);
// "json" or "text"; INVALID_ARGUMENT otherwise.
absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view name);

// One key and value on a log line. Holds views: the values must outlive the Log call.
struct LogField {
  enum class Type { kString, kInteger, kReal, kBool };
  LogField(absl::string_view k, absl::string_view v) : key(k), type(Type::kString), text(v) {}
  LogField(absl::string_view k, const char* v) : key(k), type(Type::kString), text(v) {}
  LogField(absl::string_view k, const std::string& v) : key(k), type(Type::kString), text(v) {}
  LogField(absl::string_view k, int64_t v) : key(k), type(Type::kInteger), integer(v) {}
  LogField(absl::string_view k, int v) : key(k), type(Type::kInteger), integer(v) {}
  LogField(absl::string_view k, double v) : key(k), type(Type::kReal), real(v) {}
  LogField(absl::string_view k, bool v) : key(k), type(Type::kBool), boolean(v) {}

  absl::string_view key;
  Type type;
  absl::string_view text;
  int64_t integer = 0;
  double real = 0;
  bool boolean = false;
};

// Writes log lines, each whole (one line per event, never interleaved with another thread's),
// in the configured format, dropping those below the configured level. There is no global
// logger: main() makes one and hands it (as a pointer that must outlive the user) to what logs.
// Thread-safe.
class Logger {
 public:
  // Receives one complete line, newline included.
  using Sink = std::function<void(absl::string_view line)>;
  // `now` is the clock stamped on lines (tests fix it); default absl::Now.
  Logger(LogFormat format, LogLevel level, Sink sink, std::function<absl::Time()> now = nullptr);
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // A sink writing to standard error.
  static Sink StderrSink();
  // JSON unless standard error is a terminal (then text): what to use without --log-format.
  static LogFormat DefaultFormat();

  bool enabled(LogLevel level) const { return level >= level_; }
  LogFormat format() const { return format_; }
  // Writes `message` with `fields` (keys should be unique and not "time", "level" or "msg").
  void Log(LogLevel level, absl::string_view message,
           std::initializer_list<LogField> fields = {}) const;

  // The line Log would write, without its newline (exposed for tests).
  std::string Format(LogLevel level, absl::string_view message,
                     std::initializer_list<LogField> fields) const;

 private:
  const LogFormat format_;
  const LogLevel level_;
  const Sink sink_;
  const std::function<absl::Time()> now_;
  mutable absl::Mutex mu_;  // one line at a time into the sink
};

}  // namespace larder::observability
