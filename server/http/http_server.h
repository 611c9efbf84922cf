#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "server/http/router.h"
#include "server/http/tls_certificates.h"

namespace httplib {
class Server;
}

namespace larder::http {

// Larder's HTTP listener: serves `router`'s routes plus the operational endpoints every
// deployment probes (/healthz, /readyz, /metrics), adds ETag/304, CORS and Feast's security
// headers, and answers anything else with a JSON 404/405. Built on cpp-httplib (docs/http.md says
// why): one thread per open connection from a fixed pool, so a slow client holds one thread for
// at most the read timeout. Thread-safe; Start once, Stop once (the destructor stops).
class HttpServer {
 public:
  // Request bodies over this are refused with 413.
  static constexpr size_t kMaxBodyBytes = 1 << 20;

  struct Options {
    std::string address = "0.0.0.0:6572";  // HOST:PORT; port 0 picks a free one
    int threads = 64;                      // connections served at once
    int read_timeout_s = 5;                // a client that sends nothing this long is cut off
    // The Prometheus text /metrics serves (text/plain; version=0.0.4); unset: an empty body.
    std::function<std::string()> metrics_text;
    // Whether /readyz answers 200 (ready) or 503; unset: always ready.
    std::function<bool()> ready;
    // Origins allowed to read responses cross-origin ("*": any); empty: no CORS headers.
    std::vector<std::string> cors_origins;
    // Set: HTTPS with these certificates (reloaded as TlsCertificates says); unset: plain HTTP.
    std::shared_ptr<TlsCertificates> tls;
  };

  // `router` is not owned and must outlive the server.
  HttpServer(Options options, const Router& router);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving on a background thread. Returns INVALID_ARGUMENT for an address
  // that is not HOST:PORT, UNAVAILABLE when it cannot be bound (in use).
  absl::Status Start();
  // The bound port (after Start).
  int port() const { return port_; }
  // Stops accepting, closes connections and joins the serving thread. Idempotent.
  void Stop();

  // Answers one request the way the listener does (routing, probes, ETag, CORS), without a
  // socket: what the listener calls for every request, and what unit tests call.
  HttpResponse Handle(HttpRequest& request) const;

 private:
  const Options options_;
  const Router& router_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace larder::http
