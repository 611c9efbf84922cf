#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace larder::observability {

// `url` fit for a log: the password of `scheme://user:password@host/...` and the values of
// query parameters that carry secrets (password, sslpassword, token, secret, key) become "***".
// Anything that does not parse as such a URL is returned unchanged only when it has no '@'
// (a plain SQLite path); otherwise it is replaced whole, since it might hide a password.
std::string RedactUrl(absl::string_view url);

}  // namespace larder::observability
