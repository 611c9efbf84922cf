// The Prometheus text the server exports: the writer's output passes a strict parser (which
// itself refuses malformed text), and the server's metrics, over a real SQLite registry and the
// real service layer, move as calls are made.
#include "server/metrics/server_metrics.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "feast/registry/RegistryServer.pb.h"
#include "server/observability/prometheus_text.h"
#include "server/service/feast_registry_service.h"
#include "tests/support/prometheus_parser.h"
#include "tests/support/scratch_database.h"
#include "tests/support/temp_dir.h"

namespace larder::metrics {
namespace {

namespace reg = feast::registry;
using observability::PrometheusText;
using testing::ParsedMetrics;
using testing::ParsePrometheusText;

ParsedMetrics MustParse(const std::string& text) {
  absl::StatusOr<ParsedMetrics> parsed = ParsePrometheusText(text);
  INFO(text);
  INFO((parsed.ok() ? "" : std::string(parsed.status().message())));
  REQUIRE(parsed.ok());
  return *parsed;
}

TEST_CASE("The Prometheus writer escapes labels and writes cumulative histograms", "[metrics]") {
  PrometheusText out;
  out.Family("demo_total", PrometheusText::Type::kCounter, "A help text with \\ and\nnewline.");
  out.Sample({{"path", "a\"b\\c\nd"}}, 3);
  out.Sample({{"path", "plain"}}, 0.25);
  out.Family("demo_seconds", PrometheusText::Type::kHistogram, "Latency.");
  common::LatencyHistogram histogram;
  histogram.Record(absl::Microseconds(100));  // first bucket
  histogram.Record(absl::Milliseconds(30));   // 0.05
  histogram.Record(absl::Seconds(60));        // +Inf
  out.Histogram({{"method", "m"}}, histogram);
  const std::string text = out.Take();
  ParsedMetrics parsed = MustParse(text);
  CHECK(parsed.types.at("demo_total") == "counter");
  CHECK(parsed.Value("demo_total", {{"path", "a\\\"b\\\\c\\nd"}}) == 3);
  CHECK(parsed.Value("demo_total", {{"path", "plain"}}) == 0.25);
  CHECK(parsed.Value("demo_seconds_bucket", {{"method", "m"}, {"le", "0.0005"}}) == 1);
  CHECK(parsed.Value("demo_seconds_bucket", {{"method", "m"}, {"le", "0.025"}}) == 1);
  CHECK(parsed.Value("demo_seconds_bucket", {{"method", "m"}, {"le", "0.05"}}) == 2);
  CHECK(parsed.Value("demo_seconds_bucket", {{"method", "m"}, {"le", "10"}}) == 2);
  CHECK(parsed.Value("demo_seconds_bucket", {{"method", "m"}, {"le", "+Inf"}}) == 3);
  CHECK(parsed.Value("demo_seconds_count", {{"method", "m"}}) == 3);
  CHECK(parsed.Value("demo_seconds_sum", {{"method", "m"}}) == Approx(60.0301));
}

TEST_CASE("The test's Prometheus parser refuses malformed exposition text", "[metrics]") {
  const char* bad[] = {
      "# TYPE a counter\na 1",                                           // no final newline
      "a 1\n",                                                           // no TYPE
      "# TYPE a counter\na{x=\"1\" 1\n",                                 // unterminated labels
      "# TYPE a counter\na{x=1} 1\n",                                    // unquoted value
      "# TYPE a counter\na{x=\"\\q\"} 1\n",                              // bad escape
      "# TYPE a counter\na{x=\"1\",x=\"2\"} 1\n",                        // label twice
      "# TYPE a counter\na -1\n",                                        // negative counter
      "# TYPE a counter\na one\n",                                       // not a number
      "# TYPE a counter\na 1\na 2\n",                                    // series twice
      "# TYPE a counter\na 1\n# TYPE b gauge\nb 1\n# TYPE a counter\n",  // family twice
      "# TYPE a counter\n# TYPE b gauge\na 1\n",                         // sample outside its block
      "# TYPE 1a counter\n",                                             // bad name
      "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",  // no +Inf
      "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
  };
  for (const char* text : bad) {
    INFO(text);
    CHECK_FALSE(ParsePrometheusText(text).ok());
  }
  CHECK(ParsePrometheusText("").ok());
  CHECK(ParsePrometheusText("# HELP a x\n# TYPE a gauge\na{b=\"c\"} 1.5e3 1700000000\n").ok());
}

// A registry over SQLite, the service layer and the metrics reading them, as main() wires them.
struct Stack {
  Stack()
      : store(testing::OpenPreparedStore("sqlite:///" + dir.File("registry.db"))),
        registry(*store, clock),
        runner(registry, nullptr, ""),
        service(registry, runner, staged),
        metrics({.calls = &runner.stats(),
                 .store = store.get(),
                 .registry = &registry,
                 .follower = nullptr,
                 .staged = &staged,
                 .serving = &serving,
                 .version = "9.9.9",
                 .backend = "sqlite"}) {}

