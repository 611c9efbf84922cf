#include "server/http/http_server.h"

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "httplib.h"
#include "server/http/json_error.h"

namespace larder::http {
namespace {

// Whether If-None-Match (a list of entity tags, or "*") names `etag`.
bool NoneMatchHits(absl::string_view header, absl::string_view etag) {
  for (absl::string_view tag : absl::StrSplit(header, ',')) {
    tag = absl::StripAsciiWhitespace(tag);
    absl::ConsumePrefix(&tag, "W/");  // weak comparison, as RFC 9110 asks for If-None-Match
    if (tag == "*" || tag == etag) return true;
  }
  return false;
}

// `accept_encoding` without its "br" entries. httplib (Debian's 0.11 library) answers a client
// that accepts Brotli with Brotli at its slowest quality: 11 s of a core for the UI's 5.7 MB
// script, on every first load by a browser (they all accept br), against 0.25 s for gzip, which
// every browser accepts too.
std::string WithoutBrotli(absl::string_view accept_encoding) {
  std::vector<absl::string_view> kept;
  for (absl::string_view entry : absl::StrSplit(accept_encoding, ',')) {
    const absl::string_view coding = absl::StripAsciiWhitespace(entry.substr(0, entry.find(';')));
    if (!absl::EqualsIgnoreCase(coding, "br")) kept.push_back(absl::StripAsciiWhitespace(entry));
  }
  return absl::StrJoin(kept, ", ");
}

// Feast's REST server sends these on every response (FastAPI default_headers).
void AddSecurityHeaders(HttpResponse& response) {
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("X-XSS-Protection", "1; mode=block");
}

// What httplib's own refusals mean, for their JSON body.
const char* RefusalDetail(int status) {
  switch (status) {
    case 400:
      return "Bad Request: the request is not valid HTTP";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long: the request line is over 8192 bytes";
    case 404:
      return "Not Found";
    default:
      return status >= 500 ? "Internal server error" : "Bad Request";
  }
}

}  // namespace

HttpServer::HttpServer(Options options, const Router& router)
    : options_(std::move(options)), router_(router) {}

HttpServer::~HttpServer() { Stop(); }

HttpResponse HttpServer::Handle(HttpRequest& request) const {
  HttpResponse response;
  const bool read = request.method == "GET" || request.method == "HEAD";
  std::vector<std::string> allowed;
  if (request.method == "OPTIONS") {
    response.status = 204;  // CORS preflight; the CORS headers are added below
    response.content_type.clear();
  } else if (read && request.path == "/healthz") {
    response.content_type = "text/plain";
    response.body = "ok\n";
  } else if (read && request.path == "/readyz") {
    const bool ready = !options_.ready || options_.ready();
    response.status = ready ? 200 : 503;
    response.content_type = "text/plain";
    response.body = ready ? "ready\n" : "not ready\n";
  } else if (read && request.path == "/metrics") {
    response.content_type = "text/plain; version=0.0.4";
    if (options_.metrics_text) response.body = options_.metrics_text();
  } else if (const Router::Handler* handler = router_.Match(request, &allowed);
             handler != nullptr) {
    response = (*handler)(request);
  } else if (!allowed.empty()) {
    response = JsonError(405, absl::StrCat("Method Not Allowed: ", request.path, " takes ",
                                           absl::StrJoin(allowed, ", ")));
    response.headers.emplace_back("Allow", absl::StrJoin(allowed, ", "));
  } else if (!read) {
    // Only the few POST routes change state (materialization jobs); registry objects are
    // written through gRPC.
    response = JsonError(405, "Larder's REST API is read-only: write through the gRPC API");
  } else {
    response = JsonError(404, "Not Found");
  }

  if (!response.etag.empty()) {
    const std::string quoted = absl::StrCat("\"", response.etag, "\"");
    response.headers.emplace_back("ETag", quoted);
    response.headers.emplace_back("Cache-Control", "no-cache");
    const std::string none_match = request.Header("if-none-match");
    if (response.status == 200 && !none_match.empty() && NoneMatchHits(none_match, quoted)) {
      response.status = 304;
      response.body.clear();
    }
  }
  if (!options_.cors_origins.empty()) {
    const std::string origin = request.Header("origin");
    const bool any = std::find(options_.cors_origins.begin(), options_.cors_origins.end(), "*") !=
                     options_.cors_origins.end();
    const bool listed = std::find(options_.cors_origins.begin(), options_.cors_origins.end(),
                                  origin) != options_.cors_origins.end();
    if (!origin.empty() && (any || listed)) {
      response.headers.emplace_back("Access-Control-Allow-Origin", any ? "*" : origin);
      response.headers.emplace_back("Vary", "Origin");
      response.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS");
      response.headers.emplace_back("Access-Control-Allow-Headers",
                                    "Authorization, Content-Type, If-None-Match, X-Request-Id");
      response.headers.emplace_back("Access-Control-Expose-Headers", "ETag");
    }
  }
  AddSecurityHeaders(response);
  return response;
}

absl::Status HttpServer::Start() {
  const size_t colon = options_.address.rfind(':');
  int port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(options_.address).substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http-addr '", options_.address, "' is not HOST:PORT"));
  }
  std::string host = options_.address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";

