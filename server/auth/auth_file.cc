#include "server/auth/auth_file.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace larder::auth {

absl::StatusOr<std::string> ReadAuthFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  if (in) contents << in.rdbuf();
  if (!in || in.bad()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", what, " ", path));
  }
  return contents.str();
}

}  // namespace larder::auth
