// larder-bench-http: Feast's REST registry API as Larder serves it, beside an HTTP "hello"
// ceiling served by the same library (cpp-httplib, the same thread-pool size) in the same run.
//
// It starts the real larder binary (HTTP on a free port) over a fresh database, seeds project
// P with --views feature views (about 2 KB each, as larder-bench writes them) and --entities
// entities through gRPC, starts the hello server as a child process (this binary with
// --serve-hello, so neither server shares a process with the load), then runs closed loops of
// keep-alive GETs at each --connections count: each connection is one client thread that sends
// its next request as soon as the answer arrived. Prints requests/s, p50/p99 and the ratio to
// the hello ceiling at the same connection count (docs/benchmarks.md).
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/bench/closed_loop.h"
#include "tests/bench/larder_process.h"
#include "tests/bench/registry_fixtures.h"

namespace larder::bench {
namespace {

struct Options {
  std::string larder = LARDER_BENCH_DEFAULT_LARDER;
  std::string db;  // empty: a fresh SQLite file under /tmp
  std::vector<int> connections = {1, 8, 32};
  double warmup_seconds = 0.5;
  double measure_seconds = 3;
  int views = 50;
  int entities = 10;
  int server_threads = 64;  // Larder's HttpServer default, for both servers
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "larder-bench-http: %s\n", message.c_str());
  return 1;
}

std::string SelfPath() {
  char path[4096];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof(path));
  return n > 0 ? std::string(path, static_cast<size_t>(n)) : "larder-bench-http";
}

// A port nothing listens on now (the kernel's pick for a socket bound to port 0).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

// --serve-hello=THREADS: "hello\n" on GET /hello with httplib's thread pool of THREADS, until
// killed; announces its port the way LarderProcess expects.
int ServeHello(int threads) {
  httplib::Server server;
  // Configured as Larder's HttpServer is (server/http/http_server.cc).
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.set_keep_alive_timeout(5);
  server.set_keep_alive_max_count(1000);
  server.set_tcp_nodelay(true);
  server.Get("/hello", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("hello\n", "text/plain");
  });
  // /bytes/N: a static N-byte body, the ceiling for an answer of that size (a second reference
  // beside hello: how much of a large answer's cost is only moving its bytes).
  server.Get(R"(/bytes/(\d+))", [](const httplib::Request& request, httplib::Response& response) {
    size_t size = 0;
    if (!absl::SimpleAtoi(request.matches[1].str(), &size) || size > (64u << 20)) size = 0;
    response.set_content(std::string(size, 'x'), "application/json");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0) return Fail("hello server cannot bind");
  std::printf("larder-bench-http: serving hello on 127.0.0.1:%d\n", port);
  std::fflush(stdout);
  server.listen_after_bind();
  return 0;
}

struct Target {
  std::string name;
  int port;
  std::string path;
};

// `connections` client threads, each a keep-alive connection sending GET `path` back to back.
CellResult RunCell(const Target& target, int connections, const Options& o) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> errors{0}, ok{0};
  std::vector<std::vector<float>> latencies(connections);
  std::string first_error;
  std::atomic<bool> error_noted{false};
  const Clock::time_point start = Clock::now();
  const Clock::time_point measure_from =
      start + std::chrono::microseconds(static_cast<int64_t>(o.warmup_seconds * 1e6));
  const Clock::time_point measure_to =
      measure_from + std::chrono::microseconds(static_cast<int64_t>(o.measure_seconds * 1e6));
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", target.port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_read_timeout(30, 0);
      while (!stop.load(std::memory_order_relaxed)) {
        const Clock::time_point sent = Clock::now();
        httplib::Result result = client.Get(target.path);
        const Clock::time_point done = Clock::now();
        if (result && result->status == 200 && !result->body.empty()) {
          ok.fetch_add(1, std::memory_order_relaxed);
        } else {
          errors.fetch_add(1, std::memory_order_relaxed);
          if (!error_noted.exchange(true)) {
            first_error =
                result ? absl::StrCat("HTTP ", result->status) : httplib::to_string(result.error());
          }
        }
        if (sent >= measure_from && done <= measure_to) {
          latencies[c].push_back(static_cast<float>(
              std::chrono::duration_cast<std::chrono::nanoseconds>(done - sent).count() / 1e3));
        }
        if (done >= measure_to) break;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<float> all;
  for (const auto& one : latencies) MergeLatencies(all, one);
  CellResult result = Summarize(std::move(all), o.measure_seconds);
  result.ok_calls = ok.load();
  result.errors = errors.load();
  result.first_error = first_error;
  return result;
}

