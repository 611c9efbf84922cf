#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace larder::http {

// One HTTP request as the router and the handlers see it: transport-neutral (no library types),
// so handlers are tested without sockets. Header names are lower-case.
struct HttpRequest {
  std::string method;  // "GET", "HEAD", "POST", ...
  std::string path;    // percent-decoded, without the query string
  // Query parameters in arrival order; a name may repeat (?tags=a:1&tags=b:2).
  std::vector<std::pair<std::string, std::string>> query;
  std::map<std::string, std::string> headers;
  std::string peer;  // the client's address as the socket saw it ("ip:port"), for logs
  std::string body;  // as received (POST routes); at most HttpServer::kMaxBodyBytes
  // The `{name}` segments of the route that matched, filled by Router.
  std::map<std::string, std::string> path_params;

  // The last value of query parameter `name`, or nullptr when absent.
  const std::string* Query(absl::string_view name) const;
  // Every value of query parameter `name`, in order.
  std::vector<std::string> QueryAll(absl::string_view name) const;
  // Header `name` (lower-case), or "" when absent.
  std::string Header(absl::string_view name) const;
};

// What a handler answers. `etag`, when set, is sent as a strong ETag; the server answers 304
// instead when the request's If-None-Match names it.
struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string etag;
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace larder::http
