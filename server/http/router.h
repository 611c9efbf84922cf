#pragma once

#include <functional>
#include <string>
#include <vector>

#include "server/http/http_message.h"

namespace larder::http {

// Routes GET requests (and the few POST ones the UI sends) by path pattern:
// "/api/v1/entities/{name}" matches one segment per `{...}` (captured into
// HttpRequest::path_params). Routes are tried in the order they were
// added, so a literal route ("/entities/all") added before a captured one wins. Not thread-safe
// while routes are added; Route() is thread-safe afterwards.
class Router {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Adds a route for GET (and HEAD) requests on `pattern`.
  void Get(std::string pattern, Handler handler);
  // Adds a route for POST requests on `pattern`. Larder writes only through gRPC: these are
  // reads Feast's UI sends as POST.
  void Post(std::string pattern, Handler handler);

  // Answers GET requests no route matches (the web UI's files); none: 404.
  void SetFallback(Handler handler) { fallback_ = std::move(handler); }

  // The handler for `request` (its path_params filled): the route matching its method and path,
  // else for GET/HEAD the fallback, else nullptr.
  const Handler* Match(HttpRequest& request) const;

 private:
  struct Route {
    bool post = false;
    std::vector<std::string> segments;  // "{name}" captures
    Handler handler;
  };
  std::vector<Route> routes_;
  Handler fallback_;
};

}  // namespace larder::http
