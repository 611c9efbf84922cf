#include "storage/retry_policy.h"

#include <algorithm>

#include "absl/random/random.h"
#include "absl/time/clock.h"

namespace larder::storage {

absl::Status RetryOnAborted(const RetryPolicy& policy, absl::FunctionRef<absl::Status()> attempt) {
  absl::BitGen jitter;
  absl::Duration backoff = policy.initial_backoff;
  absl::Status status;
  for (int i = 0; i < policy.max_attempts; ++i) {
    status = attempt();
    if (!absl::IsAborted(status)) return status;
    if (i + 1 == policy.max_attempts) break;
    // Full jitter: a uniform sleep in [0, backoff) keeps retrying writers from re-colliding.
    absl::SleepFor(absl::Microseconds(
        absl::Uniform<int64_t>(jitter, 0, std::max<int64_t>(1, absl::ToInt64Microseconds(backoff)))));
    backoff = std::min(backoff * 2, policy.max_backoff);
  }
  return status;
}

}  // namespace larder::storage
