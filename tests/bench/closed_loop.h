#pragma once

// Closed-loop load over gRPC's callback API: one thread of the caller starts N calls on one
// channel, and each completion (on gRPC's callback threads) records its latency and immediately
// starts the slot's next call, so exactly N calls are in flight until the time is up.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace larder::bench {

using Clock = std::chrono::steady_clock;

// How one cell runs.
struct LoopOptions {
  int in_flight = 8;
  double warmup_seconds = 0.3;  // calls completing before this are not measured
  double measure_seconds = 2;   // then the measuring window
  // When >= 0: issue exactly this many calls (sequence numbers 0..max_calls-1) and ignore the
  // clock; every call is measured. Used to seed the registry.
  int64_t max_calls = -1;
  double call_deadline_seconds = 120;
};

// What one cell measured.
struct CellResult {
  double qps = 0;  // measured calls per second of the window (successful or not)
  double p50_ms = 0, p99_ms = 0;
  int64_t measured_calls = 0;  // completed inside the window
  int64_t ok_calls = 0;        // every successful completion, warm-up and tail included
  int64_t errors = 0;          // every failed completion, warm-up and tail included
  std::string first_error;
  double seconds = 0;  // length of the window
  // CPU per call (warm-up and tail included), when the caller measured it; -1 otherwise.
  double client_cpu_us = -1;  // this process: the load generator (and the echo server)
  double server_cpu_us = -1;  // the spawned larder
};

// Fills percentiles and QPS from latencies (microseconds) completed in a window of `seconds`.
// Counts (ok, errors) are left to the caller.
CellResult Summarize(std::vector<float> latencies_us, double seconds);

// Adds b's latencies and counts to a (same window).
void MergeLatencies(std::vector<float>& into, const std::vector<float>& from);

// Builds request number `seq` for `slot` (0..in_flight-1) into `request`, which holds the slot's
// previous request: overwrite every field that varies.
template <typename Request>
using PrepareFn = std::function<void(int slot, int64_t seq, Request& request)>;
// Starts one call: typically `stub->async()->Method(context, request, response, done)`.
template <typename Request, typename Response>
using InvokeFn = std::function<void(grpc::ClientContext*, const Request*, Response*,
                                    std::function<void(grpc::Status)>)>;

namespace internal {

// The state shared by all in-flight calls of one cell. Owned by shared_ptr captured in every
// completion callback, so it outlives the last callback whichever thread runs it.
template <typename Request, typename Response>
class LoopState : public std::enable_shared_from_this<LoopState<Request, Response>> {
 public:
  LoopState(const LoopOptions& options, PrepareFn<Request> prepare,
            InvokeFn<Request, Response> invoke)
      : options_(options),
        prepare_(std::move(prepare)),
        invoke_(std::move(invoke)),
        slots_(static_cast<size_t>(options.in_flight)) {}

  CellResult Run() {
    const auto start = Clock::now();
    counted_ = options_.max_calls >= 0;
    measure_from_ = counted_ ? start : start + Seconds(options_.warmup_seconds);
    stop_at_ =
        counted_ ? Clock::time_point::max() : measure_from_ + Seconds(options_.measure_seconds);
    {
      absl::MutexLock lock(&mu_);
      active_ = options_.in_flight;
    }
    for (int s = 0; s < options_.in_flight; ++s) Issue(s);
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](int* active) { return *active == 0; }, &active_));
    }
    const double window = counted_ ? std::chrono::duration<double>(Clock::now() - start).count()
                                   : options_.measure_seconds;
    std::vector<float> all;
    CellResult totals;
    for (Slot& slot : slots_) {
      MergeLatencies(all, slot.latencies_us);
      totals.ok_calls += slot.ok;
      totals.errors += slot.errors;
      if (totals.first_error.empty()) totals.first_error = slot.first_error;
    }
    CellResult result = Summarize(std::move(all), window);
    result.ok_calls = totals.ok_calls;
    result.errors = totals.errors;
    result.first_error = totals.first_error;
    return result;
  }

 private:
  struct Slot {
    std::unique_ptr<grpc::ClientContext> context;
    Request request;
    Response response;
    Clock::time_point started;
    std::vector<float> latencies_us;
    int64_t ok = 0, errors = 0;
    std::string first_error;
  };

  static Clock::duration Seconds(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  }

  // Starts the slot's next call, or retires the slot. Runs on the caller's thread for the first
  // call and on a gRPC callback thread afterwards; a slot never has two calls at once, so its
  // fields need no lock.
  void Issue(int s) {
    Slot& slot = slots_[static_cast<size_t>(s)];
    const int64_t seq = next_seq_.fetch_add(1);
    if (counted_ && seq >= options_.max_calls) return Retire();
    if (!counted_ && Clock::now() >= stop_at_) return Retire();
    // Safe to destroy the previous context here: gRPC holds its own reference to a finished
    // call until the completion callback has returned.
    slot.context = std::make_unique<grpc::ClientContext>();
    slot.context->set_deadline(std::chrono::system_clock::now() +
                               std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                   std::chrono::duration<double>(options_.call_deadline_seconds)));
    prepare_(s, seq, slot.request);
    slot.started = Clock::now();
    invoke_(
        slot.context.get(), &slot.request, &slot.response,
        [self = this->shared_from_this(), s](grpc::Status status) { self->Completed(s, status); });
  }

  void Completed(int s, const grpc::Status& status) {
    Slot& slot = slots_[static_cast<size_t>(s)];
    const auto now = Clock::now();
    if (now >= measure_from_ && now < stop_at_) {
      slot.latencies_us.push_back(
          std::chrono::duration<float, std::micro>(now - slot.started).count());
    }
    if (status.ok()) {
      ++slot.ok;
    } else {
      ++slot.errors;
      if (slot.first_error.empty()) {
        slot.first_error =
            std::to_string(static_cast<int>(status.error_code())) + ": " + status.error_message();
      }
    }
    Issue(s);
  }

  void Retire() {
    absl::MutexLock lock(&mu_);
    --active_;
  }

  const LoopOptions options_;
  const PrepareFn<Request> prepare_;
  const InvokeFn<Request, Response> invoke_;
  std::vector<Slot> slots_;
  std::atomic<int64_t> next_seq_{0};
  bool counted_ = false;
  Clock::time_point measure_from_, stop_at_;
  absl::Mutex mu_;
  int active_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace internal

// Runs one closed-loop cell: `options.in_flight` calls always outstanding until the window ends
// (or `max_calls` were issued), then waits for the stragglers. Never throws; failed calls are
// counted in `errors` with the first one's message.
template <typename Request, typename Response>
CellResult RunClosedLoop(const LoopOptions& options, PrepareFn<Request> prepare,
                         InvokeFn<Request, Response> invoke) {
  auto state = std::make_shared<internal::LoopState<Request, Response>>(options, std::move(prepare),
                                                                        std::move(invoke));
  return state->Run();
}

}  // namespace larder::bench
