#pragma once

#include <atomic>

namespace larder::service {

// Where the server is in its life, for every front end to read: readiness (the gRPC health
// service, the HTTP /readyz) and whether open streams must end now. main() moves it forward:
// starting -> serving -> draining (not ready, still answering, so load balancers move traffic
// away) -> ending streams (watchers are told to resume on another replica). Thread-safe.
class ServingState {
 public:
  // Whether new traffic should be sent here: serving and not draining.
  bool ready() const { return serving_.load() && !draining_.load(); }
  bool draining() const { return draining_.load(); }
  // Whether open server streams (WatchChanges) must end now with UNAVAILABLE.
  bool streams_ending() const { return streams_ending_.load(); }

  void MarkServing() { serving_.store(true); }
  void StartDraining() { draining_.store(true); }
  void EndStreams() {
    draining_.store(true);
    streams_ending_.store(true);
  }

 private:
  std::atomic<bool> serving_{false};
  std::atomic<bool> draining_{false};
  std::atomic<bool> streams_ending_{false};
};

}  // namespace larder::service
