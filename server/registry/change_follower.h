#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "server/registry/registry.h"
#include "storage/change_listener.h"

namespace larder::registry {

// Follows the change log on behalf of everything in this process that must notice other
// replicas' writes: it wakes when the database announces a commit (PostgreSQL NOTIFY, through a
// storage::ChangeListener) or every `poll` otherwise, brings the registry's snapshot up to date
// with one Refresh per wake (a burst of commits costs one catch-up, not one per commit), and
// tells its subscribers the snapshot's new revision. Change-feed streams and metrics subscribe
// here instead of each polling the database. Thread-safe.
class ChangeFollower {
 public:
  struct Options {
    absl::Duration poll =
        absl::Seconds(1);  // the fallback (and, without a listener, the only) wake
    absl::Duration max_wait_slice = absl::Seconds(1);  // how long Stop may have to wait
  };
  using Subscriber = std::function<void(int64_t revision)>;

  // `registry` and `listener` (may be null: no notifications) are not owned and must outlive the
  // follower.
  ChangeFollower(Registry& registry, storage::ChangeListener* listener, Options options);
  ~ChangeFollower();  // stops the thread if it runs
  ChangeFollower(const ChangeFollower&) = delete;
  ChangeFollower& operator=(const ChangeFollower&) = delete;

  // Starts following on a thread of its own.
  void Start();
  // Stops and joins the thread (within about max_wait_slice). Idempotent.
  void Stop();

  // Calls `subscriber(revision)` (on the follower's thread) after every catch-up, with the
  // snapshot's revision, whether or not it moved (so subscribers also learn that time passed:
  // watch streams send heartbeats from it). Subscribers must return quickly and must not call
  // Subscribe or Unsubscribe. Returns an id for Unsubscribe.
  int Subscribe(Subscriber subscriber);
  // After it returns the subscriber is not running and is never called again.
  void Unsubscribe(int id);
  // Asks for a catch-up now instead of at the next poll (after a local write). Cheap; may be
  // called from any thread.
  void Wake();

  // When the snapshot last caught up with the database (the Unix epoch: never), for the
  // follower-lag metric.
  absl::Time last_catch_up() const {
    return absl::FromUnixMicros(last_catch_up_micros_.load(std::memory_order_relaxed));
  }

  // One step of the loop, exposed for tests: waits for a wake for at most `wait`, and catches up
  // when woken or when `poll_due`. Returns whether it caught up.
  bool Step(absl::Duration wait, bool poll_due);

 private:
  void Loop();
  void CatchUp();

  Registry& registry_;
  storage::ChangeListener* const listener_;
  const Options options_;
  absl::Notification stopping_;
  std::thread thread_;
  bool listening_ = true;
  std::atomic<int64_t> last_catch_up_micros_{
      0};  // follower thread only: logs when notifications are lost and back

  // Waits up to `timeout` for Wake or Stop; returns whether woken.
  bool WaitForWake(absl::Duration timeout);

  absl::Mutex wake_mu_;
  bool woken_ ABSL_GUARDED_BY(wake_mu_) = false;
  // Held while subscribers are called, so Unsubscribe can wait for a running callback.
  absl::Mutex mu_;
  std::map<int, Subscriber> subscribers_ ABSL_GUARDED_BY(mu_);
  int next_id_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace larder::registry