  absl::Status Call(const std::string& name, const google::protobuf::Message& request) {
    const service::Method* method = service.Find(name);
    REQUIRE(method != nullptr);
    service::CallContext context;
    context.method = method->full_name;
    return service::Invoke(runner, *method, context, request).status();
  }

  testing::TempDir dir;
  registry::SystemClock clock;
  std::unique_ptr<storage::SqlStore> store;
  registry::Registry registry;
  service::CallRunner runner;
  service::StagedWrites staged;
  service::FeastRegistryService service;
  service::ServingState serving;
  ServerMetrics metrics;
};

reg::ApplyEntityRequest ApplyDriver() {
  reg::ApplyEntityRequest request;
  request.set_project("demo");
  request.mutable_entity()->mutable_spec()->set_name("driver");
  request.mutable_entity()->mutable_spec()->set_join_key("driver_id");
  request.set_commit(true);
  return request;
}

TEST_CASE("Server metrics parse strictly and their counters move as calls are made", "[metrics]") {
  Stack s;
  s.serving.MarkServing();
  ParsedMetrics before = MustParse(s.metrics.RenderPrometheusText());
  CHECK(before.Value("larder_build_info", {{"version", "9.9.9"}, {"backend", "sqlite"}}) == 1);
  CHECK(before.Value("larder_ready") == 1);
  CHECK(before.Value("larder_calls_in_flight", {{"front_end", "grpc"}}) == 0);
  CHECK(before.Value("larder_watch_streams_open", {{"front_end", "grpc"}}) == 0);
  CHECK(before.Value("larder_db_pool_connections_max") >= 1);
  CHECK(before.Value("larder_database_up") == 1);
  CHECK(before.Value("larder_staged_apply_sessions") == 0);
  CHECK(before.Value("process_resident_memory_bytes") > 0);
  CHECK(before.Value("process_open_fds") > 0);
  CHECK(before.Value("process_cpu_seconds_total") >= 0);
  CHECK_FALSE(before.Has("larder_calls_started_total"));  // nothing called yet
  const double committed_before = before.Value("larder_db_transactions_total",
                                               {{"mode", "read_write"}, {"outcome", "committed"}});

  REQUIRE(s.Call("ApplyEntity", ApplyDriver()).ok());
  reg::GetEntityRequest get;
  get.set_project("demo");
  get.set_name("driver");
  REQUIRE(s.Call("GetEntity", get).ok());
  REQUIRE(s.Call("GetEntity", get).ok());
  get.set_name("nobody");
  REQUIRE(absl::IsNotFound(s.Call("GetEntity", get)));

  ParsedMetrics after = MustParse(s.metrics.RenderPrometheusText());
  const std::string get_entity = "feast.registry.RegistryServer/GetEntity";
  CHECK(after.Value("larder_calls_started_total",
                    {{"front_end", "grpc"}, {"method", get_entity}}) == 3);
  CHECK(after.Value("larder_calls_handled_total",
                    {{"front_end", "grpc"}, {"method", get_entity}, {"code", "OK"}}) == 2);
  CHECK(after.Value("larder_calls_handled_total",
                    {{"front_end", "grpc"}, {"method", get_entity}, {"code", "NOT_FOUND"}}) == 1);
  CHECK(after.Value("larder_call_duration_seconds_count",
                    {{"front_end", "grpc"}, {"method", get_entity}}) == 3);
  CHECK(after.Value("larder_calls_handled_total",
                    {{"front_end", "grpc"},
                     {"method", "feast.registry.RegistryServer/ApplyEntity"},
                     {"code", "OK"}}) == 1);
  CHECK(after.Value("larder_db_transactions_total",
                    {{"mode", "read_write"}, {"outcome", "committed"}}) == committed_before + 1);
  CHECK(after.Value("larder_db_commit_duration_seconds_count") >= 1);
  CHECK(after.Value("larder_db_pool_acquires_total") >
        before.Value("larder_db_pool_acquires_total"));
  CHECK(after.Value("larder_database_revision") >= 2);  // the project and the entity
  CHECK(after.Value("larder_snapshot_lag_revisions") >= 0);

  // Draining: not ready any more.
  s.serving.StartDraining();
  ParsedMetrics draining = MustParse(s.metrics.RenderPrometheusText());
  CHECK(draining.Value("larder_ready") == 0);
  CHECK(draining.Value("larder_draining") == 1);
}

}  // namespace
}  // namespace larder::metrics
