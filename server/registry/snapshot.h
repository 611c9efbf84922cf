#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/store.h"

namespace larder::registry {

// An immutable copy of every registry row at one change-log revision, read in one transaction
// (so it is consistent). Readers share it through shared_ptr without locks.
class Snapshot {
 public:
  int64_t revision = 0;
  absl::Time built_at;

  // Rows of a kind in a project, by name; for projects pass project "".
  const std::vector<storage::ObjectRow>& Rows(storage::ObjectKind kind,
                                              absl::string_view project) const;
  const storage::ObjectRow* Find(storage::ObjectKind kind, absl::string_view project,
                                 absl::string_view name) const;

  std::map<std::pair<storage::ObjectKind, std::string>, std::vector<storage::ObjectRow>> rows;
};

// Reads a whole snapshot in one read-only transaction.
absl::StatusOr<std::shared_ptr<const Snapshot>> LoadSnapshot(storage::Store& store,
                                                             absl::Time now);

// The process's in-memory snapshot behind `allow_cache=true` reads. A local write invalidates
// it, so this replica reads its own writes; other replicas' writes appear after Refresh() (one
// revision query when nothing changed) or once the snapshot is older than `ttl`.
// Thread-safe.
class SnapshotCache {
 public:
  // `store` is not owned and must outlive the cache.
  SnapshotCache(storage::Store& store, absl::Duration ttl) : store_(store), ttl_(ttl) {}

  // The current snapshot, rebuilt first when invalidated, expired or never built.
  absl::StatusOr<std::shared_ptr<const Snapshot>> Current(absl::Time now);
  // Marks the snapshot stale (after a local write).
  void Invalidate();
  // Rebuilds if the database's revision moved past the snapshot's; cheap otherwise.
  absl::Status Refresh(absl::Time now);

 private:
  absl::StatusOr<std::shared_ptr<const Snapshot>> Rebuild(absl::Time now);

  storage::Store& store_;
  const absl::Duration ttl_;
  absl::Mutex rebuild_mu_;  // one rebuild at a time; held while loading
  absl::Mutex mu_;
  std::shared_ptr<const Snapshot> current_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // bumped by Invalidate
  uint64_t built_generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace larder::registry
