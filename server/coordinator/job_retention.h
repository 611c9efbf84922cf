#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/registry/registry.h"

namespace larder::coordinator {

// History retention of the materialization ledger: removes jobs that finished (succeeded,
// failed or cancelled) before a cut-off, with their tasks, in batches of short transactions.
// Jobs still pending or running are never touched, and neither are the intervals completed
// tasks recorded on their feature views (those live in the views' own rows). Each removal is
// logged as a delete of the job and of each task (actor "larder"), so change-feed readers see
// them go and history compaction can later drop their whole history. Run off the request path
// (the server's housekeeping thread). Thread-safe.
class JobRetention {
 public:
  // `registry` is not owned and must outlive this object.
  explicit JobRetention(registry::Registry& registry, int batch_size = 50)
      : registry_(registry), batch_size_(batch_size) {}
  JobRetention(const JobRetention&) = delete;
  JobRetention& operator=(const JobRetention&) = delete;

  // Removes every job that finished before `finished_before`. Returns how many jobs were
  // removed; on error (the store's UNAVAILABLE/ABORTED/INTERNAL) the batches committed before
  // it stay removed and the next sweep carries on.
  absl::StatusOr<int64_t> Sweep(absl::Time finished_before);

 private:
  // One transaction: up to batch_size_ jobs. Returns how many were removed.
  absl::StatusOr<int64_t> SweepBatch(int64_t finished_before_micros);

  registry::Registry& registry_;
  const int batch_size_;
};

}  // namespace larder::coordinator
