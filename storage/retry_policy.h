#pragma once

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

namespace larder::storage {

// How often and how patiently a transaction is retried after ABORTED.
struct RetryPolicy {
  int max_attempts = 8;
  absl::Duration initial_backoff = absl::Milliseconds(2);
  absl::Duration max_backoff = absl::Milliseconds(200);
};

// Calls `attempt` until it returns anything but ABORTED, at most policy.max_attempts times,
// sleeping a jittered, exponentially growing backoff in between (so colliding writers spread
// out). Returns the last attempt's status.
absl::Status RetryOnAborted(const RetryPolicy& policy, absl::FunctionRef<absl::Status()> attempt);

}  // namespace larder::storage
