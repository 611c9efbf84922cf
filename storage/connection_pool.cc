#include "storage/connection_pool.h"

#include "absl/time/clock.h"

namespace larder::storage {

ConnectionPool::Lease::~Lease() {
  if (connection_ != nullptr) pool_->Release(std::move(connection_));
}

ConnectionPool::ConnectionPool(Factory factory, int max_connections)
    : factory_(std::move(factory)), max_connections_(max_connections) {}

absl::StatusOr<ConnectionPool::Lease> ConnectionPool::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    auto can_proceed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < max_connections_;
    };
    ++acquires_;
    if (!can_proceed()) {
      // Every connection is on loan: the wait is what metrics call pool contention.
      const absl::Time start = absl::Now();
      mu_.Await(absl::Condition(&can_proceed));
      ++waits_;
      waited_ += absl::Now() - start;
    }
    if (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(connection));
    }
    ++open_;  // reserve the slot; opening happens outside the lock
  }
  absl::StatusOr<std::unique_ptr<Connection>> connection = factory_();
  if (!connection.ok()) {
    absl::MutexLock lock(&mu_);
    --open_;
    return connection.status();
  }
  return Lease(this, *std::move(connection));
}

ConnectionPool::Stats ConnectionPool::stats() const {
  absl::MutexLock lock(&mu_);
  return {.max = max_connections_,
          .open = open_,
          .in_use = open_ - static_cast<int>(idle_.size()),
          .acquires = acquires_,
          .waits = waits_,
          .wait_seconds = absl::ToDoubleSeconds(waited_)};
}

void ConnectionPool::Release(std::unique_ptr<Connection> connection) {
  // A connection still inside a transaction here means its user bailed out early: undo.
  connection->Rollback();
  absl::MutexLock lock(&mu_);
  if (connection->usable()) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;
  }
}

}  // namespace larder::storage
