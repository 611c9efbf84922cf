#include "server/server_config.h"

#include <catch2/catch.hpp>

namespace larder {
namespace {

const char* NoEnv(const char*) { return nullptr; }
const char* SomeEnv(const char* name) {
  if (absl::string_view(name) == "LARDER_DB") return "postgresql://u:p@db:5432/reg";
  if (absl::string_view(name) == "LARDER_ADDR") return "127.0.0.1:7000";
  return nullptr;
}

TEST_CASE("Defaults serve Feast's port on a local SQLite file", "[config]") {
  auto config = ParseServerConfig({}, NoEnv);
  REQUIRE(config.ok());
  CHECK(config->command == Command::kServe);
  CHECK(config->listen_address == "0.0.0.0:6570");
  CHECK(config->db_url == "sqlite:///larder.db");
  CHECK_FALSE(config->migrate);
  CHECK(config->clock_file.empty());  // the system clock
}

TEST_CASE("A clock file (--clock-file) names where a test server reads its time", "[config]") {
  auto config = ParseServerConfig({"serve", "--clock-file=/tmp/clock"}, NoEnv);
  REQUIRE(config.ok());
  CHECK(config->clock_file == "/tmp/clock");
  CHECK(absl::IsInvalidArgument(ParseServerConfig({"serve", "--clock-file="}, NoEnv).status()));
}

TEST_CASE("Flags override the environment, which overrides defaults", "[config]") {
  auto from_env = ParseServerConfig({"serve"}, SomeEnv);
  REQUIRE(from_env.ok());
  CHECK(from_env->db_url == "postgresql://u:p@db:5432/reg");
  CHECK(from_env->listen_address == "127.0.0.1:7000");

  auto flags = ParseServerConfig(
      {"serve", "--db=sqlite:///x.db", "--addr", "127.0.0.1:0", "--migrate"}, SomeEnv);
  REQUIRE(flags.ok());
  CHECK(flags->db_url == "sqlite:///x.db");
  CHECK(flags->listen_address == "127.0.0.1:0");
  CHECK(flags->migrate);

  auto migrate = ParseServerConfig({"migrate", "--db", "mysql://u@h/d"}, NoEnv);
  REQUIRE(migrate.ok());
  CHECK(migrate->command == Command::kMigrate);
}

TEST_CASE("Bad arguments are rejected with the offending argument named", "[config]") {
  auto unknown = ParseServerConfig({"--nope"}, NoEnv);
  REQUIRE_FALSE(unknown.ok());
  CHECK(std::string(unknown.status().message()).find("--nope") != std::string::npos);
  CHECK_FALSE(ParseServerConfig({"frobnicate"}, NoEnv).ok());
  CHECK_FALSE(ParseServerConfig({"--db"}, NoEnv).ok());
  CHECK_FALSE(ParseServerConfig({"--max-message-bytes=-1"}, NoEnv).ok());
}

TEST_CASE("Materialization job retention defaults to 30 days and takes days or durations",
          "[config]") {
  auto defaults = ParseServerConfig({}, NoEnv);
  REQUIRE(defaults.ok());
  CHECK(defaults->materialization_job_retention == absl::Hours(30 * 24));
  CHECK(defaults->materialization_job_sweep_interval_s == 600);
  auto days = ParseServerConfig({"--materialization-job-retention=7d"}, NoEnv);
  REQUIRE(days.ok());
  CHECK(days->materialization_job_retention == absl::Hours(7 * 24));
  auto hours = ParseServerConfig(
      {"--materialization-job-retention", "90m", "--materialization-job-sweep-interval-s=5"},
      NoEnv);
  REQUIRE(hours.ok());
  CHECK(hours->materialization_job_retention == absl::Minutes(90));
  CHECK(hours->materialization_job_sweep_interval_s == 5);
  auto keep_all = ParseServerConfig({"--materialization-job-retention=0"}, NoEnv);
  REQUIRE(keep_all.ok());
  CHECK(keep_all->materialization_job_retention == absl::ZeroDuration());
  for (const char* bad :
       {"--materialization-job-retention=-1d", "--materialization-job-retention=x",
        "--materialization-job-retention=3 days", "--materialization-job-sweep-interval-s=0"}) {
    INFO(bad);
    CHECK(absl::IsInvalidArgument(ParseServerConfig({bad}, NoEnv).status()));
  }
}

TEST_CASE("The HTTP listener defaults to Feast's REST port and turns off when empty", "[config]") {
  auto defaults = ParseServerConfig({}, NoEnv);
  REQUIRE(defaults.ok());
  CHECK(defaults->http_address == "0.0.0.0:6572");
  CHECK(defaults->http_cors_origins.empty());

  auto flag = ParseServerConfig({"--http-addr", "127.0.0.1:0"}, NoEnv);
  REQUIRE(flag.ok());
  CHECK(flag->http_address == "127.0.0.1:0");
  auto off = ParseServerConfig({"--http-addr="}, NoEnv);
  REQUIRE(off.ok());
  CHECK(off->http_address.empty());

  auto env_off = ParseServerConfig({}, [](const char* name) -> const char* {
    return absl::string_view(name) == "LARDER_HTTP_ADDR" ? "" : nullptr;
  });
  REQUIRE(env_off.ok());
  CHECK(env_off->http_address.empty());
  auto env_on = ParseServerConfig({}, [](const char* name) -> const char* {
    return absl::string_view(name) == "LARDER_HTTP_ADDR" ? "127.0.0.1:8080" : nullptr;
  });
  REQUIRE(env_on.ok());
  CHECK(env_on->http_address == "127.0.0.1:8080");
  // The flag wins over the environment.
  auto both = ParseServerConfig({"--http-addr=:9000"}, [](const char* name) -> const char* {
    return absl::string_view(name) == "LARDER_HTTP_ADDR" ? "127.0.0.1:8080" : nullptr;
  });
  REQUIRE(both.ok());
  CHECK(both->http_address == ":9000");

  CHECK(absl::IsInvalidArgument(ParseServerConfig({"--http-addr=nocolon"}, NoEnv).status()));
}

TEST_CASE("CORS origins (--http-cors-origins) are a comma-separated list", "[config]") {
  auto config =
      ParseServerConfig({"--http-cors-origins=https://a.example, https://b.example"}, NoEnv);
  REQUIRE(config.ok());
  CHECK(config->http_cors_origins ==
        std::vector<std::string>{"https://a.example", "https://b.example"});
}

}  // namespace
}  // namespace larder

namespace larder {
namespace {

TEST_CASE("The drain window comes from LARDER_DRAIN_SECONDS unless --drain-seconds says",
          "[config]") {
  auto env = [](const char* name) -> const char* {
    return absl::string_view(name) == "LARDER_DRAIN_SECONDS" ? "0" : nullptr;
  };
  auto from_env = ParseServerConfig({}, env);
  REQUIRE(from_env.ok());
  CHECK(from_env->drain_seconds == 0);
  auto flag_wins = ParseServerConfig({"--drain-seconds=7"}, env);
  REQUIRE(flag_wins.ok());
  CHECK(flag_wins->drain_seconds == 7);
  auto bad = ParseServerConfig({}, [](const char* name) -> const char* {
    return absl::string_view(name) == "LARDER_DRAIN_SECONDS" ? "-1" : nullptr;
  });
  CHECK(absl::IsInvalidArgument(bad.status()));
}

}  // namespace
}  // namespace larder
