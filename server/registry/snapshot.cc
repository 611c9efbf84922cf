#include "server/registry/snapshot.h"

#include <malloc.h>

#include <algorithm>

#include "feast/core/Project.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "server/registry/kinds.h"
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
    // Materialization jobs and tasks travel in the change log but are not registry objects.
    if (storage::IsLedgerKind(change.kind)) continue;
    if (change.kind == ObjectKind::kProject && change.op == ChangeOp::kDelete) {
      // A project delete removed everything of the project.
      std::erase_if(next->groups, [&](const auto& group) {
        return group.first.first != ObjectKind::kProject && group.first.second == change.project;
      });
    }
    const auto key = GroupKey(change.kind, change.project);
    auto list = std::make_shared<RowList>(next->groups.count(key) ? *next->groups[key] : RowList());
    auto it =
        std::lower_bound(list->begin(), list->end(), change.name,
                         [](const RowRef& row, const std::string& n) { return row->name < n; });
    const bool present = it != list->end() && (*it)->name == change.name;
    if (change.op == ChangeOp::kDelete) {
      if (present) list->erase(it);
    } else if (present && (*it)->version > change.object_version) {
      // A full load can already hold a later version of the object (its write committed
      // before the load, and its change-log entry is numbered after it): keep the later one.
      continue;
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

// feast.core.Registry's repeated object fields other than projects, by field number (the order
// Proto() writes them in, as protobuf itself would), and the projects field, which Proto()
// writes last. Taken from the descriptor and the kind list, not spelled out.
struct RegistryField {
  int number;
  ObjectKind kind;
};
const std::vector<RegistryField>& ObjectFields() {
  static const std::vector<RegistryField> fields = [] {
    std::vector<RegistryField> out;
    ForEachKind([&]<typename Message>() {
      using Traits = ObjectTraits<Message>;
      if constexpr (Traits::kKind != ObjectKind::kProject) {
        out.push_back({feast::core::Registry::descriptor()
                           ->FindFieldByName(std::string(Traits::kRegistryField))
                           ->number(),
                       Traits::kKind});
      }
    });
    std::sort(out.begin(), out.end(),
              [](const RegistryField& a, const RegistryField& b) { return a.number < b.number; });
    return out;
  }();
  return fields;
}
int ProjectsField() {
  static const int number =
      feast::core::Registry::descriptor()
          ->FindFieldByName(std::string(ObjectTraits<feast::core::Project>::kRegistryField))
          ->number();
  return number;
}

// Writes field `field` holding the message whose bytes are `bytes` followed by `suffix`.
void WriteLengthDelimited(google::protobuf::io::CodedOutputStream& out, int field,
                          absl::string_view bytes, absl::string_view suffix = {}) {
  out.WriteTag(google::protobuf::internal::WireFormatLite::MakeTag(
      field, google::protobuf::internal::WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
  out.WriteVarint32(static_cast<uint32_t>(bytes.size() + suffix.size()));
  // An empty view may have a null data(), and WriteRaw memcpy's even zero bytes (undefined
  // behaviour with a null source; found by tests/fuzz/service_fuzzer under UBSan).
  if (!bytes.empty()) out.WriteRaw(bytes.data(), static_cast<int>(bytes.size()));
  if (!suffix.empty()) out.WriteRaw(suffix.data(), static_cast<int>(suffix.size()));
}

}  // namespace

// A repeated message field's wire form is just (tag, length, message bytes) per element, and the
// rows hold exactly those message bytes, so the Registry is assembled without decoding or
// re-encoding any object: copying 20 MB takes milliseconds where a decode/encode round took
// hundreds. Only the project rows are decoded, for last_updated. Each object gets its project
// filled in the way Decode does, by appending the project field's bytes.
std::shared_ptr<const std::string> Snapshot::RegistryBytes() const {
  absl::MutexLock lock(&proto_mu_);
  if (proto_bytes_ != nullptr) return proto_bytes_;
  std::vector<RowRef> projects;  // the ones that decode
  feast::core::Registry scalars;
  scalars.set_registry_schema_version("1");
  // The change-log revision identifies this state of the registry.
  scalars.set_version_id(std::to_string(revision));
  auto bytes = std::make_shared<std::string>();
  size_t estimate = 0;  // reserved up front: growing by doubling would leave up to 2x unused
  for (const auto& [key, rows] : groups) {
    for (const RowRef& row : *rows) estimate += row->proto.size() + row->project.size() + 16;
  }
  bytes->reserve(estimate + 256);
  {
    google::protobuf::io::StringOutputStream stream(bytes.get());
    google::protobuf::io::CodedOutputStream out(&stream);
    for (const RowRef& project_row : Rows(ObjectKind::kProject, "")) {
      feast::core::Project project;
      if (!project.ParseFromString(project_row->proto)) continue;  // skipped, as lists do
      const auto& updated = project.meta().last_updated_timestamp();
      if (!scalars.has_last_updated() ||
          std::make_pair(updated.seconds(), updated.nanos()) >
              std::make_pair(scalars.last_updated().seconds(), scalars.last_updated().nanos())) {
        *scalars.mutable_last_updated() = updated;
      }
      projects.push_back(project_row);
    }
    scalars.SerializeToCodedStream(&out);
    for (const auto& [field, kind] : ObjectFields()) {
      for (const RowRef& project : projects) {
        const std::string project_field = internal::ProjectFieldBytes(kind, project->name);
        for (const RowRef& row : Rows(kind, project->name)) {
          WriteLengthDelimited(out, field, row->proto, project_field);
        }
      }
    }
    for (const RowRef& project : projects) {
      WriteLengthDelimited(out, ProjectsField(), project->proto);
    }
  }
  proto_bytes_ = std::move(bytes);
  return proto_bytes_;
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
    absl::StatusOr<int64_t> horizon = tx.CompactedThrough();  // the log is complete after it
    if (!horizon.ok()) return horizon.status();
    const int64_t from = std::max<int64_t>(*horizon, *revision - kLookBack);
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

bool SnapshotCache::ReadyLocked(absl::Time now) const {
  const bool expired = full_reload_every_ > absl::ZeroDuration() && current_ != nullptr &&
                       now - current_->loaded_at >= full_reload_every_;
  return current_ != nullptr && writes_seen_ == writes_ && !expired;
}

bool SnapshotCache::Ready(absl::Time now) {
  absl::ReaderMutexLock lock(&mu_);
  return ReadyLocked(now);
}

absl::StatusOr<std::shared_ptr<const Snapshot>> SnapshotCache::Current(absl::Time now) {
  {
    // Shared: concurrent cached reads do not queue on each other here.
    absl::ReaderMutexLock lock(&mu_);
    if (ReadyLocked(now)) return current_;
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
  bool reload = base == nullptr || (full_reload_every_ > absl::ZeroDuration() &&
                                    now - base->loaded_at >= full_reload_every_);
  std::shared_ptr<const Snapshot> next;
  std::vector<ChangeRecord> changes;
  if (!reload) {
    absl::Status read = store_.Run(storage::TxMode::kReadOnly, [&](storage::Transaction& tx) {
      changes.clear();
      absl::StatusOr<std::vector<ChangeRecord>> batch =
          tx.ListChanges(base->revision, std::numeric_limits<int>::max());
      if (!batch.ok()) return batch.status();
      changes = *std::move(batch);
      return absl::OkStatus();
    });
    // History retention compacted past this snapshot (it lagged longer than the retention
    // window): only a full load can catch up.
    if (absl::IsOutOfRange(read)) {
      reload = true;
    } else if (!read.ok()) {
      return read;
    }
  }
  if (reload) {
    absl::StatusOr<std::shared_ptr<const Snapshot>> loaded = LoadSnapshot(store_, now);
    if (!loaded.ok()) return loaded.status();
    next = *std::move(loaded);
    // The whole registry arrived as one result set (PostgreSQL sends bytea as hex text, twice
    // its size) and was copied into rows; glibc keeps that freed peak mapped unless asked, which
    // at 100k objects is most of the process's RSS.
    malloc_trim(0);
  } else {
    next = changes.empty() ? base : base->Advance(changes);
  }
  absl::MutexLock lock(&mu_);
  current_ = next;
  writes_seen_ = std::max(writes_seen_, writes);
  return current_;
}

}  // namespace larder::registry
