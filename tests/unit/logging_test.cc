// The structured logger, redaction and the observability flags: lines parse as JSON (with
// protobuf's strict JSON parser) whatever bytes the client chose, text lines stay one line,
// levels filter, and secrets never reach a log.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "server/config_log.h"
#include "server/observability/logger.h"
#include "server/observability/redact.h"
#include "server/server_config.h"

namespace larder::observability {
namespace {

google::protobuf::Struct ParseJsonLine(const std::string& line) {
  google::protobuf::Struct parsed;
  INFO(line);
  REQUIRE(google::protobuf::util::JsonStringToMessage(line, &parsed).ok());
  return parsed;
}

absl::Time FixedTime() { return absl::FromUnixMicros(1764932400123456); }

struct Captured {
  std::vector<std::string> lines;
  Logger::Sink sink() {
    return [this](absl::string_view line) { lines.emplace_back(line); };
  }
};

TEST_CASE("JSON log lines parse, carry time, level, message and typed fields", "[logging]") {
  Captured out;
  Logger logger(LogFormat::kJson, LogLevel::kInfo, out.sink(), FixedTime);
  logger.Log(LogLevel::kInfo, "call",
             {{"method", "feast.registry.RegistryServer/GetEntity"},
              {"latency_ms", 1.5},
              {"revision", int64_t{42}},
              {"slow", false}});
  REQUIRE(out.lines.size() == 1);
  CHECK(out.lines[0].back() == '\n');
  CHECK(out.lines[0].find('\n') == out.lines[0].size() - 1);  // one line
  google::protobuf::Struct line = ParseJsonLine(out.lines[0]);
  const auto& f = line.fields();
  CHECK(f.at("time").string_value() == "2025-12-05T11:00:00.123456Z");
  CHECK(f.at("level").string_value() == "info");
  CHECK(f.at("msg").string_value() == "call");
  CHECK(f.at("method").string_value() == "feast.registry.RegistryServer/GetEntity");
  CHECK(f.at("latency_ms").number_value() == 1.5);
  CHECK(f.at("revision").number_value() == 42);
  CHECK(f.at("slow").bool_value() == false);
}

TEST_CASE("Client-chosen bytes cannot break a JSON or text log line", "[logging]") {
  const std::string hostile = std::string("a\"b\\c\nd\te\x01 \xff\xc3(") + "\xe2\x82\xac";
  Logger json(LogFormat::kJson, LogLevel::kDebug, nullptr, FixedTime);
  const std::string line = json.Format(LogLevel::kInfo, "call", {{"request_id", hostile}});
  CHECK(line.find('\n') == std::string::npos);
  google::protobuf::Struct parsed = ParseJsonLine(line);
  // Valid UTF-8 (the euro sign) is kept; invalid bytes become U+FFFD.
  CHECK(parsed.fields().at("request_id").string_value() ==
        "a\"b\\c\nd\te\x01 \xef\xbf\xbd\xef\xbf\xbd(\xe2\x82\xac");

  Logger text(LogFormat::kText, LogLevel::kDebug, nullptr, FixedTime);
  const std::string text_line =
      text.Format(LogLevel::kWarning, "call", {{"request_id", hostile}, {"code", "OK"}});
  CHECK(text_line.find('\n') == std::string::npos);
  CHECK(text_line.rfind("2025-12-05T11:00:00.123Z WARNING call request_id=\"a\\\"b", 0) == 0);
  CHECK(text_line.find(" code=OK") != std::string::npos);
}

TEST_CASE("Lines below the configured level are dropped", "[logging]") {
  Captured out;
  Logger logger(LogFormat::kText, LogLevel::kWarning, out.sink(), FixedTime);
  logger.Log(LogLevel::kDebug, "debug");
  logger.Log(LogLevel::kInfo, "info");
  logger.Log(LogLevel::kWarning, "warning");
  logger.Log(LogLevel::kError, "error");
  REQUIRE(out.lines.size() == 2);
  CHECK(out.lines[0].find("WARNING warning") != std::string::npos);
  CHECK(out.lines[1].find("ERROR error") != std::string::npos);
  CHECK_FALSE(logger.enabled(LogLevel::kInfo));
}

TEST_CASE("Log levels and formats parse, and bad ones are refused", "[logging]") {
  CHECK(*ParseLogLevel("debug") == LogLevel::kDebug);
  CHECK(*ParseLogLevel("WARN") == LogLevel::kWarning);
  CHECK(*ParseLogLevel("error") == LogLevel::kError);
  CHECK(absl::IsInvalidArgument(ParseLogLevel("loud").status()));
  CHECK(*ParseLogFormat("json") == LogFormat::kJson);
  CHECK(*ParseLogFormat("text") == LogFormat::kText);
  CHECK(absl::IsInvalidArgument(ParseLogFormat("xml").status()));
}

TEST_CASE("Database URLs are logged without their password or secret parameters", "[logging]") {
  CHECK(RedactUrl("postgresql://larder:s3cr3t@db:5432/registry") ==
        "postgresql://larder:***@db:5432/registry");
  CHECK(RedactUrl("mysql://u:p@ss:word@h/d") == "mysql://u:***@h/d");
  CHECK(RedactUrl("postgresql://db/registry?user=a&password=hunter2&sslmode=require") ==
        "postgresql://db/registry?user=a&password=***&sslmode=require");
  CHECK(RedactUrl("postgresql://larder@db/registry") == "postgresql://larder@db/registry");
  CHECK(RedactUrl("sqlite:///larder.db") == "sqlite:///larder.db");
  CHECK(RedactUrl("/var/lib/larder.db") == "/var/lib/larder.db");
  CHECK(RedactUrl("user:pw@somewhere") == "***");
}

TEST_CASE("The start-up configuration line names settings but no secret", "[logging]") {
  auto config = ParseServerConfig({"serve", "--db=postgresql://larder:topsecret@db/reg",
                                   "--auth-tokens=/etc/larder/tokens.yaml"},
                                  [](const char*) -> const char* { return nullptr; });
  REQUIRE(config.ok());
  Captured out;
  Logger logger(LogFormat::kJson, LogLevel::kInfo, out.sink(), FixedTime);
  LogStartupConfig(logger, *config);
  REQUIRE(out.lines.size() == 1);
  CHECK(out.lines[0].find("topsecret") == std::string::npos);
  google::protobuf::Struct line = ParseJsonLine(out.lines[0]);
  CHECK(line.fields().at("db").string_value() == "postgresql://larder:***@db/reg");
  CHECK(line.fields().at("auth_tokens_file").string_value() == "/etc/larder/tokens.yaml");
}

TEST_CASE("Observability, drain and TLS flags parse and are checked", "[config]") {
  auto none = [](const char*) -> const char* { return nullptr; };
  auto config = ParseServerConfig(
      {"--log-format=text", "--log-level=warning", "--slow-call-ms=250", "--drain-seconds=0",
       "--tls-cert=c.pem", "--tls-key=k.pem", "--tls-client-ca=ca.pem"},
      none);
  REQUIRE(config.ok());
  CHECK(config->log_format == "text");
  CHECK(config->log_level == "warning");
  CHECK(config->slow_call_ms == 250);
  CHECK(config->drain_seconds == 0);
  CHECK(config->tls_enabled());
  CHECK(config->tls_client_ca_file == "ca.pem");
  auto defaults = ParseServerConfig({}, none);
  REQUIRE(defaults.ok());
  CHECK(defaults->drain_seconds == 5);
  CHECK(defaults->log_format.empty());  // decided by whether stderr is a terminal
  CHECK(absl::IsInvalidArgument(ParseServerConfig({"--log-format=xml"}, none).status()));
  CHECK(absl::IsInvalidArgument(ParseServerConfig({"--log-level=loud"}, none).status()));
  CHECK(absl::IsInvalidArgument(ParseServerConfig({"--drain-seconds=-1"}, none).status()));
  CHECK(absl::IsInvalidArgument(ParseServerConfig({"--tls-cert=c.pem"}, none).status()));
  CHECK(absl::IsInvalidArgument(ParseServerConfig({"--tls-client-ca=ca.pem"}, none).status()));
}

}  // namespace
}  // namespace larder::observability
