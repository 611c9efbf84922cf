#include "server/http/router.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace larder::http {
namespace {

std::vector<std::string> Segments(absl::string_view path) {
  std::vector<std::string> out = absl::StrSplit(path, '/', absl::SkipEmpty());
  return out;
}

bool IsCapture(absl::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::Get(std::string pattern, Handler handler) {
  routes_.push_back({false, Segments(pattern), std::move(handler)});
}

void Router::Post(std::string pattern, Handler handler) {
  routes_.push_back({true, Segments(pattern), std::move(handler)});
}

const Router::Handler* Router::Match(HttpRequest& request) const {
  const std::vector<std::string> segments = Segments(request.path);
  const bool read = request.method == "GET" || request.method == "HEAD";
  const bool post = request.method == "POST";
  if (!read && !post) return nullptr;
  for (const Route& route : routes_) {
    if (route.post != post || route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool matched = true;
    for (size_t i = 0; i < segments.size() && matched; ++i) {
      const std::string& want = route.segments[i];
      if (IsCapture(want)) {
        params[want.substr(1, want.size() - 2)] = segments[i];
      } else {
        matched = want == segments[i];
      }
    }
    if (!matched) continue;
    request.path_params = std::move(params);
    return &route.handler;
  }
  return read && fallback_ ? &fallback_ : nullptr;
}

}  // namespace larder::http
