// Many materialization workers, on one feature view and on one view each: every acknowledged
// interval must be stored exactly once.
#include <map>
#include <mutex>
#include <set>

#include "absl/strings/str_cat.h"
#include "tests/stress/torture_context.h"

namespace larder::torture {
namespace {

feast::core::FeatureView View(const std::string& name) {
  feast::core::FeatureView view;
  view.mutable_spec()->set_name(name);
  view.mutable_spec()->add_entities("driver");
  view.mutable_spec()->add_features()->set_name("trips");
  view.mutable_spec()->set_online(true);
  return view;
}

// Interval starts are unique per call (worker * 1e6 + call), so each one identifies a call.
ScenarioResult Materialize(const TortureConfig& config, const std::string& scenario,
                           bool one_view) {
  ScenarioResult result = NewResult(scenario, config);
  const std::string project = absl::StrCat("torture_", config.run_id, "_", scenario);
  auto setup = ClientFor(config, 0);
  const int views = one_view ? 1 : config.writers;
  for (int v = 0; v < views; ++v) {
    if (!setup->ApplyFeatureView(project, View(absl::StrCat("fv", v))).ok()) {
      result.violations++;
      result.notes = "setup failed";
      return result;
    }
  }
  std::mutex mu;
  std::map<std::string, std::set<int64_t>> acknowledged;  // view -> starts
  Latencies latencies;
  RunStorm(config, config.writers, [&](int worker) {
    auto client = ClientFor(config, worker);
    const std::string name = absl::StrCat("fv", one_view ? 0 : worker);
    const feast::core::FeatureView view = View(name);
    for (int i = 0; i < config.calls; ++i) {
      google::protobuf::Timestamp start, end;
      start.set_seconds(int64_t{worker} * 1'000'000 + i);
      end.set_seconds(start.seconds() + 1);
      const auto t0 = std::chrono::steady_clock::now();
      absl::Status status = client->ApplyMaterialization(project, view, start, end);
      latencies.Add(MillisSince(t0));
      if (status.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        acknowledged[name].insert(start.seconds());
      }
    }
  });
  for (const auto& [name, starts] : acknowledged) result.acknowledged += starts.size();
  for (int v = 0; v < views; ++v) {
    const std::string name = absl::StrCat("fv", v);
    absl::StatusOr<feast::core::FeatureView> stored = setup->GetFeatureView(project, name);
    if (!stored.ok()) {
      result.violations++;
      result.notes = "final read failed: " + std::string(stored.status().message());
      continue;
    }
    std::map<int64_t, int> seen;
    for (const auto& interval : stored->meta().materialization_intervals()) {
      seen[interval.start_time().seconds()]++;
    }
    for (const auto& [start, count] : seen) {
      if (count > 1) result.duplicated += count - 1;
    }
    for (int64_t start : acknowledged[name]) {
      if (seen.count(start)) {
        result.present++;
      } else {
        result.lost++;
      }
    }
  }
  latencies.FillPercentiles(result);
  result.notes +=
      absl::StrCat(config.writers, "x", config.calls, one_view ? " on one view" : " on own views");
  return result;
}

}  // namespace

ScenarioResult MaterializeOneView(const TortureConfig& config) {
  return Materialize(config, "materialize_one_view", true);
}

ScenarioResult MaterializeManyViews(const TortureConfig& config) {
  return Materialize(config, "materialize_many_views", false);
}

}  // namespace larder::torture
