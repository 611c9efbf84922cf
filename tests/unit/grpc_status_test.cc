#include "server/grpc/grpc_status.h"

#include <catch2/catch.hpp>

#include "server/registry/feast_errors.h"

namespace larder::grpc_edge {
namespace {

TEST_CASE("Feast errors become Feast's JSON details with their status code", "[api]") {
  grpc::Status status = ToGrpcStatus(registry::EntityNotFound("driver", "demo"));
  CHECK(status.error_code() == grpc::StatusCode::NOT_FOUND);
  CHECK(status.error_message() ==
        R"({"module": "feast.errors", "class": "EntityNotFoundException", )"
        R"("message": "Entity driver does not exist in project demo"})");
}

TEST_CASE("Other errors stay plain text with their own code", "[api]") {
  grpc::Status status = ToGrpcStatus(absl::InvalidArgumentError("request has no project"));
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(status.error_message() == "request has no project");
  CHECK(ToGrpcStatus(absl::OkStatus()).ok());
}

// The message part of Feast's JSON details for `message`.
std::string JsonMessage(const std::string& message) {
  const std::string json = FeastErrorDetailsJson("X", message);
  const std::string prefix = R"({"module": "feast.errors", "class": "X", "message": )";
  return json.substr(prefix.size(), json.size() - prefix.size() - 1);
}

TEST_CASE("JSON strings are escaped as Python's json.dumps does", "[api]") {
  CHECK(JsonMessage("plain") == "\"plain\"");
  CHECK(JsonMessage("q\"b\\n\n") == R"("q\"b\\n\n")");
  CHECK(JsonMessage("caf\xc3\xa9") == R"("caf\u00e9")");
  CHECK(JsonMessage("\xf0\x9f\x8d\x95") == R"("\ud83c\udf55")");
  CHECK(JsonMessage(std::string("a\x01", 2)) == R"("a\u0001")");
  CHECK(JsonMessage("\xff") == R"("\ufffd")");
}

TEST_CASE("Feast JSON details parse back into class and message", "[api]") {
  const std::string json =
      FeastErrorDetailsJson("EntityNotFoundException", "caf\xc3\xa9 \"q\" \xf0\x9f\x8d\x95");
  auto parsed = ParseFeastErrorDetails(json);
  REQUIRE(parsed.has_value());
  CHECK(parsed->module == "feast.errors");
  CHECK(parsed->feast_class == "EntityNotFoundException");
  CHECK(parsed->message == "caf\xc3\xa9 \"q\" \xf0\x9f\x8d\x95");
  CHECK_FALSE(ParseFeastErrorDetails("Exception calling application: boom").has_value());
  CHECK_FALSE(ParseFeastErrorDetails(R"({"module": "feast.errors"})").has_value());
}

// Found by tests/fuzz/feast_error_fuzzer: bytes encoding a surrogate (ED A2 A0 is U+D8A0) or a
// value above U+10FFFF were written as lone surrogate escapes, which the parser then refused,
// so the client lost the Feast class. They are invalid UTF-8 and become U+FFFD, as in Python.
TEST_CASE("Invalid UTF-8 in Feast details becomes U+FFFD and parses back", "[api]") {
  for (const std::string& bad : {std::string("\xed\xa2\xa0\xff"), std::string("\xf7\xbf\xbf\xbf"),
                                std::string("\xc0\x80"), std::string("\xe0\x80\x80")}) {
    INFO(bad);
    const std::string json = FeastErrorDetailsJson("X", bad);
    CHECK(json.find("\\ud8") == std::string::npos);
    auto parsed = ParseFeastErrorDetails(json);
    REQUIRE(parsed.has_value());
    CHECK(parsed->message.find("\xef\xbf\xbd") == 0);
    CHECK(FeastErrorDetailsJson("X", parsed->message) == json);
  }
}

}  // namespace
}  // namespace larder::grpc_edge
