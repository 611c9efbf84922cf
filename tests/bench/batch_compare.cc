#include "tests/bench/batch_compare.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "larder/v1/registry.grpc.pb.h"
#include "tests/bench/larder_process.h"
#include "tests/bench/registry_fixtures.h"

namespace larder::bench {
namespace {

namespace reg = feast::registry;
using Clock = std::chrono::steady_clock;

constexpr int kViews = 500;
constexpr int kRounds = 3;

void Say(const std::string& line) {
  std::printf("larder-bench: %s\n", line.c_str());
  std::fflush(stdout);
}

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

feast::core::FeatureView View(int i) { return MakeFeatureView(absl::StrCat("bv_", i)); }

}  // namespace

int RunBatchComparison(const BenchOptions& o) {
  LarderProcess larder(o.larder_binary, SpawnArgs(o));
  if (absl::Status s = larder.Start(); !s.ok()) {
    Say(std::string(s.message()));
    return 1;
  }
  std::shared_ptr<grpc::Channel> channel = MakeChannel(larder.address());
  if (absl::Status s = WaitForServer(channel, 30); !s.ok()) {
    Say(std::string(s.message()));
    return 1;
  }
  auto feast = reg::RegistryServer::NewStub(channel);
  auto v1 = larder::v1::Registry::NewStub(channel);
  std::vector<double> singles, batches;
  for (int round = 0; round < kRounds; ++round) {
    const std::string single_project = absl::StrCat(o.project, "_single_", round);
    const Clock::time_point single_start = Clock::now();
    for (int i = 0; i < kViews; ++i) {
      reg::ApplyFeatureViewRequest request;
      request.set_project(single_project);
      *request.mutable_feature_view() = View(i);
      request.set_commit(true);
      google::protobuf::Empty empty;
      grpc::ClientContext context;
      grpc::Status status = feast->ApplyFeatureView(&context, request, &empty);
      if (!status.ok()) {
        Say("ApplyFeatureView failed: " + status.error_message());
        return 1;
      }
    }
    singles.push_back(Seconds(single_start));

    larder::v1::ApplyBatchRequest batch;
    batch.set_project(absl::StrCat(o.project, "_batch_", round));
    for (int i = 0; i < kViews; ++i) *batch.add_upserts()->mutable_feature_view() = View(i);
    const Clock::time_point batch_start = Clock::now();
    larder::v1::ApplyBatchResponse response;
    grpc::ClientContext context;
    grpc::Status status = v1->ApplyBatch(&context, batch, &response);
    if (!status.ok() || response.results_size() != kViews) {
      Say("ApplyBatch failed: " + status.error_message());
      return 1;
    }
    batches.push_back(Seconds(batch_start));
    Say(absl::StrFormat("round %d: %d x ApplyFeatureView %.3f s, one ApplyBatch of %d views %.3f s",
                        round + 1, kViews, singles.back(), kViews, batches.back()));
  }
  const double single = Median(singles), batch = Median(batches);
  Say(absl::StrFormat(
      "median of %d rounds: %d single ApplyFeatureView calls %.3f s (%.2f ms each), one ApplyBatch "
      "%.3f s: the batch takes %.3f of the time (%.1fx faster), and is all-or-nothing",
      kRounds, kViews, single, 1000 * single / kViews, batch, batch / single, single / batch));
  return 0;
}

}  // namespace larder::bench
