#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace larder::auth {

// The contents of a file the auth flags name (`what` says which, for the message).
// INVALID_ARGUMENT "cannot read <what> <path>" when it cannot be read.
absl::StatusOr<std::string> ReadAuthFile(const std::string& path, absl::string_view what);

}  // namespace larder::auth
