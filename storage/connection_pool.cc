#include "storage/connection_pool.h"

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
    mu_.Await(absl::Condition(&can_proceed));
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
