#pragma once

#include <atomic>

namespace larder::service {

// Where the server is in its life, for every front end to read: readiness (the gRPC health
// service, the HTTP /readyz) and whether open streams must end now. main() moves it forward:
// starting -> serving -> draining (not ready, still answering, so load balancers move traffic
// away) -> stopping (new calls and open streams are answered UNAVAILABLE, so clients retry or
// resume on another replica, while calls already running finish). Thread-safe.
class ServingState {
 public:
  // Whether new traffic should be sent here: serving and not draining.
  bool ready() const { return serving_.load() && !draining_.load(); }
  bool draining() const { return draining_.load(); }
  // Whether new calls are refused and open server streams (WatchChanges) must end now, both
  // with UNAVAILABLE.
  bool stopping() const { return stopping_.load(); }

  void MarkServing() { serving_.store(true); }
  void StartDraining() { draining_.store(true); }
  void BeginStopping() {
    draining_.store(true);
    stopping_.store(true);
  }

 private:
  std::atomic<bool> serving_{false};
  std::atomic<bool> draining_{false};
  std::atomic<bool> stopping_{false};
};

}  // namespace larder::service
