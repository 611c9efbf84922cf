// The Feast web UI as Larder serves it, in a real browser: Debian's chromium driven headless by
// playwright-core (ui/tests/browser_test.mjs) against the real larder binary serving ui/dist,
// over a registry seeded through gRPC with every object kind and several versions of some
// objects. The script checks what a user sees (projects, a feature view's features and
// entities, the lineage graph, the History tab, the live Changes page, no console errors) and
// saves screenshots under <build>/ui-screenshots. tests/ui/run-browser-test.sh runs this only
// when the UI is built and node and chromium are installed (else CTest reports it skipped).
#include <cstdio>
#include <string>

#include "tests/e2e/api_fixture.h"

namespace larder::testing {
namespace {

// Every kind: the demo repository (project, sources, entities, views, on-demand view, feature
// service, infra) plus a stream view, a label view, a saved dataset, a validation reference, a
// permission and a second project; then new versions of a feature view and an entity, so their
// History tabs have something to show.
void Seed(ApiServer& api) {
  DemoRepo repo = MakeDemoRepo("demo");
  ApplyDemoRepo(api, repo);
  const core::DataSource kafka = KafkaSource("driver_events", repo.driver_source);
  REQUIRE_OK(api.Apply("demo", kafka));
  REQUIRE_OK(api.Apply("demo", MakeStreamView("driver_stream", {"driver"},
                                              {Field("trips_5m", ValueType::INT64)}, kafka)));
  REQUIRE_OK(
      api.Apply("demo", MakeLabelView("driver_labels", {"driver"},
                                      {Field("is_fraud", ValueType::BOOL)}, repo.driver_source)));
  REQUIRE_OK(api.Apply("demo", MakeSavedDataset("training_set", "ns", "coll")));
  REQUIRE_OK(api.Apply("demo", MakeValidationReference("ref", "training_set")));
  REQUIRE_OK(api.Apply("demo", MakePermission("readers")));
  REQUIRE_OK(api.Apply(MakeProject("other", "another team")));
  REQUIRE_OK(api.Apply("other", MakeEntity("merchant", "merchant_id", ValueType::STRING)));

  core::FeatureView second = repo.driver_stats;
  second.mutable_spec()->set_description("hourly driver statistics, v2");
  REQUIRE_OK(api.Apply("demo", second));
  core::FeatureView third = second;
  *third.mutable_spec()->add_features() = Field("avg_rating", ValueType::DOUBLE);
  REQUIRE_OK(api.Apply("demo", third));
  core::Entity driver = repo.driver;
  (*driver.mutable_spec()->mutable_tags())["owner"] = "mobility";
  REQUIRE_OK(api.Apply("demo", driver));
}

TEST_CASE("http: the Feast web UI in a real browser over the seeded registry", "[sqlite][ui]") {
  auto db = ScratchDatabase::Create(TestBackend::kSqlite);
  ApiServer api(*db, {"--ui-dir=" LARDER_SOURCE_DIR "/ui/dist"});
  Seed(api);
  const std::string command =
      "node " LARDER_SOURCE_DIR "/ui/tests/browser_test.mjs http://127.0.0.1:" +
      std::to_string(api.process().http_port()) +
      " " LARDER_BINARY_DIR "/ui-screenshots demo driver_hourly_stats conv_rate 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char line[4096];
  while (fgets(line, sizeof line, pipe) != nullptr) {
    output += line;
    // The script waits on the Changes page for a change made while it watches: make one.
    if (std::string(line).rfind("waiting for a live change", 0) == 0) {
      REQUIRE_OK(api.Apply("other", MakeEntity("live_arrival", "arrival_id")));
    }
  }
  const int status = pclose(pipe);
  INFO(output);
  CHECK(status == 0);
  CHECK(output.find("browser test passed") != std::string::npos);
}

}  // namespace
}  // namespace larder::testing