absl::StatusOr<Options> Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* flag) -> const char* {
      const std::string prefix = std::string(flag) + "=";
      return arg.rfind(prefix, 0) == 0 ? argv[i] + prefix.size() : nullptr;
    };
    if (const char* v = value("--larder")) {
      o.larder = v;
    } else if (const char* v = value("--db")) {
      o.db = v;
    } else if (const char* v = value("--connections")) {
      o.connections.clear();
      for (absl::string_view part : absl::StrSplit(v, ',')) {
        int n = 0;
        if (!absl::SimpleAtoi(part, &n) || n < 1) {
          return absl::InvalidArgumentError("--connections: a comma-separated list of counts");
        }
        o.connections.push_back(n);
      }
    } else if (const char* v = value("--seconds")) {
      if (!absl::SimpleAtod(v, &o.measure_seconds)) return absl::InvalidArgumentError(arg);
    } else if (const char* v = value("--warmup")) {
      if (!absl::SimpleAtod(v, &o.warmup_seconds)) return absl::InvalidArgumentError(arg);
    } else if (const char* v = value("--views")) {
      if (!absl::SimpleAtoi(v, &o.views)) return absl::InvalidArgumentError(arg);
    } else if (const char* v = value("--entities")) {
      if (!absl::SimpleAtoi(v, &o.entities) || o.entities < 1) {
        return absl::InvalidArgumentError(arg);
      }
    } else if (arg == "--quick") {
      o.connections = {1, 8};
      o.warmup_seconds = 0.1;
      o.measure_seconds = 0.5;
    } else if (arg == "--help") {
      std::printf(
          "usage: larder-bench-http [--larder=PATH] [--db=URL] [--connections=1,8,32]\n"
          "  [--seconds=3] [--warmup=0.5] [--views=50] [--entities=10] [--quick]\n");
      std::exit(0);
    } else {
      return absl::InvalidArgumentError("unknown flag " + arg + " (--help lists them)");
    }
  }
  return o;
}

int Run(const Options& o) {
  std::string db = o.db;
  if (db.empty()) {
    const std::string file = absl::StrCat("/tmp/larder-bench-http-", getpid(), ".db");
    unlink(file.c_str());
    db = "sqlite:///" + file;
  }
  const int http_port = FreePort();
  LarderProcess larder(o.larder, {"serve", "--db=" + db, "--migrate", "--addr=127.0.0.1:0",
                                  absl::StrCat("--http-addr=127.0.0.1:", http_port)});
  if (absl::Status s = larder.Start(); !s.ok()) return Fail(std::string(s.message()));
  LarderProcess hello(SelfPath(), {absl::StrCat("--serve-hello=", o.server_threads)});
  if (absl::Status s = hello.Start(); !s.ok()) return Fail(std::string(s.message()));
  const int hello_port = std::stoi(hello.address().substr(hello.address().rfind(':') + 1));

  // Seed project P: entities (the first is "driver", which the views name) and the views.
  auto channel = MakeChannel(larder.address());
  if (absl::Status s = WaitForServer(channel, 30); !s.ok()) return Fail(std::string(s.message()));
  auto stub = feast::registry::RegistryServer::NewStub(channel);
  if (absl::Status s = ApplyEntities(
          *stub, "P", o.entities,
          [](int64_t i) { return i == 0 ? std::string("driver") : absl::StrCat("entity_", i); });
      !s.ok()) {
    return Fail(std::string(s.message()));
  }
  if (absl::Status s =
          ApplyViews(*stub, "P", 0, o.views, 4, [](int64_t i) { return absl::StrCat("view_", i); });
      !s.ok()) {
    return Fail(std::string(s.message()));
  }

  std::vector<Target> targets = {
      {"hello (cpp-httplib ceiling)", hello_port, "/hello"},
      {absl::StrCat("GET /api/v1/feature_views?project=P (", o.views, " views)"), http_port,
       "/api/v1/feature_views?project=P"},
      {absl::StrCat("GET /api/v1/entities/all (", o.entities, " entities)"), http_port,
       "/api/v1/entities/all"},
  };
  // One request each first: the answer must be right before it is timed (and the snapshot and
  // any cache are warm, as "cached" reads are). The feature-view list's size gives the static
  // body of the same size served beside it.
  for (size_t i = 0; i < targets.size(); ++i) {
    const Target target = targets[i];
    httplib::Client client("127.0.0.1", target.port);
    httplib::Result result = client.Get(target.path);
    if (!result || result->status != 200) {
      return Fail(absl::StrCat(target.path, " answered ",
                               result ? absl::StrCat(result->status, " ", result->body)
                                      : httplib::to_string(result.error())));
    }
    std::printf("%-52s %8zu bytes\n", target.name.c_str(), result->body.size());
    if (i == 1) {
      targets.push_back({absl::StrCat("static ", result->body.size(), "-byte body (same library)"),
                         hello_port, absl::StrCat("/bytes/", result->body.size())});
    }
  }
  std::printf("\n%-52s %5s %10s %9s %9s %7s %s\n", "target", "conns", "req/s", "p50 ms", "p99 ms",
              "ratio", "errors");
  bool failed = false;
  for (int connections : o.connections) {
    double ceiling = 0;
    for (const Target& target : targets) {
      const CellResult r = RunCell(target, connections, o);
      if (&target == &targets.front()) ceiling = r.qps;
      failed = failed || r.errors > 0;
      std::printf("%-52s %5d %10.0f %9.3f %9.3f %7.2f %lld%s%s\n", target.name.c_str(), connections,
                  r.qps, r.p50_ms, r.p99_ms, ceiling > 0 ? r.qps / ceiling : 0,
                  static_cast<long long>(r.errors), r.first_error.empty() ? "" : " ",
                  r.first_error.c_str());
      std::fflush(stdout);
    }
  }
  hello.Stop();
  larder.Stop();
  if (o.db.empty()) unlink(db.substr(std::string("sqlite:///").size()).c_str());
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace larder::bench

int main(int argc, char** argv) {
  using namespace larder::bench;
  if (argc == 2 && std::string(argv[1]).rfind("--serve-hello=", 0) == 0) {
    int threads = 64;
    if (!absl::SimpleAtoi(std::string(argv[1]).substr(14), &threads)) return 2;
    return ServeHello(threads);
  }
  absl::StatusOr<Options> options = Parse(argc, argv);
  if (!options.ok()) return Fail(std::string(options.status().message()));
  return Run(*options);
}