  if (options_.tls != nullptr) {
    std::shared_ptr<TlsCertificates> tls = options_.tls;
    auto secure = std::make_unique<httplib::SSLServer>(
        [tls](SSL_CTX& context) { return tls->Configure(context); });
    if (!secure->is_valid()) {
      return absl::InvalidArgumentError("cannot set up TLS on the HTTP listener");
    }
    server_ = std::move(secure);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  const int threads = std::max(1, options_.threads);
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // Plain SO_REUSEADDR: httplib's default adds SO_REUSEPORT, with which a second server on a
  // taken port would silently share it instead of failing.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server_->set_read_timeout(options_.read_timeout_s, 0);
  server_->set_write_timeout(options_.read_timeout_s, 0);
  server_->set_keep_alive_timeout(options_.read_timeout_s);
  server_->set_keep_alive_max_count(1000);
  // Only POST routes read a body (a materialization plan: a few hundred bytes); anything over
  // this is refused with 413 and never handed to a route (httplib discards it as it arrives).
  server_->set_payload_max_length(kMaxBodyBytes);
  // httplib writes a response's headers and body separately; with Nagle's algorithm on, the
  // second write waits for the client's delayed ACK (~40 ms) on every keep-alive request.
  server_->set_tcp_nodelay(true);

  auto serve = [this](const httplib::Request& in, httplib::Response& out) {
    // httplib picks the answer's encoding from the request's Accept-Encoding after this
    // handler returns: offer it gzip, not Brotli (WithoutBrotli). The request is httplib's own
    // non-const object, handed to handlers as const.
    auto& in_headers = const_cast<httplib::Headers&>(in.headers);
    for (auto [it, end] = in_headers.equal_range("Accept-Encoding"); it != end; ++it) {
      it->second = WithoutBrotli(it->second);
    }
    HttpRequest request;
    request.method = in.method;
    request.path = in.path;
    request.peer = absl::StrCat(in.remote_addr, ":", in.remote_port);
    request.body = in.body;
    for (const auto& [name, value] : in.params) request.query.emplace_back(name, value);
    for (const auto& [name, value] : in.headers) {
      request.headers[absl::AsciiStrToLower(name)] = value;
    }
    HttpResponse response = Handle(request);
    out.status = response.status;
    for (const auto& [name, value] : response.headers) out.set_header(name, value);
    if (response.status == 304 || response.status == 204) return;
    out.set_content(std::move(response.body), response.content_type);
  };
  server_->Get(".*", serve);
  server_->Options(".*", serve);
  server_->Post(".*", serve);
  server_->Put(".*", serve);
  server_->Patch(".*", serve);
  server_->Delete(".*", serve);
  // httplib's own refusals (414 URI too long, 400 malformed request, 413 ...) get a JSON body
  // that says what was wrong instead of an empty one.
  server_->set_error_handler([](const httplib::Request&, httplib::Response& out) {
    if (!out.body.empty()) return;
    HttpResponse error = JsonError(out.status, RefusalDetail(out.status));
    out.set_content(error.body, error.content_type);
  });
  server_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& out, std::exception_ptr) {
        HttpResponse error = JsonError(500, "Internal server error");
        out.status = 500;
        out.set_content(error.body, error.content_type);
      });

  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
    if (port_ < 0) port_ = 0;
  } else if (server_->bind_to_port(host, port)) {
    port_ = port;
  }
  if (port_ == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.address,
                                               " (address in use, or not a valid host:port)"));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace larder::http
