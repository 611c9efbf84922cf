// Structured call logs through the real binary: every call leaves one JSON line on stderr with
// the request id the client sent, the method, the project, the status code, the latency and the
// peer; slow calls are flagged; --log-format=text writes readable lines instead.
#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "client/registry_client.h"
#include "common/metadata_keys.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tests/e2e/api_fixture.h"

namespace larder::testing {
namespace {

using google::protobuf::Struct;

// The JSON lines of `output` (the server's stdout and stderr), each parsed strictly; a line
// that starts like JSON but does not parse fails the test.
std::vector<Struct> JsonLines(const std::string& output) {
  std::vector<Struct> lines;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != '{') continue;
    Struct parsed;
    INFO(line);
    REQUIRE(google::protobuf::util::JsonStringToMessage(line, &parsed).ok());
    lines.push_back(std::move(parsed));
  }
  return lines;
}

std::string Str(const Struct& line, const std::string& key) {
  auto it = line.fields().find(key);
  return it == line.fields().end() ? "" : it->second.string_value();
}

// The call lines with this request id.
std::vector<Struct> CallsWithId(const std::vector<Struct>& lines, const std::string& id) {
  std::vector<Struct> out;
  for (const Struct& line : lines) {
    if (Str(line, "msg") == "call" && Str(line, "request_id") == id) out.push_back(line);
  }
  return out;
}

grpc::Status CallWithId(ApiServer& api, const std::string& request_id,
                        const reg::GetEntityRequest& request) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  context.AddMetadata(common::kRequestIdKey, request_id);
  core::Entity entity;
  return api.stub().GetEntity(&context, request, &entity);
}

TEST_CASE("Each call is logged once as JSON with its request id, method, project and status",
          "[e2e]") {
  auto db = ScratchDatabase::Create(TestBackend::kSqlite);
  REQUIRE(db != nullptr);
  ApiServer api(*db, {"--log-format=json"});
  REQUIRE(Describe(api.Apply("team", MakeEntity("driver", "driver_id"))) == "OK");
  CHECK(Describe(CallWithId(api, "req-found-1", Named<reg::GetEntityRequest>("team", "driver"))) ==
        "OK");
  CHECK(CallWithId(api, "req-missing-2", Named<reg::GetEntityRequest>("team", "nobody"))
            .error_code() == grpc::StatusCode::NOT_FOUND);
  // The C++ client sends its own random request id: it is logged too.
  client::ClientOptions options;
  options.addresses = {api.process().address()};
  auto client = client::RegistryClient::Create(options);
  REQUIRE(client.ok());
  CHECK((*client)->GetEntity("team", "driver").ok());
  api.process().Stop();

  const std::vector<Struct> lines = JsonLines(api.process().output());
  INFO(api.process().output());
  // The start-up configuration comes first.
  REQUIRE_FALSE(lines.empty());
  CHECK(Str(lines.front(), "msg") == "configuration");

  std::vector<Struct> found = CallsWithId(lines, "req-found-1");
  REQUIRE(found.size() == 1);
  CHECK(Str(found[0], "method") == "feast.registry.RegistryServer/GetEntity");
  CHECK(Str(found[0], "project") == "team");
  CHECK(Str(found[0], "code") == "OK");
  CHECK(Str(found[0], "level") == "info");
  CHECK(Str(found[0], "front_end") == "grpc");
  CHECK(Str(found[0], "peer").find("127.0.0.1") != std::string::npos);
  CHECK(found[0].fields().at("latency_ms").number_value() >= 0);
  CHECK(found[0].fields().at("slow").bool_value() == false);
  CHECK_FALSE(Str(found[0], "time").empty());

  std::vector<Struct> missing = CallsWithId(lines, "req-missing-2");
  REQUIRE(missing.size() == 1);
  CHECK(Str(missing[0], "code") == "NOT_FOUND");
  CHECK_FALSE(Str(missing[0], "error").empty());

  int client_calls = 0;
  for (const Struct& line : lines) {
    if (Str(line, "msg") == "call" && Str(line, "request_id").size() == 32 &&
        Str(line, "method") == "feast.registry.RegistryServer/GetEntity") {
      ++client_calls;
    }
  }
  CHECK(client_calls == 1);
  // Drain and stop are logged.
  bool stopped = false;
  for (const Struct& line : lines) stopped = stopped || Str(line, "msg") == "stopped";
  CHECK(stopped);
}

TEST_CASE("Slow calls are flagged, and text format and log level are honoured", "[e2e]") {
  auto db = ScratchDatabase::Create(TestBackend::kSqlite);
  REQUIRE(db != nullptr);
  {
    // Every call is "slow" at 0 ms: logged as a warning with slow=true.
    ApiServer api(*db, {"--log-format=json", "--slow-call-ms=0"});
    CHECK(CallWithId(api, "req-slow", Named<reg::GetEntityRequest>("team", "x")).error_code() ==
          grpc::StatusCode::NOT_FOUND);
    api.process().Stop();
    std::vector<Struct> slow = CallsWithId(JsonLines(api.process().output()), "req-slow");
    REQUIRE(slow.size() == 1);
    CHECK(slow[0].fields().at("slow").bool_value());
    CHECK(Str(slow[0], "level") == "warning");
  }
  {
    ApiServer api(*db, {"--log-format=text"});
    CHECK(CallWithId(api, "req-text", Named<reg::GetEntityRequest>("team", "x")).error_code() ==
          grpc::StatusCode::NOT_FOUND);
    api.process().Stop();
    const std::string& output = api.process().output();
    INFO(output);
    CHECK(JsonLines(output).empty());
    CHECK(output.find(" INFO call method=feast.registry.RegistryServer/GetEntity") !=
          std::string::npos);
    CHECK(output.find("request_id=req-text") != std::string::npos);
  }
  {
    ApiServer api(*db, {"--log-format=json", "--log-level=warning"});
    CHECK(CallWithId(api, "req-quiet", Named<reg::GetEntityRequest>("team", "x")).error_code() ==
          grpc::StatusCode::NOT_FOUND);
    api.process().Stop();
    CHECK(CallsWithId(JsonLines(api.process().output()), "req-quiet").empty());
  }
}

}  // namespace
}  // namespace larder::testing
