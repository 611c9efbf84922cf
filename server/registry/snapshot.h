#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "feast/core/Registry.pb.h"
#include "storage/store.h"

namespace larder::registry {

using RowRef = std::shared_ptr<const storage::ObjectRow>;
using RowList = std::vector<RowRef>;  // sorted by name (byte order)

// An immutable copy of every registry row at one change-log revision. Readers share it through
// shared_ptr without locks. Rows are shared between successive snapshots: advancing by a change
// copies only the pointer list of the one (kind, project) group it touches.
class Snapshot {
 public:
  int64_t revision = 0;
  absl::Time loaded_at;  // when the last full load happened (advancing keeps it)

  // Rows of a kind in a project; for projects pass project "".
  const RowList& Rows(storage::ObjectKind kind, absl::string_view project) const;
  // nullptr when absent.
  RowRef Find(storage::ObjectKind kind, absl::string_view project, absl::string_view name) const;

  // A new snapshot with `changes` (revisions after this one, in order) applied.
  std::shared_ptr<const Snapshot> Advance(const std::vector<storage::ChangeRecord>& changes) const;

  // The whole registry as a serialized feast.core.Registry, built once per snapshot on first use
  // (Proto() answers with these bytes as they are).
  std::shared_ptr<const std::string> RegistryBytes() const;

  std::map<std::pair<storage::ObjectKind, std::string>, std::shared_ptr<const RowList>> groups;

 private:
  mutable absl::Mutex proto_mu_;
  mutable std::shared_ptr<const std::string> proto_bytes_ ABSL_GUARDED_BY(proto_mu_);
};

// Reads a whole snapshot in one read-only transaction; with `only_project`, just that project's
// objects (and no project list).
absl::StatusOr<std::shared_ptr<const Snapshot>> LoadSnapshot(
    storage::Store& store, absl::Time now, std::optional<std::string> only_project = std::nullopt);

// The process's in-memory snapshot behind `allow_cache=true` reads and Proto(). It advances by
// applying the change log after its revision (one query; nothing more when nothing changed),
// after every local write (so this replica reads its own writes) and on Refresh()/polling (so
// other replicas' writes appear). A full reload happens only at the first read and, when
// `full_reload_every` is non-zero, that often, to pick up writes made by non-Larder processes
// (which do not append to the change log). Thread-safe.
class SnapshotCache {
 public:
  // `store` is not owned and must outlive the cache.
  SnapshotCache(storage::Store& store, absl::Duration full_reload_every)
      : store_(store), full_reload_every_(full_reload_every) {}

  // The current snapshot; brought up to date first if a local write happened since.
  absl::StatusOr<std::shared_ptr<const Snapshot>> Current(absl::Time now);
  // Whether Current() would answer without reading the database (loaded, no local write since,
  // no full reload due).
  bool Ready(absl::Time now);
  // The snapshot as it is, without catching up (nullptr before the first load): for hints that
  // a locked database read then confirms.
  std::shared_ptr<const Snapshot> Latest() {
    absl::ReaderMutexLock lock(&mu_);
    return current_;
  }
  // Applies the changes committed since the snapshot's revision (after a local write, on Refresh
  // and when polled).
  absl::Status Advance(absl::Time now);
  // Marks that a local write committed (read-your-writes: the next Current advances first).
  void NoteLocalWrite();

 private:
  bool ReadyLocked(absl::Time now) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Must hold advance_mu_.
  absl::StatusOr<std::shared_ptr<const Snapshot>> AdvanceLocked(absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(advance_mu_);

  storage::Store& store_;
  const absl::Duration full_reload_every_;
  absl::Mutex advance_mu_;  // one load/advance at a time; held while reading the database
  absl::Mutex mu_;
  std::shared_ptr<const Snapshot> current_ ABSL_GUARDED_BY(mu_);
  uint64_t writes_ ABSL_GUARDED_BY(mu_) = 0;       // local writes noted
  uint64_t writes_seen_ ABSL_GUARDED_BY(mu_) = 0;  // local writes current_ includes
};

}  // namespace larder::registry
