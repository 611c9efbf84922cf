#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "absl/time/time.h"

namespace larder::common {

// A latency histogram with fixed buckets, recorded without a lock (one relaxed atomic add per
// bucket hit, count and sum), so the call path and the storage layer can record every call and
// transaction at almost no cost; a metrics scrape reads it. Reads are not a consistent snapshot
// (a sample may be in the count but not yet in the sum), which Prometheus tolerates. Thread-safe.
class LatencyHistogram {
 public:
  // Upper bounds in seconds; the last (implicit) bucket is +Inf. Chosen to span a cached read
  // (well under a millisecond) to a large apply on a remote database (seconds).
  static constexpr std::array<double, 14> kBounds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  void Record(absl::Duration latency) {
    const double seconds = absl::ToDoubleSeconds(latency);
    size_t bucket = 0;
    while (bucket < kBounds.size() && seconds > kBounds[bucket]) ++bucket;
    buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_micros_.fetch_add(absl::ToInt64Microseconds(latency), std::memory_order_relaxed);
  }

  // Samples in bucket `i` alone (not cumulative); i == kBounds.size() is the +Inf bucket.
  int64_t bucket(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  int64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum_seconds() const {
    return static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
  }

 private:
  std::array<std::atomic<int64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<int64_t> count_{0};
  std::atomic<int64_t> sum_micros_{0};
};

}  // namespace larder::common
