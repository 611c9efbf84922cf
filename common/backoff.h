#pragma once

#include <algorithm>
#include <cstdint>

#include "absl/random/random.h"
#include "absl/time/time.h"

namespace larder::common {

// Exponential backoff with full jitter: before retry number `attempt` (1 for the first retry)
// wait a uniform random time in [0, min(initial * 2^(attempt-1), max)). Full jitter keeps many
// colliding writers or retrying clients from arriving together again. Used by the store's
// ABORTED retries and by the client's retries.
inline absl::Duration JitteredBackoff(int attempt, absl::Duration initial, absl::Duration max) {
  absl::Duration ceiling = initial;
  for (int i = 1; i < attempt && ceiling < max; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, max);
  absl::BitGen jitter;
  return absl::Microseconds(
      absl::Uniform<int64_t>(jitter, 0, std::max<int64_t>(1, absl::ToInt64Microseconds(ceiling))));
}

}  // namespace larder::common
