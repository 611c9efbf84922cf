#include "server/api/grpc_status.h"

#include <catch2/catch.hpp>

#include "server/registry/feast_errors.h"

namespace larder::api {
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

TEST_CASE("JSON strings are escaped as Python's json.dumps does", "[api]") {
  CHECK(PythonJsonString("plain") == "\"plain\"");
  CHECK(PythonJsonString("q\"b\\n\n") == R"("q\"b\\n\n")");
  CHECK(PythonJsonString("caf\xc3\xa9") == R"("caf\u00e9")");
  CHECK(PythonJsonString("\xf0\x9f\x8d\x95") == R"("\ud83c\udf55")");
  CHECK(PythonJsonString(std::string("a\x01", 2)) == R"("a\u0001")");
  CHECK(PythonJsonString("\xff") == R"("\ufffd")");
}

}  // namespace
}  // namespace larder::api
