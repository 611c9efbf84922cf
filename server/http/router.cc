#include "server/http/router.h"

#include <algorithm>
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
  routes_.push_back({"GET", Segments(pattern), std::move(handler)});
}

void Router::Post(std::string pattern, Handler handler) {
  routes_.push_back({"POST", Segments(pattern), std::move(handler)});
}

const Router::Handler* Router::Match(HttpRequest& request,
                                     std::vector<std::string>* allowed) const {
  const std::vector<std::string> segments = Segments(request.path);
  const bool read = request.method == "GET" || request.method == "HEAD";
  const std::string method = read ? std::string("GET") : request.method;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
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
    if (route.method != method) {
      if (allowed != nullptr &&
          std::find(allowed->begin(), allowed->end(), route.method) == allowed->end()) {
        allowed->push_back(route.method);
      }
      continue;
    }
    request.path_params = std::move(params);
    return &route.handler;
  }
  if (allowed != nullptr && !allowed->empty()) return nullptr;
  return read && fallback_ ? &fallback_ : nullptr;
}

}  // namespace larder::http
