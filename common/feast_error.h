#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace larder {

// A Feast exception travels between Larder's layers, and from server to client, as an
// absl::Status whose payload names the Feast exception class (e.g. "EntityNotFoundException").
// On the wire it is the gRPC status details Feast's Python server writes:
//   {"module": "feast.errors", "class": "<class>", "message": "<message>"}

// A status of `code` carrying the Feast class `feast_class`.
absl::Status FeastError(absl::StatusCode code, absl::string_view feast_class,
                        absl::string_view message);

// The Feast exception class attached by FeastError, if any.
std::optional<std::string> FeastClassOf(const absl::Status& status);

// Feast's JSON status details for a status carrying a Feast class (Python json.dumps format).
std::string FeastErrorDetailsJson(absl::string_view feast_class, absl::string_view message);

// The fields of Feast's JSON status details, when `details` is such an object.
struct FeastErrorDetails {
  std::string module;
  std::string feast_class;
  std::string message;
};
std::optional<FeastErrorDetails> ParseFeastErrorDetails(absl::string_view details);

}  // namespace larder
