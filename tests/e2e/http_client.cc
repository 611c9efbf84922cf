#include "tests/e2e/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <thread>

#include "httplib.h"

namespace larder::testing {

std::string HttpResult::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

Json HttpResult::json() const { return Json::parse(body, nullptr, false); }

HttpResult HttpRequestOf(int port, const std::string& method, const std::string& path_and_query,
                         const std::vector<std::pair<std::string, std::string>>& headers) {
  return HttpSend(port, method, path_and_query, "", "", headers);
}

HttpResult HttpPostJson(int port, const std::string& path_and_query, const std::string& json,
                        const std::vector<std::pair<std::string, std::string>>& headers) {
  return HttpSend(port, "POST", path_and_query, json, "application/json", headers);
}

HttpResult HttpSend(int port, const std::string& method, const std::string& path_and_query,
                    const std::string& body, const std::string& content_type,
                    const std::vector<std::pair<std::string, std::string>>& headers) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(10, 0);
  client.set_read_timeout(30, 0);
  // Send the path exactly as the test wrote it.
  client.set_url_encode(false);
  httplib::Headers sent;
  for (const auto& [name, value] : headers) sent.emplace(name, value);
  httplib::Request request;
  request.method = method;
  request.path = path_and_query;
  request.headers = sent;
  if (!content_type.empty()) request.headers.emplace("Content-Type", content_type);
  request.body = body;
  HttpResult result;
  httplib::Result response = client.send(request);
  if (!response) return result;
  result.status = response->status;
  for (const auto& [name, value] : response->headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    result.headers.emplace(lower, value);
  }
  result.body = response->body;
  return result;
}

HttpResult HttpGet(int port, const std::string& path_and_query,
                   const std::vector<std::pair<std::string, std::string>>& headers) {
  return HttpRequestOf(port, "GET", path_and_query, headers);
}

std::string RawExchange(int port, const std::vector<std::string>& pieces, int delay_ms,
                        int timeout_ms) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return "";
  }
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0 && delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    if (send(fd, pieces[i].data(), pieces[i].size(), MSG_NOSIGNAL) < 0) break;
  }
  std::string answer;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) break;
    char buffer[4096];
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    answer.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return answer;
}

int RawStatus(const std::string& answer) {
  if (answer.rfind("HTTP/1.", 0) != 0 || answer.size() < 12) return 0;
  return std::atoi(answer.substr(9, 3).c_str());
}

}  // namespace larder::testing
