#include "server/registry/snapshot.h"

#include <algorithm>

#include "feast/core/Project.pb.h"
#include "server/registry/registry_internal.h"

namespace larder::registry {

using storage::ChangeOp;
using storage::ChangeRecord;
using storage::ObjectKind;
using storage::ObjectRow;

namespace {

bool ByName(const RowRef& a, const RowRef& b) { return a->name < b->name; }

const RowList& NoRows() {
  static const RowList* const kNone = new RowList();
  return *kNone;
}

std::pair<ObjectKind, std::string> GroupKey(ObjectKind kind, absl::string_view project) {
  return {kind, kind == ObjectKind::kProject ? std::string() : std::string(project)};
}

}  // namespace

const RowList& Snapshot::Rows(ObjectKind kind, absl::string_view project) const {
  auto it = groups.find(GroupKey(kind, project));
  return it == groups.end() ? NoRows() : *it->second;
}

RowRef Snapshot::Find(ObjectKind kind, absl::string_view project, absl::string_view name) const {
  const RowList& list = Rows(kind, project);
  auto it = std::lower_bound(list.begin(), list.end(), name,
                             [](const RowRef& row, absl::string_view n) { return row->name < n; });
  if (it == list.end() || (*it)->name != name) return nullptr;
  return *it;
}

std::shared_ptr<const Snapshot> Snapshot::Advance(const std::vector<ChangeRecord>& changes) const {
  auto next = std::make_shared<Snapshot>();
  next->revision = revision;
  next->loaded_at = loaded_at;
  next->groups = groups;  // shares every group; touched ones are replaced below
  for (const ChangeRecord& change : changes) {
    next->revision = change.revision;
    if (change.kind == ObjectKind::kProject && change.op == ChangeOp::kDelete) {
      // A project delete removed everything of the project.
      std::erase_if(next->groups, [&](const auto& group) {
        return group.first.first != ObjectKind::kProject && group.first.second == change.project;
      });
    }
    const auto key = GroupKey(change.kind, change.project);
    auto list = std::make_shared<RowList>(next->groups.count(key) ? *next->groups[key] : RowList());
    auto it = std::lower_bound(list->begin(), list->end(), change.name,
                               [](const RowRef& row, const std::string& n) { return row->name < n; });
    const bool present = it != list->end() && (*it)->name == change.name;
    if (change.op == ChangeOp::kDelete) {
      if (present) list->erase(it);
    } else {
      auto row = std::make_shared<ObjectRow>();
      row->project = change.kind == ObjectKind::kProject ? change.name : change.project;
      row->name = change.name;
      row->proto = change.proto;
      row->version = change.object_version;
      row->last_updated_seconds = change.changed_at_micros / 1000000;
      if (present) {
        *it = std::move(row);
      } else {
        list->insert(it, std::move(row));
      }
    }
    if (list->empty()) {
      next->groups.erase(key);
    } else {
      next->groups[key] = std::move(list);
    }
  }
  return next;
}

namespace {

// Appends every row of `kind` in `project`, decoded with its project filled in, to `out`.
// Rows that cannot be decoded are skipped (a List of that kind reports them as DATA_LOSS).
template <typename Message>
void AppendDecoded(const Snapshot& snapshot, ObjectKind kind, absl::string_view project,
                   google::protobuf::RepeatedPtrField<Message>* out) {
  for (const RowRef& row : snapshot.Rows(kind, project)) {
    absl::StatusOr<Message> message = internal::Decode<Message>(*row);
    if (message.ok()) *out->Add() = *std::move(message);
  }
}

}  // namespace

const feast::core::Registry& Snapshot::RegistryProto() const {
  absl::MutexLock lock(&proto_mu_);
  if (proto_ != nullptr) return *proto_;
  auto registry = std::make_unique<feast::core::Registry>();
  registry->set_registry_schema_version("1");
  // The change-log revision identifies this state of the registry.
  registry->set_version_id(std::to_string(revision));
  for (const RowRef& project_row : Rows(ObjectKind::kProject, "")) {
    feast::core::Project project;
    if (!project.ParseFromString(project_row->proto)) continue;
    const auto& updated = project.meta().last_updated_timestamp();
    if (!registry->has_last_updated() ||
        std::make_pair(updated.seconds(), updated.nanos()) >
            std::make_pair(registry->last_updated().seconds(), registry->last_updated().nanos())) {
      *registry->mutable_last_updated() = updated;
    }
    *registry->add_projects() = std::move(project);
    const std::string& p = project_row->name;
    AppendDecoded(*this, ObjectKind::kEntity, p, registry->mutable_entities());
    AppendDecoded(*this, ObjectKind::kDataSource, p, registry->mutable_data_sources());
    AppendDecoded(*this, ObjectKind::kFeatureView, p, registry->mutable_feature_views());
    AppendDecoded(*this, ObjectKind::kStreamFeatureView, p,
                  registry->mutable_stream_feature_views());
    AppendDecoded(*this, ObjectKind::kOnDemandFeatureView, p,
                  registry->mutable_on_demand_feature_views());
    AppendDecoded(*this, ObjectKind::kLabelView, p, registry->mutable_label_views());
    AppendDecoded(*this, ObjectKind::kFeatureService, p, registry->mutable_feature_services());
    AppendDecoded(*this, ObjectKind::kSavedDataset, p, registry->mutable_saved_datasets());
    AppendDecoded(*this, ObjectKind::kValidationReference, p,
                  registry->mutable_validation_references());
    AppendDecoded(*this, ObjectKind::kPermission, p, registry->mutable_permissions());
  }
  proto_ = std::move(registry);
  return *proto_;
}

absl::StatusOr<std::shared_ptr<const Snapshot>> LoadSnapshot(
    storage::Store& store, absl::Time now, std::optional<std::string> only_project) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->loaded_at = now;
  absl::Status status = store.Run(storage::TxMode::kReadOnly, [&](storage::Transaction& tx) {
    snapshot->groups.clear();
    absl::StatusOr<int64_t> revision = tx.CurrentRevision();
    if (!revision.ok()) return revision.status();
    // Label the snapshot with the end of the consecutive run of visible changes, not the counter:
    // a change still becoming visible (see Transaction::ListChanges) is then applied by the next
    // Advance instead of being skipped. Re-applying a change the rows already hold is harmless.
    constexpr int64_t kLookBack = 1000;
    const int64_t from = std::max<int64_t>(0, *revision - kLookBack);
    absl::StatusOr<std::vector<ChangeRecord>> recent = tx.ListChanges(from, kLookBack);
    if (!recent.ok()) return recent.status();
    snapshot->revision = recent->empty() ? from : recent->back().revision;
    auto add = [&](ObjectKind kind, absl::string_view project, std::vector<ObjectRow> rows) {
      if (rows.empty()) return;
      auto list = std::make_shared<RowList>();
      list->reserve(rows.size());
      for (ObjectRow& row : rows) list->push_back(std::make_shared<ObjectRow>(std::move(row)));
      // Byte order, which Find's binary search relies on (database collations may differ).
      std::sort(list->begin(), list->end(), ByName);
      snapshot->groups[GroupKey(kind, project)] = std::move(list);
    };
    std::vector<std::string> names;
    if (only_project.has_value()) {
      names.push_back(*only_project);
    } else {
      absl::StatusOr<std::vector<ObjectRow>> projects = tx.ListObjects(ObjectKind::kProject, "");
      if (!projects.ok()) return projects.status();
      for (const ObjectRow& p : *projects) names.push_back(p.name);
      add(ObjectKind::kProject, "", *std::move(projects));
    }
    for (const std::string& project : names) {
      for (const storage::KindTable& t : storage::AllKindTables()) {
        if (t.kind == ObjectKind::kProject) continue;
        absl::StatusOr<std::vector<ObjectRow>> rows = tx.ListObjects(t.kind, project);
        if (!rows.ok()) return rows.status();
        add(t.kind, project, *std::move(rows));
      }
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return std::shared_ptr<const Snapshot>(std::move(snapshot));
}

absl::StatusOr<std::shared_ptr<const Snapshot>> SnapshotCache::Current(absl::Time now) {
  {
    absl::MutexLock lock(&mu_);
    const bool expired = full_reload_every_ > absl::ZeroDuration() && current_ != nullptr &&
                         now - current_->loaded_at >= full_reload_every_;
    if (current_ != nullptr && writes_seen_ == writes_ && !expired) return current_;
  }
  absl::MutexLock advancing(&advance_mu_);
  return AdvanceLocked(now);
}

absl::Status SnapshotCache::Advance(absl::Time now) {
  absl::MutexLock advancing(&advance_mu_);
  return AdvanceLocked(now).status();
}

void SnapshotCache::NoteLocalWrite() {
  absl::MutexLock lock(&mu_);
  ++writes_;
}

absl::StatusOr<std::shared_ptr<const Snapshot>> SnapshotCache::AdvanceLocked(absl::Time now) {
  std::shared_ptr<const Snapshot> base;
  uint64_t writes = 0;
  {
    absl::MutexLock lock(&mu_);
    base = current_;
    writes = writes_;  // every write noted so far has committed: the read below includes it
  }
  const bool reload = base == nullptr || (full_reload_every_ > absl::ZeroDuration() &&
                                          now - base->loaded_at >= full_reload_every_);
  std::shared_ptr<const Snapshot> next;
  if (reload) {
    absl::StatusOr<std::shared_ptr<const Snapshot>> loaded = LoadSnapshot(store_, now);
    if (!loaded.ok()) return loaded.status();
    next = *std::move(loaded);
  } else {
    std::vector<ChangeRecord> changes;
    absl::Status read = store_.Run(storage::TxMode::kReadOnly, [&](storage::Transaction& tx) {
      changes.clear();
      absl::StatusOr<std::vector<ChangeRecord>> batch =
          tx.ListChanges(base->revision, std::numeric_limits<int>::max());
      if (!batch.ok()) return batch.status();
      changes = *std::move(batch);
      return absl::OkStatus();
    });
    if (!read.ok()) return read;
    next = changes.empty() ? base : base->Advance(changes);
  }
  absl::MutexLock lock(&mu_);
  current_ = next;
  writes_seen_ = std::max(writes_seen_, writes);
  return current_;
}

}  // namespace larder::registry
