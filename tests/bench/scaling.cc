#include "tests/bench/scaling.h"

#include <cstdio>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/empty.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "tests/bench/larder_process.h"
#include "tests/bench/registry_fixtures.h"
#include "tests/bench/report.h"

namespace larder::bench {
namespace {

namespace reg = feast::registry;
using google::protobuf::Empty;

void Log(const std::string& line) {
  std::fprintf(stderr, "larder-bench: %s\n", line.c_str());
  std::fflush(stderr);
}

std::string ViewName(int64_t i) { return absl::StrCat("sv_", i); }

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::vector<std::string> LarderArgs(const BenchOptions& o) { return SpawnArgs(o); }

// ApplyFeatureView of existing views (changed description) at 1 in flight, spread over all
// `size` views so every call looks up a different row.
CellResult MeasureApply(RegistryStub& stub, const std::string& project, int64_t size,
                        const BenchOptions& o, int round) {
  LoopOptions timing;
  timing.in_flight = 1;
  timing.warmup_seconds = o.warmup;
  timing.measure_seconds = o.seconds;
  const std::string stamp = absl::StrCat("scaling round ", round, " call ");
  return RunClosedLoop<reg::ApplyFeatureViewRequest, Empty>(
      timing,
      [&](int, int64_t seq, reg::ApplyFeatureViewRequest& q) {
        const int64_t index = (seq * 7919) % size;
        *q.mutable_feature_view() = MakeFeatureView(ViewName(index));
        q.set_project(project);
        q.set_commit(true);
        std::string* description = q.mutable_feature_view()->mutable_spec()->mutable_description();
        const std::string prefix = absl::StrCat(stamp, seq, " ");
        description->replace(0, std::min(prefix.size(), description->size()), prefix);
      },
      [&stub](grpc::ClientContext* c, const reg::ApplyFeatureViewRequest* q, Empty* r,
              std::function<void(grpc::Status)> done) {
        stub.async()->ApplyFeatureView(c, q, r, std::move(done));
      });
}

// The serialized size of Proto()'s response (the whole registry), not parsed.
absl::StatusOr<int64_t> RegistryBytes(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub generic(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1), response;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&context, "/feast.registry.RegistryServer/Proto", grpc::StubOptions(), &request,
                    &response, [&done](grpc::Status s) { done.set_value(s); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) return absl::UnavailableError("Proto(): " + status.error_message());
  return static_cast<int64_t>(response.Length());
}

// One cached read; true when it succeeded.
bool CachedGet(RegistryStub& stub, const std::string& project, double deadline_seconds) {
  reg::GetFeatureViewRequest get;
  get.set_project(project);
  get.set_name(ViewName(0));
  get.set_allow_cache(true);
  feast::core::FeatureView view;
  grpc::ClientContext context;
  context.set_wait_for_ready(true);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(deadline_seconds * 1000)));
  return stub.GetFeatureView(&context, get, &view).ok();
}

std::string Mb(int64_t bytes) { return absl::StrFormat("%.1f MB", bytes / 1e6); }

}  // namespace

