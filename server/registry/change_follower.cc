#include "server/registry/change_follower.h"

#include <algorithm>
#include <iostream>
#include <vector>

#include "absl/time/clock.h"

namespace larder::registry {

ChangeFollower::ChangeFollower(Registry& registry, storage::ChangeListener* listener,
                               Options options)
    : registry_(registry), listener_(listener), options_(options) {}

ChangeFollower::~ChangeFollower() { Stop(); }

void ChangeFollower::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void ChangeFollower::Stop() {
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  Wake();
  if (thread_.joinable()) thread_.join();
}

int ChangeFollower::Subscribe(Subscriber subscriber) {
  absl::MutexLock lock(&mu_);
  subscribers_.emplace(next_id_, std::move(subscriber));
  return next_id_++;
}

void ChangeFollower::Unsubscribe(int id) {
  absl::MutexLock lock(&mu_);
  subscribers_.erase(id);
}

void ChangeFollower::Wake() {
  absl::MutexLock lock(&wake_mu_);
  woken_ = true;
}

bool ChangeFollower::WaitForWake(absl::Duration timeout) {
  absl::MutexLock lock(&wake_mu_);
  auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(wake_mu_) { return woken_; };
  wake_mu_.AwaitWithTimeout(absl::Condition(&woken), timeout);
  const bool was_woken = woken_;
  woken_ = false;
  return was_woken;
}

void ChangeFollower::CatchUp() {
  // A failed catch-up is retried at the next wake or tick.
  if (registry_.Refresh().ok()) {
    last_catch_up_micros_.store(absl::ToUnixMicros(absl::Now()), std::memory_order_relaxed);
  }
  const int64_t revision = registry_.SnapshotRevision();
  absl::MutexLock lock(&mu_);
  for (const auto& [id, subscriber] : subscribers_) subscriber(revision);
}

bool ChangeFollower::Step(absl::Duration wait, bool poll_due) {
  bool woken = false;
  if (listener_ == nullptr) {
    woken = WaitForWake(wait);
  } else if (WaitForWake(absl::ZeroDuration())) {
    woken = true;  // a local write asked for a catch-up
  } else if (absl::StatusOr<bool> heard = listener_->WaitForChange(wait); heard.ok()) {
    woken = *heard;
    if (!listening_) std::cerr << "larder: change notifications are back" << std::endl;
    listening_ = true;
  } else {
    if (listening_) {
      std::cerr << "larder: " << heard.status().message() << "; polling every "
                << absl::FormatDuration(options_.poll) << " until change notifications are back"
                << std::endl;
    }
    listening_ = false;
    woken = WaitForWake(wait);
  }
  if (stopping_.HasBeenNotified()) return false;
  if (!woken && !poll_due) return false;
  CatchUp();
  return true;
}

void ChangeFollower::Loop() {
  absl::Time next_poll = absl::Now() + options_.poll;
  while (!stopping_.HasBeenNotified()) {
    // Waits are cut into slices so Stop is never held up longer than one, whatever `poll` is.
    const absl::Duration slice =
        std::clamp(next_poll - absl::Now(), absl::ZeroDuration(), options_.max_wait_slice);
    const bool caught_up = Step(slice, /*poll_due=*/false);
    if (stopping_.HasBeenNotified()) return;
    if (caught_up) {
      next_poll = absl::Now() + options_.poll;
    } else if (absl::Now() >= next_poll) {
      CatchUp();
      next_poll = absl::Now() + options_.poll;
    }
  }
}

}  // namespace larder::registry
