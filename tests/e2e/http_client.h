#pragma once

// A small HTTP client for the HTTP end-to-end tests: plain requests through cpp-httplib, and raw
// bytes over a socket for what a well-behaved client never sends (hostile input, slow clients).

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace larder::testing {

using Json = nlohmann::ordered_json;

struct HttpResult {
  int status = 0;                                   // 0: no response (connection failed or closed)
  std::multimap<std::string, std::string> headers;  // names lower-case
  std::string body;

  std::string Header(const std::string& name) const;
  // The body as JSON (discarded -> null when it does not parse).
  Json json() const;
};

// GET http://127.0.0.1:<port><path_and_query> with `headers`. The path is sent as given
// (already percent-encoded where needed).
HttpResult HttpGet(int port, const std::string& path_and_query,
                   const std::vector<std::pair<std::string, std::string>>& headers = {});
// Any method, no body.
HttpResult HttpRequestOf(int port, const std::string& method, const std::string& path_and_query,
                         const std::vector<std::pair<std::string, std::string>>& headers = {});
// Any method with `body`, sent with Content-Type `content_type` (empty: no Content-Type).
HttpResult HttpSend(int port, const std::string& method, const std::string& path_and_query,
                    const std::string& body, const std::string& content_type,
                    const std::vector<std::pair<std::string, std::string>>& headers = {});
// POST `json` as application/json.
HttpResult HttpPostJson(int port, const std::string& path_and_query, const std::string& json,
                        const std::vector<std::pair<std::string, std::string>>& headers = {});

// Sends `bytes` on a fresh connection, optionally in pieces `delay_ms` apart, and returns what
// the server answered before it closed the connection or `timeout_ms` passed (raw text).
std::string RawExchange(int port, const std::vector<std::string>& pieces, int delay_ms = 0,
                        int timeout_ms = 10000);
// The status code of a raw HTTP answer ("HTTP/1.1 404 Not Found" -> 404), or 0.
int RawStatus(const std::string& answer);

}  // namespace larder::testing
