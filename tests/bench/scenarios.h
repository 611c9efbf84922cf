#pragma once

// The registry workloads of larder-bench: what each scenario calls, and the registry contents
// it needs (seeded through the API, so any Feast registry server can be measured).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "grpcpp/channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "tests/bench/closed_loop.h"
#include "tests/bench/registry_fixtures.h"

namespace larder::bench {

// What the scenarios read and write. Projects:
//   <project>        small_views feature views fv_<i> and as many entities entity_<i> (reads)
//   <project>_1k     list_views feature views (the large ListFeatureViews)
//   <project>_fill   views enough to make the whole registry proto_objects objects (Proto)
//   <project>_w      what the Apply* scenarios write: w_entity_<slot>, w_fv_<slot>, mat_* views
//   <project>_w<N>   one view w_fv_<N> each, for ApplyFeatureView(own project)
struct RegistryLayout {
  std::string project = "bench";
  int small_views = 50;
  int list_views = 1000;
  int64_t proto_objects = 10000;
  int max_in_flight = 32;
  // Distinguishes this run's writes from earlier runs' on the same database.
  std::string nonce;
};

// Which ceiling a scenario's ratio is taken against.
enum class CeilingKind { kRead, kWrite };

struct Scenario {
  std::string key;              // what --scenarios names, e.g. "ListFeatureViews"
  std::string label;            // the table's row label, e.g. "ListFeatureViews(1000)"
  bool cache_variants = false;  // run with allow_cache=true and false
  CeilingKind ceiling = CeilingKind::kRead;
  bool contended = false;  // all writers on one object (ApplyMaterialization)
  // Runs one cell; may set `note` (response size, lost writes, ...).
  std::function<CellResult(const LoopOptions&, bool cache, std::string* note)> run;
};

// The scenarios over one channel. Not thread-safe; cells run one at a time.
class Scenarios {
 public:
  Scenarios(std::shared_ptr<grpc::Channel> channel, RegistryLayout layout);
  Scenarios(const Scenarios&) = delete;
  Scenarios& operator=(const Scenarios&) = delete;

  // Seeds everything the scenarios read (idempotent: re-applying an unchanged object is a
  // no-op). `log` receives progress lines. Returns the first failed call's error.
  absl::Status Seed(const std::function<void(const std::string&)>& log);

  // Every scenario, in the order they run (reads first, then writes).
  std::vector<Scenario> All();

  // Objects in the registry, as counted from Proto() during Seed.
  int64_t registry_objects() const { return registry_objects_; }

 private:
  template <typename Request, typename Response>
  using TypedMethod = grpc::Status (RegistryStub::*)(grpc::ClientContext*, const Request&,
                                                     Response*);
  template <typename Request, typename Response>
  CellResult RawRead(const LoopOptions& options, const std::string& method,
                     TypedMethod<Request, Response> typed,
                     std::function<void(int64_t seq, Request&)> fill,
                     std::function<bool(const Response&)> check);
  CellResult Get(const LoopOptions& options, bool cache, bool entity);
  CellResult List(const LoopOptions& options, bool cache, const std::string& project, bool all);
  CellResult Proto(const LoopOptions& options, std::string* note);
  CellResult ApplyEntity(const LoopOptions& options);
  // spread: each in-flight slot writes in its own project (<project>_w<slot>), to show what
  // serializes writers of one project.
  CellResult ApplyFeatureView(const LoopOptions& options, bool spread);
  CellResult ApplyMaterialization(const LoopOptions& options, std::string* note);

  std::string WriteProject() const { return layout_.project + "_w"; }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<RegistryStub> stub_;
  grpc::GenericStub generic_;
  const RegistryLayout layout_;
  int cell_ = 0;  // numbers the write cells, so every write changes content
  int64_t registry_objects_ = 0;
};

}  // namespace larder::bench
