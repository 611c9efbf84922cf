#pragma once

#include <functional>
#include <string>
#include <vector>

#include "server/http/http_message.h"

namespace larder::http {

// Routes GET requests by path pattern: "/api/v1/entities/{name}" matches one segment per
// `{...}` (captured into HttpRequest::path_params). Routes are tried in the order they were
// added, so a literal route ("/entities/all") added before a captured one wins. Not thread-safe
// while routes are added; Route() is thread-safe afterwards.
class Router {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Adds a route for GET (and HEAD) requests on `pattern`.
  void Get(std::string pattern, Handler handler);

  // The handler for `request` (its path_params filled), or nullptr when no route matches.
  const Handler* Match(HttpRequest& request) const;

 private:
  struct Route {
    std::vector<std::string> segments;  // "{name}" captures
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace larder::http
