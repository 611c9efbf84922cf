// Registry operations beyond single objects: project metadata, infra, the snapshot, Proto().
#include <algorithm>
#include <tuple>

#include "feast/core/InfraObject.pb.h"
#include "server/registry/registry.h"
#include "server/registry/registry_internal.h"

namespace larder::registry {
namespace {

using internal::Decode;
using storage::ObjectKind;
using storage::Transaction;

template <typename Message>
absl::Status DecodeInto(const Snapshot& snapshot, ObjectKind kind, absl::string_view project,
                        std::vector<Message>& out) {
  for (const RowRef& row : snapshot.Rows(kind, project)) {
    absl::StatusOr<Message> message = Decode<Message>(*row);
    if (!message.ok()) return message.status();
    out.push_back(*std::move(message));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<feast::core::ProjectMetadata>> Registry::ListProjectMetadata(
    absl::string_view project) {
  if (absl::Status s = internal::ValidateName("project name", project); !s.ok()) return s;
  std::optional<std::string> uuid;
  absl::Status status =
      store_.Run(storage::TxMode::kReadOnly, [&](Transaction& tx) -> absl::Status {
        absl::StatusOr<std::optional<std::string>> value = tx.GetMetadata(project, "project_uuid");
        if (!value.ok()) return value.status();
        uuid = *value;
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  std::vector<feast::core::ProjectMetadata> out;
  if (uuid.has_value()) {
    feast::core::ProjectMetadata& metadata = out.emplace_back();
    metadata.set_project(std::string(project));
    metadata.set_project_uuid(*uuid);
  }
  return out;
}

absl::Status Registry::UpdateInfra(absl::string_view project, const feast::core::Infra& infra,
                                   const WriteOptions& options) {
  return Write(options,
               [&](RegistryWrite& write) { return write.UpdateInfra(project, infra).status(); });
}

absl::StatusOr<feast::core::Infra> Registry::GetInfra(absl::string_view project) {
  // Always from the database, as Feast does.
  absl::StatusOr<RowRef> row =
      Row(ObjectKind::kInfra, project, internal::kInfraRowName, /*allow_cache=*/false);
  if (!row.ok()) return row.status();
  feast::core::Infra infra;
  if (*row != nullptr && !infra.ParseFromString((*row)->proto)) {
    return absl::DataLossError("stored infra cannot be decoded");
  }
  return infra;
}

absl::StatusOr<std::vector<storage::VersionRecord>> Registry::ListFeatureViewVersions(
    absl::string_view project, absl::string_view view_name) {
  if (absl::Status s = internal::ValidateName("project name", project); !s.ok()) return s;
  if (absl::Status s = internal::ValidateName("name", view_name); !s.ok()) return s;
  std::vector<storage::VersionRecord> records;
  absl::Status status =
      store_.Run(storage::TxMode::kReadOnly, [&](Transaction& tx) -> absl::Status {
        absl::StatusOr<std::vector<storage::VersionRecord>> listed =
            tx.ListVersions(project, view_name);
        if (!listed.ok()) return listed.status();
        records = *std::move(listed);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  // The database's collation may order names differently.
  std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return std::tie(a.view_name, a.version_number) < std::tie(b.view_name, b.version_number);
  });
  return records;
}

absl::StatusOr<std::vector<storage::ChangeRecord>> Registry::ListChanges(int64_t after_revision,
                                                                         int limit) {
  std::vector<storage::ChangeRecord> changes;
  absl::Status status =
      store_.Run(storage::TxMode::kReadOnly, [&](Transaction& tx) -> absl::Status {
        absl::StatusOr<std::vector<storage::ChangeRecord>> listed =
            tx.ListChanges(after_revision, limit);
        if (!listed.ok()) return listed.status();
        changes = *std::move(listed);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return changes;
}

absl::StatusOr<Registry::Compaction> Registry::CompactHistory(absl::Time older_than) {
  Compaction result;
  absl::Status status =
      store_.Run(storage::TxMode::kReadWrite, [&](Transaction& tx) -> absl::Status {
        absl::StatusOr<int64_t> through = tx.LastRevisionBefore(absl::ToUnixMicros(older_than));
        if (!through.ok()) return through.status();
        absl::StatusOr<int64_t> removed = tx.CompactChanges(*through);
        if (!removed.ok()) return removed.status();
        absl::StatusOr<int64_t> horizon = tx.CompactedThrough();
        if (!horizon.ok()) return horizon.status();
        result = {*horizon, *removed};
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<int64_t> Registry::HistoryHorizon() {
  int64_t horizon = 0;
  absl::Status status =
      store_.Run(storage::TxMode::kReadOnly, [&](Transaction& tx) -> absl::Status {
        absl::StatusOr<int64_t> read = tx.CompactedThrough();
        if (!read.ok()) return read.status();
        horizon = *read;
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return horizon;
}

absl::StatusOr<std::vector<storage::ChangeRecord>> Registry::CompactedChanges(int64_t after,
                                                                              int64_t through,
                                                                              int limit) {
  std::vector<storage::ChangeRecord> changes;
  absl::Status status =
      store_.Run(storage::TxMode::kReadOnly, [&](Transaction& tx) -> absl::Status {
        absl::StatusOr<std::vector<storage::ChangeRecord>> read =
            tx.ListChangesThrough(after, through, limit);
        if (!read.ok()) return read.status();
        changes = *std::move(read);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return changes;
}

absl::StatusOr<int64_t> Registry::CurrentRevision() {
  int64_t revision = 0;
  absl::Status status =
      store_.Run(storage::TxMode::kReadOnly, [&](Transaction& tx) -> absl::Status {
        absl::StatusOr<int64_t> current = tx.CurrentRevision();
        if (!current.ok()) return current.status();
        revision = *current;
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return revision;
}

absl::StatusOr<std::vector<storage::ChangeRecord>> Registry::ObjectHistory(
    ObjectKind kind, absl::string_view project, absl::string_view name, int64_t after_revision,
    int limit) {
  if (absl::Status s = internal::ValidateName("project name", project); !s.ok()) return s;
  if (absl::Status s = internal::ValidateName("name", name); !s.ok()) return s;
  std::vector<storage::ChangeRecord> changes;
  absl::Status status =
      store_.Run(storage::TxMode::kReadOnly, [&](Transaction& tx) -> absl::Status {
        absl::StatusOr<std::vector<storage::ChangeRecord>> listed =
            tx.ListObjectChanges(kind, project, name, after_revision, limit);
        if (!listed.ok()) return listed.status();
        changes = *std::move(listed);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return changes;
}

absl::Status Registry::Refresh() { return cache_.Advance(Now()); }

absl::StatusOr<std::shared_ptr<const Snapshot>> Registry::ProtoSnapshot() {
  // Catch up with every committed change first: Proto() answers with the latest registry.
  if (absl::Status s = cache_.Advance(Now()); !s.ok()) return s;
  return cache_.Current(Now());
}

absl::StatusOr<ProjectObjects> Registry::LoadProjectObjects(absl::string_view project,
                                                            bool allow_cache) {
  if (absl::Status s = internal::ValidateName("project name", project); !s.ok()) return s;
  std::shared_ptr<const Snapshot> snapshot;
  if (allow_cache) {
    absl::StatusOr<std::shared_ptr<const Snapshot>> current = cache_.Current(Now());
    if (!current.ok()) return current.status();
    snapshot = *std::move(current);
  } else {
    absl::StatusOr<std::shared_ptr<const Snapshot>> loaded =
        LoadSnapshot(store_, Now(), std::string(project));
    if (!loaded.ok()) return loaded.status();
    snapshot = *std::move(loaded);
  }
  ProjectObjects objects;
  for (absl::Status s : {
           DecodeInto(*snapshot, ObjectKind::kEntity, project, objects.entities),
           DecodeInto(*snapshot, ObjectKind::kDataSource, project, objects.data_sources),
           DecodeInto(*snapshot, ObjectKind::kFeatureView, project, objects.feature_views),
           DecodeInto(*snapshot, ObjectKind::kStreamFeatureView, project,
                      objects.stream_feature_views),
           DecodeInto(*snapshot, ObjectKind::kOnDemandFeatureView, project,
                      objects.on_demand_feature_views),
           DecodeInto(*snapshot, ObjectKind::kLabelView, project, objects.label_views),
           DecodeInto(*snapshot, ObjectKind::kFeatureService, project, objects.feature_services),
       }) {
    if (!s.ok()) return s;
  }
  return objects;
}

}  // namespace larder::registry
