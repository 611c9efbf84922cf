#pragma once

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace larder::registry {

// Source of the server-owned timestamps; injected so tests can control time.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
};

// The real clock. Thread-safe.
class SystemClock : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
};

}  // namespace larder::registry
