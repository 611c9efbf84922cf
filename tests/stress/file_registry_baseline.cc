// A model of Feast's file registry (registry.db: one serialized Registry proto) under the same
// storms: every change reads the whole file, changes one object and rewrites the whole file
// (write to a temporary file, fsync, rename), with no lock between writers, as separate Feast
// processes (CI jobs, materialization workers) do.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "feast/core/Registry.pb.h"
#include "tests/stress/torture_context.h"

namespace larder::torture {
namespace {

feast::core::Registry ReadRegistry(const std::string& path) {
  feast::core::Registry registry;
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  registry.ParseFromString(bytes.str());
  return registry;
}

void WriteRegistry(const std::string& path, const feast::core::Registry& registry, int writer) {
  const std::string temporary = absl::StrCat(path, ".tmp", writer);
  const std::string bytes = registry.SerializeAsString();
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  ssize_t ignored = ::write(fd, bytes.data(), bytes.size());
  (void)ignored;
  ::fsync(fd);
  ::close(fd);
  ::rename(temporary.c_str(), path.c_str());
}

feast::core::FeatureView* FindView(feast::core::Registry& registry, const std::string& name) {
  for (auto& view : *registry.mutable_feature_views()) {
    if (view.spec().name() == name) return &view;
  }
  return nullptr;
}

// Registry of `objects` feature views of about 2 KB each.
feast::core::Registry Filled(int objects) {
  feast::core::Registry registry;
  for (int i = 0; i < objects; ++i) {
    auto* view = registry.add_feature_views();
    view->mutable_spec()->set_name(absl::StrCat("fv", i));
    view->mutable_spec()->set_description(std::string(2000, 'x'));
  }
  return registry;
}

}  // namespace

std::vector<ScenarioResult> FileRegistryBaseline(const TortureConfig& config,
                                                 const std::string& path) {
  std::vector<ScenarioResult> results;
  // Materialization storm on one view.
  {
    ScenarioResult r{"materialize_one_view", "file", 1};
    feast::core::Registry initial = Filled(1);
    WriteRegistry(path, initial, -1);
    std::mutex mu;
    std::set<int64_t> acknowledged;
    Latencies latencies;
    RunStorm(TortureConfig{}, config.writers, [&](int worker) {
      for (int i = 0; i < config.calls; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        feast::core::Registry registry = ReadRegistry(path);
        feast::core::FeatureView* view = FindView(registry, "fv0");
        if (view == nullptr) continue;  // caught a torn moment: the write fails
        auto* interval = view->mutable_meta()->add_materialization_intervals();
        interval->mutable_start_time()->set_seconds(int64_t{worker} * 1'000'000 + i);
        WriteRegistry(path, registry, worker);
        latencies.Add(MillisSince(t0));
        std::lock_guard<std::mutex> lock(mu);
        acknowledged.insert(int64_t{worker} * 1'000'000 + i);
      }
    });
    std::map<int64_t, int> seen;
    feast::core::Registry final_registry = ReadRegistry(path);
    if (feast::core::FeatureView* view = FindView(final_registry, "fv0")) {
      for (const auto& interval : view->meta().materialization_intervals()) {
        seen[interval.start_time().seconds()]++;
      }
    }
    r.acknowledged = acknowledged.size();
    for (int64_t start : acknowledged) (seen.count(start) ? r.present : r.lost)++;
    for (const auto& [start, count] : seen) r.duplicated += count > 1 ? count - 1 : 0;
    latencies.FillPercentiles(r);
    r.notes = absl::StrCat(config.writers, "x", config.calls,
                           " read-modify-rewrite of the whole file, no lock");
    results.push_back(r);
  }
  // Per-write cost as the registry grows: one writer, so nothing is lost, only slow.
  for (int objects : {100, 1000, 10000}) {
    ScenarioResult r{absl::StrCat("rewrite_cost_", objects, "_objects"), "file", 1};
    WriteRegistry(path, Filled(objects), -1);
    Latencies latencies;
    for (int i = 0; i < 20; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      feast::core::Registry registry = ReadRegistry(path);
      registry.mutable_feature_views(0)->mutable_spec()->set_owner(absl::StrCat("w", i));
      WriteRegistry(path, registry, 0);
      latencies.Add(MillisSince(t0));
      r.acknowledged++;
      r.present++;
    }
    latencies.FillPercentiles(r);
    r.notes = "one change = whole registry read + rewritten";
    results.push_back(r);
  }
  ::unlink(path.c_str());
  return results;
}

}  // namespace larder::torture
