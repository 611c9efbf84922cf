#pragma once

#include <optional>
#include <string>

#include "server/http/http_message.h"

namespace larder::http {

// Serves the built web UI from one folder: files by path, index.html for "/" and for the app's
// deep links (/p/<project>/...), never anything outside the folder (no "..", no "." segments,
// no backslashes or NULs, and the resolved path, symlinks followed, must stay inside it).
// Immutable after construction; thread-safe.
class StaticFiles {
 public:
  // `folder` must exist; Open returns nullopt otherwise.
  static std::optional<StaticFiles> Open(const std::string& folder);

  // The file for `path` (percent-decoded), index.html for "/" and "/p/...", or a 404.
  HttpResponse Serve(const std::string& path) const;
  const std::string& root() const { return root_; }

 private:
  explicit StaticFiles(std::string root) : root_(std::move(root)) {}
  std::optional<HttpResponse> File(const std::string& relative) const;

  std::string root_;  // canonical, no trailing slash
};

// The MIME type the UI's files are sent with, by extension.
std::string ContentTypeOf(const std::string& path);

}  // namespace larder::http
