#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "server/auth/authenticator.h"
#include "server/registry/registry.h"
#include "server/service/call.h"
#include "server/service/reply.h"

namespace larder::service {

// Counters of the calls that went through CallRunner::Run, per method. Thread-safe; the methods
// are registered up front (Register), so counting takes no lock.
class CallStats {
 public:
  struct Counters {
    std::atomic<int64_t> calls{0};
    std::atomic<int64_t> errors{0};
  };
  // Registers `method` ("<service>/<method>"); returns its counters. Not thread-safe: call before
  // serving.
  Counters& Register(const std::string& method);
  // The counters of `method`, or nullptr when it was never registered.
  const Counters* Find(const std::string& method) const;

 private:
  std::map<std::string, std::unique_ptr<Counters>> counters_;
};

// The one path every call takes, whatever its front end and whether or not its answer comes from
// memory: refuse calls already cancelled, authenticate the caller, count, run the operation.
// Metrics, logs and limits attach here once. Thread-safe.
class CallRunner {
 public:
  // `registry` and `authenticator` are not owned and must outlive the runner. Without an
  // authenticator every call is allowed (Feast's no_auth). `default_project` is Feast's
  // configured project, whose permissions govern requests that name no project.
  CallRunner(registry::Registry& registry, const auth::Authenticator* authenticator,
             std::string default_project)
      : registry_(registry),
        authenticator_(authenticator),
        default_project_(std::move(default_project)) {}

  // Whether calls are authenticated and checked against Feast permissions.
  bool checks_access() const { return authenticator_ != nullptr; }

  CallStats& stats() { return stats_; }
  const CallStats& stats() const { return stats_; }

  // Runs `operation` for the call described by `context`; `counters` are the method's (from
  // stats().Register).
  absl::StatusOr<Reply> Run(const CallContext& context, CallStats::Counters& counters,
                            absl::FunctionRef<absl::StatusOr<Reply>(const Call&)> operation) const;

 private:
  registry::Registry& registry_;
  const auth::Authenticator* const authenticator_;
  const std::string default_project_;
  CallStats stats_;
};

}  // namespace larder::service
