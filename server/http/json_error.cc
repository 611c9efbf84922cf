#include "server/http/json_error.h"

#include <nlohmann/json.hpp>

namespace larder::http {

HttpResponse JsonError(int status, absl::string_view detail, absl::string_view error_type) {
  HttpResponse response;
  response.status = status;
  nlohmann::ordered_json body;
  body["status_code"] = status;
  body["detail"] = std::string(detail);
  body["error_type"] = std::string(error_type);
  // Replace invalid UTF-8 (a client's bytes echoed back) instead of throwing.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

HttpResponse StatusToHttp(const absl::Status& status) {
  const std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return JsonError(404, message, "FeastObjectNotFoundException");
    case absl::StatusCode::kPermissionDenied:
      return JsonError(403, message, "FeastPermissionError");
    case absl::StatusCode::kUnauthenticated:
      return JsonError(401, message);
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return JsonError(422, message, "ValueError");
    case absl::StatusCode::kUnimplemented:
      return JsonError(501, message);
    case absl::StatusCode::kUnavailable:
      return JsonError(503, message);
    default:
      return JsonError(500, "Internal server error: " + message, "InternalServerError");
  }
}

}  // namespace larder::http
