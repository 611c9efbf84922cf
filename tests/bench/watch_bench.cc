#include "tests/bench/watch_bench.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "larder/v1/registry.grpc.pb.h"
#include "tests/bench/larder_process.h"
#include "tests/bench/registry_fixtures.h"

namespace larder::bench {
namespace {

namespace reg = feast::registry;
using Clock = std::chrono::steady_clock;

void Say(const std::string& line) {
  std::printf("larder-bench: %s\n", line.c_str());
  std::fflush(stdout);
}

// One watch stream, read with the callback API; records when it caught up and when it received
// the change with revision `target`.
class Watcher : public grpc::ClientReadReactor<larder::v1::WatchChangesResponse> {
 public:
  Watcher(larder::v1::Registry::Stub& stub, int64_t after) {
    request_.set_after_revision(after);
    request_.set_heartbeat_seconds(1);
    stub.async()->WatchChanges(&context_, &request_, this);
    StartRead(&event_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    {
      absl::MutexLock lock(&mu_);
      if (event_.has_heartbeat()) caught_up_ = true;
      if (event_.has_change() && event_.change().revision() == target_) received_ = Clock::now();
    }
    StartRead(&event_);
  }
  void OnDone(const grpc::Status&) override {
    absl::MutexLock lock(&mu_);
    done_ = true;
  }
  void Expect(int64_t revision) {
    absl::MutexLock lock(&mu_);
    target_ = revision;
    received_.reset();
  }
  bool caught_up() {
    absl::MutexLock lock(&mu_);
    return caught_up_;
  }
  std::optional<Clock::time_point> received() {
    absl::MutexLock lock(&mu_);
    return received_;
  }
  void Cancel() { context_.TryCancel(); }
  bool done() {
    absl::MutexLock lock(&mu_);
    return done_;
  }

 private:
  grpc::ClientContext context_;
  larder::v1::WatchChangesRequest request_;
  larder::v1::WatchChangesResponse event_;
  absl::Mutex mu_;
  bool caught_up_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  int64_t target_ ABSL_GUARDED_BY(mu_) = -1;
  std::optional<Clock::time_point> received_ ABSL_GUARDED_BY(mu_);
};

// Applies one entity; returns the revision it made (from the change log) and when it returned.
absl::StatusOr<Clock::time_point> ApplyOne(const std::shared_ptr<grpc::Channel>& channel,
                                           const std::string& project, const std::string& name) {
  auto stub = reg::RegistryServer::NewStub(channel);
  reg::ApplyEntityRequest request;
  request.set_project(project);
  request.mutable_entity()->mutable_spec()->set_name(name);
  request.set_commit(true);
  google::protobuf::Empty empty;
  grpc::ClientContext context;
  grpc::Status status = stub->ApplyEntity(&context, request, &empty);
  if (!status.ok()) return absl::UnavailableError(status.error_message());
  return Clock::now();
}

absl::StatusOr<int64_t> LastRevision(larder::v1::Registry::Stub& stub) {
  int64_t after = 0;
  for (;;) {
    larder::v1::ListChangesRequest request;
    request.set_after_revision(after);
    request.set_limit(10000);
    larder::v1::ListChangesResponse response;
    grpc::ClientContext context;
    grpc::Status status = stub.ListChanges(&context, request, &response);
    if (!status.ok()) return absl::UnavailableError(status.error_message());
    if (response.next_after_revision() == after) return after;
    after = response.next_after_revision();
  }
}

// Waits until every watcher has `revision`; returns the delivery delays in ms (NaN-free: a
// watcher that never got it within 30 s fails the run).
absl::StatusOr<std::vector<double>> Deliveries(std::vector<std::unique_ptr<Watcher>>& watchers,
                                               Clock::time_point committed) {
  const Clock::time_point give_up = Clock::now() + std::chrono::seconds(30);
  std::vector<double> ms;
  for (auto& w : watchers) {
    std::optional<Clock::time_point> at;
    while (!(at = w->received()).has_value()) {
      if (Clock::now() > give_up) return absl::DeadlineExceededError("a watcher got nothing");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ms.push_back(std::max(0.0, std::chrono::duration<double, std::milli>(*at - committed).count()));
  }
  std::sort(ms.begin(), ms.end());
  return ms;
}

std::string Summary(const std::vector<double>& ms) {
  auto at = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))];
  };
  return absl::StrFormat("p50 %.1f ms, p99 %.1f ms, max %.1f ms", at(0.5), at(0.99), ms.back());
}

}  // namespace

int RunWatchBenchmark(const BenchOptions& o) {
  const std::vector<std::string> args = SpawnArgs(o);
  LarderProcess a(o.larder_binary, args), b(o.larder_binary, args);
  for (LarderProcess* p : {&a, &b}) {
    if (absl::Status s = p->Start(); !s.ok()) {
      Say(std::string(s.message()));
      return 1;
    }
  }
  std::shared_ptr<grpc::Channel> channel_a = MakeChannel(a.address());
  std::shared_ptr<grpc::Channel> channel_b = MakeChannel(b.address());
  if (!WaitForServer(channel_a, 30).ok() || !WaitForServer(channel_b, 30).ok()) {
    Say("the replicas did not start");
    return 1;
  }
  auto stub = larder::v1::Registry::NewStub(channel_a);
  absl::StatusOr<int64_t> start_revision = LastRevision(*stub);
  if (!start_revision.ok()) {
    Say(std::string(start_revision.status().message()));
    return 1;
  }
  absl::StatusOr<int64_t> rss_before = a.RssBytes();
  std::vector<std::unique_ptr<Watcher>> watchers;
  for (int i = 0; i < o.watchers; ++i) {
    watchers.push_back(std::make_unique<Watcher>(*stub, *start_revision));
  }
  const Clock::time_point give_up = Clock::now() + std::chrono::seconds(60);
  for (auto& w : watchers) {
    while (!w->caught_up()) {
      if (Clock::now() > give_up) {
        Say("watchers did not catch up within 60 s");
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  absl::StatusOr<int64_t> rss_after = a.RssBytes();
  if (rss_before.ok() && rss_after.ok()) {
    Say(
        absl::StrFormat("%d idle watchers on one replica: RSS %.1f MB -> %.1f MB, %.1f KB per "
                        "watcher",
                        o.watchers, *rss_before / 1e6, *rss_after / 1e6,
                        (*rss_after - *rss_before) / 1e3 / o.watchers));
  }
  const std::string project = absl::StrCat(o.project, "_watch");
  int64_t next = *start_revision + 2;  // the first apply also creates the project
  for (const auto& [label, channel] :
       {std::pair<std::string, std::shared_ptr<grpc::Channel>>{"the same replica", channel_a},
        {"another replica", channel_b}}) {
    for (auto& w : watchers) w->Expect(next);
    absl::StatusOr<Clock::time_point> committed =
        ApplyOne(channel, project, absl::StrCat("e", next));
    if (!committed.ok()) {
      Say(std::string(committed.status().message()));
      return 1;
    }
    absl::StatusOr<std::vector<double>> ms = Deliveries(watchers, *committed);
    if (!ms.ok()) {
      Say(std::string(ms.status().message()));
      return 1;
    }
    Say(absl::StrFormat("one change committed on %s reached all %d watchers: %s", label, o.watchers,
                        Summary(*ms)));
    next += 1;
  }
  for (auto& w : watchers) w->Cancel();
  for (auto& w : watchers) {
    while (!w->done()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return 0;
}

}  // namespace larder::bench
