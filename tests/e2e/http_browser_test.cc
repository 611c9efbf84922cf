// The Feast web UI as Larder serves it, in a real browser: Debian's chromium driven headless by
// playwright-core (ui/tests/browser_test.mjs) against the real larder binary serving ui/dist,
// over a registry seeded through gRPC with every object kind and several versions of some
// objects. The script checks what a user sees (projects, a feature view's features and
// entities, the lineage graph, the History tab, the live Changes page, no console errors) and
// saves screenshots under <build>/ui-screenshots, on every backend (tests/CMakeLists.txt runs
// one CTest test per backend). tests/ui/run-browser-test.sh runs this only
// when the UI is built and node and chromium are installed (else CTest reports it skipped).
#include <cstdio>
#include <string>

#include "tests/e2e/api_fixture.h"

namespace larder::testing {
namespace {

// Every kind: the demo repository (project, sources, entities, views, on-demand view, feature
// service, infra) plus a stream view, a label view, a saved dataset, a validation reference, a
// permission and a second project; then new versions of a feature view, an entity, the label
// view and the permission, so their histories have something to show (the last two on Larder's
// History page, FeastUI having no History tab for them).
void Seed(ApiServer& api) {
  DemoRepo repo = MakeDemoRepo("demo");
  ApplyDemoRepo(api, repo);
  const core::DataSource kafka = KafkaSource("driver_events", repo.driver_source);
  REQUIRE_OK(api.Apply("demo", kafka));
  REQUIRE_OK(api.Apply("demo", MakeStreamView("driver_stream", {"driver"},
                                              {Field("trips_5m", ValueType::INT64)}, kafka)));
  core::LabelView labels = MakeLabelView("driver_labels", {"driver"},
                                         {Field("is_fraud", ValueType::BOOL)}, repo.driver_source);
  REQUIRE_OK(api.Apply("demo", labels));
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
  labels.mutable_spec()->set_description("fraud labels, reviewed");
  REQUIRE_OK(api.Apply("demo", labels));
  core::Permission readers = MakePermission("readers");
  readers.mutable_spec()->mutable_policy()->mutable_role_based_policy()->add_roles("auditor");
  REQUIRE_OK(api.Apply("demo", readers));
  core::Entity driver = repo.driver;
  (*driver.mutable_spec()->mutable_tags())["owner"] = "mobility";
  REQUIRE_OK(api.Apply("demo", driver));
}

// One browser session per backend: the UI reads everything through the REST API, so the
// backend shows only through what the server answers, but the history, diff and change feed
// come straight from each backend's change log. Screenshots per backend under
// <build>/ui-screenshots/<backend>.
void RunBrowser(const ScratchDatabase& db) {
  ApiServer api(db, {"--ui-dir=" LARDER_SOURCE_DIR "/ui/dist"});
  Seed(api);
  const std::string command =
      "node " LARDER_SOURCE_DIR "/ui/tests/browser_test.mjs http://127.0.0.1:" +
      std::to_string(api.process().http_port()) + " " LARDER_BINARY_DIR "/ui-screenshots/" +
      BackendName(db.backend()) + " demo driver_hourly_stats conv_rate 2>&1";
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
  // The script's step lines (with their times) show in CTest's output even when it passes.
  std::fputs(output.c_str(), stdout);
  INFO(output);
  CHECK(status == 0);
  CHECK(output.find("browser test passed") != std::string::npos);
}

LARDER_BACKEND_TEST("http: the Feast web UI in a real browser over the seeded registry", RunBrowser)

}  // namespace
}  // namespace larder::testing
