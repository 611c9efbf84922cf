#include "server/registry/snapshot.h"

namespace larder::registry {

using storage::ObjectKind;
using storage::ObjectRow;

const std::vector<ObjectRow>& Snapshot::Rows(ObjectKind kind, absl::string_view project) const {
  static const std::vector<ObjectRow>* const kNone = new std::vector<ObjectRow>();
  auto it = rows.find({kind, std::string(project)});
  return it == rows.end() ? *kNone : it->second;
}

const ObjectRow* Snapshot::Find(ObjectKind kind, absl::string_view project,
                                absl::string_view name) const {
  const std::vector<ObjectRow>& list =
      Rows(kind, kind == ObjectKind::kProject ? absl::string_view() : project);
  auto it = std::lower_bound(list.begin(), list.end(), name,
                             [](const ObjectRow& row, absl::string_view n) { return row.name < n; });
  if (it == list.end() || it->name != name) return nullptr;
  return &*it;
}

absl::StatusOr<std::shared_ptr<const Snapshot>> LoadSnapshot(storage::Store& store,
                                                             absl::Time now) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->built_at = now;
  absl::Status status = store.Run(storage::TxMode::kReadOnly, [&](storage::Transaction& tx) {
    snapshot->rows.clear();
    absl::StatusOr<int64_t> revision = tx.CurrentRevision();
    if (!revision.ok()) return revision.status();
    snapshot->revision = *revision;
    absl::StatusOr<std::vector<ObjectRow>> projects = tx.ListObjects(ObjectKind::kProject, "");
    if (!projects.ok()) return projects.status();
    for (const ObjectRow& project : *projects) {
      for (const storage::KindTable& t : storage::AllKindTables()) {
        if (t.kind == ObjectKind::kProject) continue;
        absl::StatusOr<std::vector<ObjectRow>> rows = tx.ListObjects(t.kind, project.name);
        if (!rows.ok()) return rows.status();
        // Sorted by byte order, which Find's binary search relies on (database collations may
        // order differently).
        std::sort(rows->begin(), rows->end(),
                  [](const ObjectRow& a, const ObjectRow& b) { return a.name < b.name; });
        if (!rows->empty()) snapshot->rows[{t.kind, project.name}] = *std::move(rows);
      }
    }
    std::sort(projects->begin(), projects->end(),
              [](const ObjectRow& a, const ObjectRow& b) { return a.name < b.name; });
    snapshot->rows[{ObjectKind::kProject, ""}] = *std::move(projects);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return std::shared_ptr<const Snapshot>(std::move(snapshot));
}

absl::StatusOr<std::shared_ptr<const Snapshot>> SnapshotCache::Current(absl::Time now) {
  {
    absl::MutexLock lock(&mu_);
    if (current_ != nullptr && built_generation_ == generation_ &&
        now - current_->built_at < ttl_) {
      return current_;
    }
  }
  return Rebuild(now);
}

void SnapshotCache::Invalidate() {
  absl::MutexLock lock(&mu_);
  ++generation_;
}

absl::Status SnapshotCache::Refresh(absl::Time now) {
  int64_t known = -1;
  {
    absl::MutexLock lock(&mu_);
    if (current_ != nullptr && built_generation_ == generation_) known = current_->revision;
  }
  if (known >= 0) {
    int64_t latest = 0;
    absl::Status read = store_.Run(storage::TxMode::kReadOnly, [&](storage::Transaction& tx) {
      absl::StatusOr<int64_t> revision = tx.CurrentRevision();
      if (revision.ok()) latest = *revision;
      return revision.status();
    });
    if (!read.ok()) return read;
    if (latest == known) {
      return absl::OkStatus();
    }
  }
  return Rebuild(now).status();
}

absl::StatusOr<std::shared_ptr<const Snapshot>> SnapshotCache::Rebuild(absl::Time now) {
  absl::MutexLock rebuilding(&rebuild_mu_);
  uint64_t generation = 0;
  {
    absl::MutexLock lock(&mu_);
    // Someone else rebuilt while we waited for the rebuild lock.
    if (current_ != nullptr && built_generation_ == generation_ &&
        now - current_->built_at < ttl_ && current_->built_at >= now) {
      return current_;
    }
    generation = generation_;
  }
  absl::StatusOr<std::shared_ptr<const Snapshot>> loaded = LoadSnapshot(store_, now);
  if (!loaded.ok()) return loaded.status();
  absl::MutexLock lock(&mu_);
  current_ = *loaded;
  built_generation_ = generation;
  return current_;
}

}  // namespace larder::registry
