#include "storage/retry_policy.h"

#include "absl/time/clock.h"
#include "common/backoff.h"

namespace larder::storage {

absl::Status RetryOnAborted(const RetryPolicy& policy, absl::FunctionRef<absl::Status()> attempt) {
  absl::Status status;
  for (int i = 0; i < policy.max_attempts; ++i) {
    status = attempt();
    if (!absl::IsAborted(status)) return status;
    if (i + 1 == policy.max_attempts) break;
    absl::SleepFor(common::JitteredBackoff(i + 1, policy.initial_backoff, policy.max_backoff));
  }
  return status;
}

}  // namespace larder::storage
