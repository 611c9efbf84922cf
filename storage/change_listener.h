#pragma once

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace larder::storage {

// Wakes a replica when any replica commits a change to the shared database, so its snapshot can
// catch up at once instead of at its next poll. Only a hint: a notification carries no data
// (the change log is the truth), may be lost while disconnected, and one wake may stand for many
// commits. Callers therefore keep polling as a fallback and read every change since their
// snapshot's revision when woken.
//
// Not thread-safe: one thread (the poller) waits on it.
class ChangeListener {
 public:
  ChangeListener() = default;
  ChangeListener(const ChangeListener&) = delete;
  ChangeListener& operator=(const ChangeListener&) = delete;
  virtual ~ChangeListener() = default;

  // Blocks for at most `timeout` (a zero or negative timeout only checks). Returns true when one
  // or more changes were committed since the previous call (all of them are consumed by this
  // one), false when the timeout passed without any. Also returns true right after the listener
  // reconnected, since changes committed while it was away were not heard.
  // A lost session is replaced silently when the database answers at once. Returns
  // UNAVAILABLE when it does not (and, at once, on every call until the next attempt):
  // reconnection is retried by later calls with a growing back-off, so a database outage costs
  // neither connection storms nor a flood of errors.
  virtual absl::StatusOr<bool> WaitForChange(absl::Duration timeout) = 0;
};

}  // namespace larder::storage
