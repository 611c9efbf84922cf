#include "server/http/static_files.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/http/json_error.h"

namespace larder::http {
namespace {

std::optional<std::string> RealPath(const std::string& path) {
  char resolved[PATH_MAX];
  if (realpath(path.c_str(), resolved) == nullptr) return std::nullopt;
  return std::string(resolved);
}

}  // namespace

std::string ContentTypeOf(const std::string& path) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "application/javascript"},
      {".mjs", "application/javascript"},
      {".css", "text/css"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".txt", "text/plain"},
      {".map", "application/json"},
  };
  for (const auto& [extension, type] : kTypes) {
    if (absl::EndsWith(path, extension)) return type;
  }
  return "application/octet-stream";
}

std::optional<StaticFiles> StaticFiles::Open(const std::string& folder) {
  std::optional<std::string> root = RealPath(folder);
  struct stat info;
  if (!root.has_value() || stat(root->c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return std::nullopt;
  }
  return StaticFiles(*root);
}

std::optional<HttpResponse> StaticFiles::File(const std::string& relative) const {
  std::optional<std::string> resolved = RealPath(root_ + "/" + relative);
  // Symlinks are followed, so the check is on where the path really leads.
  if (!resolved.has_value() || !absl::StartsWith(*resolved, root_ + "/")) return std::nullopt;
  struct stat info;
  if (stat(resolved->c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return std::nullopt;
  std::ifstream in(*resolved, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  HttpResponse response;
  response.content_type = ContentTypeOf(*resolved);
  response.body = content.str();
  // Bundles carry a content hash in their names; index.html must be re-read to find new ones.
  response.headers.emplace_back("Cache-Control", absl::StrContains(relative, "assets/")
                                                     ? "public, max-age=31536000, immutable"
                                                     : "no-cache");
  return response;
}

HttpResponse StaticFiles::Serve(const std::string& path) const {
  if (path.find('\0') != std::string::npos || path.find('\\') != std::string::npos) {
    return JsonError(400, "Bad path");
  }
  std::vector<std::string> segments;
  for (absl::string_view segment : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (segment == ".." || segment == ".") return JsonError(400, "Bad path");
    segments.emplace_back(segment);
  }
  // The app's own routes (deep links: Feast's /p/..., Larder's /changes and /history) load the
  // app, which routes them in the browser.
  if (segments.empty() || segments.front() == "p" ||
      (segments.size() == 1 && (segments.front() == "changes" || segments.front() == "history"))) {
    std::optional<HttpResponse> index = File("index.html");
    return index.has_value() ? *index : JsonError(404, "Not Found");
  }
  std::optional<HttpResponse> file = File(absl::StrJoin(segments, "/"));
  return file.has_value() ? *file : JsonError(404, "Not Found");
}

}  // namespace larder::http