int RunScaling(const BenchOptions& o) {
  const std::string project = o.project + "_scale";
  auto larder = std::make_unique<LarderProcess>(o.larder_binary, LarderArgs(o));
  if (absl::Status s = larder->Start(); !s.ok()) {
    Log(std::string(s.message()));
    return 1;
  }
  std::shared_ptr<grpc::Channel> channel = MakeChannel(larder->address());
  if (absl::Status s = WaitForServer(channel, 30); !s.ok()) {
    Log(std::string(s.message()));
    return 1;
  }
  std::unique_ptr<RegistryStub> stub = reg::RegistryServer::NewStub(channel);
  absl::StatusOr<int64_t> existing = CountFeatureViews(*stub, project);
  if (!existing.ok()) {
    Log(std::string(existing.status().message()));
    return 1;
  }
  if (*existing > 0) {
    Log(absl::StrCat("note: ", project, " already has ", *existing,
                     " views (the database is not fresh); filling on top of them"));
  }

  struct SizeRow {
    int64_t objects;
    double fill_seconds;
    CellResult apply;
    int64_t rss = 0;  // of the filling server, after the measurement
  };
  std::vector<SizeRow> sizes;
  int64_t have = *existing;
  for (int64_t target : o.scaling_sizes) {
    const auto fill_start = Clock::now();
    if (target > have) {
      Log(absl::StrCat("filling ", project, " from ", have, " to ", target, " views"));
      const int64_t count = target - have;
      absl::Status s = ApplyViews(
          *stub, project, have, count, 32, ViewName,
          [&](int64_t done) {
            Log(absl::StrFormat("  %d of %d (%.0f views/s)", done, count,
                                done / SecondsSince(fill_start)));
          },
          std::max<int64_t>(1000, count / 10));
      if (!s.ok()) {
        Log(std::string(s.message()));
        return 1;
      }
      have = target;
    }
    SizeRow row{have, SecondsSince(fill_start),
                MeasureApply(*stub, project, have, o, static_cast<int>(sizes.size()))};
    if (row.apply.errors > 0) {
      Log("ApplyFeatureView failed: " + row.apply.first_error);
      return 1;
    }
    row.rss = larder->RssBytes().value_or(0);
    Log(absl::StrFormat("%d views: ApplyFeatureView p50 %.2f ms, p99 %.2f ms, RSS %s", have,
                        row.apply.p50_ms, row.apply.p99_ms, Mb(row.rss)));
    sizes.push_back(row);
  }

  // Memory of the server that did the filling, with its snapshot loaded.
  if (!CachedGet(*stub, project, 300)) {
    Log("cached GetFeatureView failed on the filled registry");
    return 1;
  }
  const absl::StatusOr<int64_t> rss_filler = larder->RssBytes();
  const absl::StatusOr<int64_t> raw = RegistryBytes(channel);
  if (!rss_filler.ok() || !raw.ok()) {
    Log("cannot read RSS or Proto() size");
    return 1;
  }
  const absl::StatusOr<int64_t> rss_after_proto = larder->RssBytes();
  larder->Stop();

  // Cold start: a fresh process on the filled database until its first cached read.
  larder = std::make_unique<LarderProcess>(o.larder_binary, LarderArgs(o));
  if (absl::Status s = larder->Start(); !s.ok()) {
    Log(std::string(s.message()));
    return 1;
  }
  const double to_serving =
      std::chrono::duration<double>(larder->serving_at() - larder->spawned_at()).count();
  channel = MakeChannel(larder->address());
  stub = reg::RegistryServer::NewStub(channel);
  const bool first_read = CachedGet(*stub, project, 300);
  const double cold_start = SecondsSince(larder->spawned_at());
  const absl::StatusOr<int64_t> rss_fresh = larder->RssBytes();
  const int stop_code = larder->Stop();
  if (!first_read || !rss_fresh.ok()) {
    Log("the fresh larder did not answer a cached read");
    return 1;
  }

  std::printf("larder-bench --scaling: database %s, %.1f s cells, 1 in flight\n",
              o.db_url.substr(0, o.db_url.find("://")).c_str(), o.seconds);
  std::printf("machine: %s\n\n", MachineDescription().c_str());
  std::printf(
      "| views in registry | fill time s | ApplyFeatureView QPS | p50 ms | p99 ms | "
      "p50 vs smallest | server RSS |\n|--:|--:|--:|--:|--:|--:|--:|\n");
  for (const SizeRow& r : sizes) {
    std::printf("| %lld | %.1f | %.0f | %.2f | %.2f | %.2f | %s |\n",
                static_cast<long long>(r.objects), r.fill_seconds, r.apply.qps, r.apply.p50_ms,
                r.apply.p99_ms, r.apply.p50_ms / sizes.front().apply.p50_ms, Mb(r.rss).c_str());
  }
  const int64_t largest = sizes.back().objects;
  std::printf("\nat %lld views: raw proto bytes (Proto() response) %s\n",
              static_cast<long long>(largest), Mb(*raw).c_str());
  std::printf("  RSS of the filling server, snapshot loaded: %s (%.2fx raw)\n",
              Mb(*rss_filler).c_str(), static_cast<double>(*rss_filler) / *raw);
  if (rss_after_proto.ok()) {
    std::printf("  RSS of the filling server after one Proto(): %s (%.2fx raw)\n",
                Mb(*rss_after_proto).c_str(), static_cast<double>(*rss_after_proto) / *raw);
  }
  std::printf("  RSS of a fresh server after its first cached read: %s (%.2fx raw)\n",
              Mb(*rss_fresh).c_str(), static_cast<double>(*rss_fresh) / *raw);
  std::printf(
      "  cold start: %.2f s to the serving line, %.2f s to the first cached "
      "GetFeatureView (exit code %d)\n\n",
      to_serving, cold_start, stop_code);

  std::printf("targets:\n");
  const double latency_ratio = sizes.back().apply.p50_ms / sizes.front().apply.p50_ms;
  PrintTarget(stdout,
              absl::StrFormat("apply p50 at %d vs %d views", largest, sizes.front().objects),
              latency_ratio <= 1.25, absl::StrFormat("%.2fx", latency_ratio), "<= 1.25x");
  const double rss_ratio = static_cast<double>(std::max(*rss_filler, *rss_fresh)) / *raw;
  PrintTarget(stdout, absl::StrFormat("RSS at %d views vs raw proto bytes (worse server)", largest),
              rss_ratio <= 3, absl::StrFormat("%.2fx", rss_ratio), "<= 3x");
  PrintTarget(stdout, absl::StrFormat("cold start at %d views", largest), cold_start <= 3,
              absl::StrFormat("%.2f s", cold_start), "<= 3 s");
  std::fflush(stdout);
  return 0;
}

}  // namespace larder::bench
