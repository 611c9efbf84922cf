#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace larder::observability {

// Appends `text` to `out` as a JSON string literal, quotes included. Control characters are
// escaped, and bytes that are not valid UTF-8 become U+FFFD, so a client-chosen request id or
// project name can never break a log line's JSON.
void AppendJsonString(std::string& out, absl::string_view text);

}  // namespace larder::observability
