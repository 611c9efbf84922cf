#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/http/http_message.h"

namespace larder::http {

// An error response in Feast's REST shape:
// {"status_code": N, "detail": "...", "error_type": "..."}.
HttpResponse JsonError(int status, absl::string_view detail,
                       absl::string_view error_type = "HTTPException");

// The one conversion from an internal status to an HTTP error, as Feast's REST server maps its
// exceptions: NOT_FOUND 404 (FeastObjectNotFoundException), PERMISSION_DENIED 403
// (FeastPermissionError), UNAUTHENTICATED 401, INVALID_ARGUMENT/FAILED_PRECONDITION/OUT_OF_RANGE
// 422 (Feast's ValueError), UNIMPLEMENTED 501, UNAVAILABLE 503, anything else 500.
HttpResponse StatusToHttp(const absl::Status& status);

}  // namespace larder::http
