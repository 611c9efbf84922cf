#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/latency_histogram.h"
#include "server/auth/authenticator.h"
#include "server/observability/logger.h"
#include "server/registry/registry.h"
#include "server/service/call.h"
#include "server/service/reply.h"
#include "server/service/serving_state.h"

namespace larder::service {

// Counters of the calls that went through CallRunner::Run, per method and front end: what the
// metrics endpoint exports. Thread-safe; the methods are registered up front (Register), so
// counting takes no lock.
class CallStats {
 public:
  static constexpr int kCodeCount = 17;  // absl::StatusCode 0 (OK) .. 16 (UNAUTHENTICATED)
  struct FrontEndCounters {
    std::atomic<int64_t> calls{0};  // started
    std::array<std::atomic<int64_t>, kCodeCount> finished_by_code{};
    std::atomic<int64_t> in_flight{0};
    std::atomic<int64_t> open_streams{0};  // server streams (WatchChanges) open now
    common::LatencyHistogram latency;
  };
  struct Counters {
    std::array<FrontEndCounters, kFrontEndCount> front_ends;
    FrontEndCounters& of(FrontEnd front_end) { return front_ends[static_cast<int>(front_end)]; }
    const FrontEndCounters& of(FrontEnd front_end) const {
      return front_ends[static_cast<int>(front_end)];
    }
  };
  // Registers `method` ("<service>/<method>"); returns its counters. Not thread-safe: call before
  // serving.
  Counters& Register(const std::string& method);
  // The counters of `method`, or nullptr when it was never registered.
  const Counters* Find(const std::string& method) const;
  // Calls `visit` for every registered method, in name order.
  void ForEach(const std::function<void(const std::string& method, const Counters&)>& visit) const;

 private:
  std::map<std::string, std::unique_ptr<Counters>> counters_;
};

// How CallRunner logs calls, and what it knows of the server's state.
struct CallRunnerOptions {
  // Not owned; must outlive the runner. Null: no call log.
  const observability::Logger* logger = nullptr;
  // A call slower than this is logged at warning level with "slow": true.
  absl::Duration slow_call = absl::Seconds(1);
  // Not owned; must outlive the runner. Once it is stopping, new calls are refused with
  // UNAVAILABLE (retry on another replica). Null: never.
  const ServingState* serving = nullptr;
};

// The one path every call takes, whatever its front end and whether or not its answer comes from
// memory: refuse calls already cancelled, authenticate the caller, run the operation, and count
// and log it (one log line and one set of metrics per call). Thread-safe.
class CallRunner {
 public:
  // `registry` and `authenticator` are not owned and must outlive the runner. Without an
  // authenticator every call is allowed (Feast's no_auth). `default_project` is Feast's
  // configured project, whose permissions govern requests that name no project.
  CallRunner(registry::Registry& registry, const auth::Authenticator* authenticator,
             std::string default_project, CallRunnerOptions options = {})
      : registry_(registry),
        authenticator_(authenticator),
        default_project_(std::move(default_project)),
        options_(options) {}

  // Whether calls are authenticated and checked against Feast permissions.
  bool checks_access() const { return authenticator_ != nullptr; }

  CallStats& stats() { return stats_; }
  const CallStats& stats() const { return stats_; }

  // Runs `operation` for the call described by `context`; `counters` are the method's (from
  // stats().Register); `project` is the project the request names (empty: none), for the log.
  absl::StatusOr<Reply> Run(const CallContext& context, CallStats::Counters& counters,
                            absl::string_view project,
                            absl::FunctionRef<absl::StatusOr<Reply>(const Call&)> operation) const;

  // A server stream is starting / has ended (after `duration`, with `status`): counts it as
  // open, then logs it once (its reads went through Run, logged at debug level only).
  void StreamStarted(const CallContext& context, CallStats::Counters& counters) const;
  void StreamEnded(const CallContext& context, CallStats::Counters& counters,
                   absl::string_view project, const absl::Status& status,
                   absl::Duration duration) const;

 private:
  // The caller, as far as the log can tell before or without authentication.
  void LogCall(const CallContext& context, absl::string_view project, absl::string_view actor,
               const absl::Status& status, absl::Duration latency, bool stream) const;

  registry::Registry& registry_;
  const auth::Authenticator* const authenticator_;
  const std::string default_project_;
  const CallRunnerOptions options_;
  CallStats stats_;
};

}  // namespace larder::service
