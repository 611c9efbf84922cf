#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "storage/connection.h"

namespace larder::storage {

// A bounded pool of connections to one database. Connections are opened lazily, reused, and
// dropped when they report the session lost, so the next Acquire re-establishes one.
// Thread-safe.
class ConnectionPool {
 public:
  using Factory = std::function<absl::StatusOr<std::unique_ptr<Connection>>()>;

  // A connection on loan; returns it to the pool (or drops it if unusable) when destroyed.
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }

   private:
    ConnectionPool* pool_;  // not owned; outlives the lease
    std::unique_ptr<Connection> connection_;
  };

  ConnectionPool(Factory factory, int max_connections);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Blocks while all connections are on loan. Returns the factory's error (UNAVAILABLE when the
  // database cannot be reached) if a new connection must be opened and that fails.
  absl::StatusOr<Lease> Acquire();

  int max_connections() const { return max_connections_; }

  // What the pool is doing, for metrics. A consistent view of the gauges; the counters are
  // cumulative since the pool was made.
  struct Stats {
    int max = 0;
    int open = 0;    // idle + on loan
    int in_use = 0;  // on loan
    int64_t acquires = 0;
    int64_t waits = 0;  // acquires that found every connection on loan and waited
    double wait_seconds = 0;
  };
  Stats stats() const;

 private:
  void Release(std::unique_ptr<Connection> connection);

  const Factory factory_;
  const int max_connections_;
  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + on loan
  int64_t acquires_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t waits_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration waited_ ABSL_GUARDED_BY(mu_);
};

}  // namespace larder::storage
