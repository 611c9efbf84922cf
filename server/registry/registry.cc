#include "server/registry/registry.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/registry/feast_errors.h"
#include "server/registry/object_traits.h"
#include "server/registry/write_context.h"

namespace larder::registry {
namespace {

using storage::ChangeOp;
using storage::Lock;
using storage::ObjectKind;
using storage::ObjectRow;
using storage::Transaction;
using storage::TxMode;

constexpr absl::string_view kProtectedProjectTag = "feast.dev/protected-project";

absl::Status ValidateNames(ObjectKind kind, absl::string_view project, absl::string_view name) {
  if (name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(storage::TableOf(kind).kind_name, " has no name"));
  }
  if (kind != ObjectKind::kProject && project.empty()) {
    return absl::InvalidArgumentError("request has no project");
  }
  return absl::OkStatus();
}

template <typename Message>
absl::StatusOr<Message> Decode(const ObjectRow& row) {
  Message message;
  if (!message.ParseFromString(row.proto)) {
    return absl::DataLossError(absl::StrCat("stored ",
                                            storage::TableOf(ObjectTraits<Message>::kKind).kind_name,
                                            " '", row.name, "' cannot be decoded"));
  }
  // Responses name their project (Feast leaves it empty; filling it is wire-compatible).
  ObjectTraits<Message>::SetProject(message, row.project);
  return message;
}

// Feast's "latest" version markers; anything else pins a version.
bool IsLatestVersion(absl::string_view version) {
  return version.empty() || absl::AsciiStrToLower(version) == "latest";
}

// Maintains feature_view_version_history for an effective write of a versioned kind, inside the
// write's transaction, and stamps `object` with its current version number (Feast §5.4, latest
// apply): a new view is version 0; a schema change appends max+1 (first saving the previous
// definition as version 0 when the history is empty); other changes keep the number.
template <typename Message>
absl::Status RecordVersion(Transaction& tx, const WriteContext& write, absl::string_view project,
                           const Message* stored, Message& object) {
  using Traits = ObjectTraits<Message>;
  const std::string name = Traits::Name(object);
  if (stored != nullptr && Traits::SchemaKey(*stored) == Traits::SchemaKey(object)) {
    Traits::SetVersionNumber(object, Traits::VersionNumber(*stored));
    return absl::OkStatus();
  }
  auto record = [&](int32_t number, const std::string& bytes) {
    storage::VersionRecord r{std::string(project), name,     number, std::string(Traits::kVersionType),
                             bytes,                write.now_seconds(), "",   NewUuid4()};
    absl::Status s = tx.InsertVersion(r);
    // The view's row lock serializes versioners, so a taken number means a writer outside
    // Larder raced us: redo the whole write.
    if (absl::IsAlreadyExists(s)) return absl::AbortedError("version number taken; retrying");
    return s;
  };
  int32_t next = 0;
  if (stored != nullptr) {
    absl::StatusOr<std::vector<storage::VersionRecord>> history = tx.ListVersions(project, name);
    if (!history.ok()) return history.status();
    for (const storage::VersionRecord& r : *history) next = std::max(next, r.version_number + 1);
    if (next == 0) {
      if (absl::Status s = record(0, stored->SerializeAsString()); !s.ok()) return s;
      next = 1;
    }
  }
  Traits::SetVersionNumber(object, next);
  return record(next, object.SerializeAsString());
}

}  // namespace

template <typename Message>
absl::Status Registry::Apply(absl::string_view project, const Message& incoming) {
  using Traits = ObjectTraits<Message>;
  constexpr ObjectKind kind = Traits::kKind;
  const std::string name = Traits::Name(incoming);
  const std::string key_project = kind == ObjectKind::kProject ? name : std::string(project);
  if (absl::Status s = ValidateNames(kind, key_project, name); !s.ok()) return s;
  if constexpr (Traits::kVersioned) {
    if (!IsLatestVersion(Traits::PinnedVersion(incoming))) {
      return absl::UnimplementedError(
          "applying a pinned feature-view version (spec.version = vN) is not supported yet");
    }
  }
  const absl::Time now = TruncateToMicros(clock_.Now());

  return store_.Run(TxMode::kReadWrite, [&](Transaction& tx) -> absl::Status {
    WriteContext write(tx, now);
    Message object = incoming;  // fresh per attempt: the body may be retried
    Traits::SetProject(object, key_project);
    if constexpr (kind != ObjectKind::kProject) {
      if (absl::Status s = write.EnsureProject(key_project); !s.ok()) return s;
    } else {
      if (absl::Status s = write.EnsureProjectUuid(key_project); !s.ok()) return s;
    }
    absl::StatusOr<std::optional<ObjectRow>> existing =
        tx.GetObject(kind, key_project, name, Lock::kForUpdate);
    if (!existing.ok()) return existing.status();

    auto* meta = Traits::MutableMeta(object);
    ObjectRow row{key_project, name, {}, write.now_seconds(), 1};
    ChangeOp op = ChangeOp::kCreate;
    if (existing->has_value()) {
      absl::StatusOr<Message> stored = Decode<Message>(**existing);
      if (!stored.ok()) return stored.status();
      Traits::InheritFromStored(object, *stored);
      if (Traits::SameContent(*stored, object)) return absl::OkStatus();  // nothing to write
      // Server-owned timestamps: creation time survives updates, whatever the client sent.
      if (stored->meta().has_created_timestamp()) {
        *meta->mutable_created_timestamp() = stored->meta().created_timestamp();
      } else {
        *meta->mutable_created_timestamp() = write.now_proto();
      }
      *meta->mutable_last_updated_timestamp() = write.now_proto();
      if constexpr (Traits::kVersioned) {
        if (absl::Status s = RecordVersion(tx, write, key_project, &*stored, object); !s.ok()) {
          return s;
        }
      }
      row.version = (*existing)->version + 1;
      row.proto = object.SerializeAsString();
      op = ChangeOp::kUpdate;
      if (absl::Status s = tx.UpdateObject(kind, row); !s.ok()) return s;
    } else {
      *meta->mutable_created_timestamp() = write.now_proto();
      *meta->mutable_last_updated_timestamp() = write.now_proto();
      if constexpr (Traits::kVersioned) {
        if (absl::Status s = RecordVersion<Message>(tx, write, key_project, nullptr, object);
            !s.ok()) {
          return s;
        }
      }
      row.proto = object.SerializeAsString();
      absl::Status inserted = tx.InsertObject(kind, row);
      // Another writer created it between our read and insert: redo the whole write, which
      // will then find the row and apply as an update. Never silently dropped.
      if (absl::IsAlreadyExists(inserted)) {
        return absl::AbortedError("object created concurrently; retrying");
      }
      if (!inserted.ok()) return inserted;
    }
    return write.Committed(kind, key_project, name, op, row.version, std::move(row.proto));
  });
}

template <typename Message>
absl::StatusOr<Message> Registry::Get(absl::string_view project, absl::string_view name) {
  using Traits = ObjectTraits<Message>;
  absl::StatusOr<Message> result = Traits::NotFound(name, project);
  absl::Status status = store_.Run(TxMode::kReadOnly, [&](Transaction& tx) -> absl::Status {
    absl::StatusOr<std::optional<ObjectRow>> row = tx.GetObject(Traits::kKind, project, name);
    if (!row.ok()) return row.status();
    if (row->has_value()) result = Decode<Message>(**row);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

template <typename Message>
absl::StatusOr<std::vector<Message>> Registry::ListAll(absl::string_view project,
                                                       const ListOptions& options) {
  using Traits = ObjectTraits<Message>;
  std::vector<ObjectRow> rows;
  absl::Status status = store_.Run(TxMode::kReadOnly, [&](Transaction& tx) -> absl::Status {
    absl::StatusOr<std::vector<ObjectRow>> listed = tx.ListObjects(Traits::kKind, project);
    if (!listed.ok()) return listed.status();
    rows = *std::move(listed);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  std::vector<Message> matching;
  matching.reserve(rows.size());
  for (const ObjectRow& row : rows) {
    absl::StatusOr<Message> message = Decode<Message>(row);
    if (!message.ok()) return message.status();
    if (HasAllTags(Traits::Tags(*message), options.tags)) matching.push_back(*std::move(message));
  }
  return matching;
}

template <typename Message>
absl::Status Registry::Delete(absl::string_view project, absl::string_view name) {
  using Traits = ObjectTraits<Message>;
  const absl::Time now = TruncateToMicros(clock_.Now());
  return store_.Run(TxMode::kReadWrite, [&](Transaction& tx) -> absl::Status {
    WriteContext write(tx, now);
    absl::StatusOr<std::optional<ObjectRow>> existing =
        tx.GetObject(Traits::kKind, project, name, Lock::kForUpdate);
    if (!existing.ok()) return existing.status();
    if (!existing->has_value()) return Traits::NotFound(name, project);
    absl::StatusOr<bool> deleted = tx.DeleteObject(Traits::kKind, project, name);
    if (!deleted.ok()) return deleted.status();
    return write.Committed(Traits::kKind, project, name, ChangeOp::kDelete,
                           (*existing)->version + 1, {});
  });
}

absl::Status Registry::ApplyProject(const feast::core::Project& project) {
  return Apply(project.spec().name(), project);
}

absl::StatusOr<feast::core::Project> Registry::GetProject(absl::string_view name) {
  return Get<feast::core::Project>(name, name);
}

absl::StatusOr<ListPage<feast::core::Project>> Registry::ListProjects(const ListOptions& options) {
  absl::StatusOr<std::vector<feast::core::Project>> all = ListAll<feast::core::Project>("", options);
  if (!all.ok()) return all.status();
  std::vector<feast::core::Project> visible;
  for (feast::core::Project& p : *all) {
    auto it = p.spec().tags().find(std::string(kProtectedProjectTag));
    if (it != p.spec().tags().end() && it->second == "true") continue;
    visible.push_back(std::move(p));
  }
  return SortAndPaginate(std::move(visible), options);
}

absl::Status Registry::DeleteProject(absl::string_view name) {
  const absl::Time now = TruncateToMicros(clock_.Now());
  return store_.Run(TxMode::kReadWrite, [&](Transaction& tx) -> absl::Status {
    WriteContext write(tx, now);
    absl::StatusOr<std::optional<ObjectRow>> existing =
        tx.GetObject(ObjectKind::kProject, name, name, Lock::kForUpdate);
    if (!existing.ok()) return existing.status();
    if (!existing->has_value()) return ProjectNotFound(name);
    absl::StatusOr<bool> deleted = tx.DeleteProjectCascade(name);
    if (!deleted.ok()) return deleted.status();
    return write.Committed(ObjectKind::kProject, name, name, ChangeOp::kDelete,
                           (*existing)->version + 1, {});
  });
}

absl::Status Registry::ApplyEntity(absl::string_view project, const feast::core::Entity& entity) {
  return Apply(project, entity);
}

absl::StatusOr<feast::core::Entity> Registry::GetEntity(absl::string_view project,
                                                        absl::string_view name) {
  return Get<feast::core::Entity>(project, name);
}

absl::StatusOr<ListPage<feast::core::Entity>> Registry::ListEntities(absl::string_view project,
                                                                     const ListOptions& options) {
  absl::StatusOr<std::vector<feast::core::Entity>> all =
      ListAll<feast::core::Entity>(project, options);
  if (!all.ok()) return all.status();
  return SortAndPaginate(*std::move(all), options);
}

absl::Status Registry::DeleteEntity(absl::string_view project, absl::string_view name) {
  return Delete<feast::core::Entity>(project, name);
}

absl::Status Registry::ApplyFeatureView(absl::string_view project,
                                        const feast::core::FeatureView& view) {
  return Apply(project, view);
}

absl::StatusOr<feast::core::FeatureView> Registry::GetFeatureView(absl::string_view project,
                                                                  absl::string_view name) {
  return Get<feast::core::FeatureView>(project, name);
}

absl::Status Registry::ApplyMaterialization(absl::string_view project, absl::string_view view_name,
                                            const google::protobuf::Timestamp& start,
                                            const google::protobuf::Timestamp& end) {
  if (absl::Status s = ValidateNames(ObjectKind::kFeatureView, project, view_name); !s.ok()) {
    return s;
  }
  const absl::Time now = TruncateToMicros(clock_.Now());
  return store_.Run(TxMode::kReadWrite, [&](Transaction& tx) -> absl::Status {
    WriteContext write(tx, now);
    // The row lock makes read-append-write atomic against every other writer of this view.
    absl::StatusOr<std::optional<ObjectRow>> existing =
        tx.GetObject(ObjectKind::kFeatureView, project, view_name, Lock::kForUpdate);
    if (!existing.ok()) return existing.status();
    if (!existing->has_value()) return FeatureViewNotFound(view_name, project);
    absl::StatusOr<feast::core::FeatureView> view =
        Decode<feast::core::FeatureView>(**existing);
    if (!view.ok()) return view.status();
    feast::core::MaterializationInterval* interval =
        view->mutable_meta()->add_materialization_intervals();
    *interval->mutable_start_time() = start;
    *interval->mutable_end_time() = end;
    view->mutable_meta()->set_state(feast::core::AVAILABLE_ONLINE);
    *view->mutable_meta()->mutable_last_updated_timestamp() = write.now_proto();
    ObjectRow row{std::string(project), std::string(view_name), view->SerializeAsString(),
                  write.now_seconds(), (*existing)->version + 1};
    if (absl::Status s = tx.UpdateObject(ObjectKind::kFeatureView, row); !s.ok()) return s;
    return write.Committed(ObjectKind::kFeatureView, project, view_name, ChangeOp::kUpdate,
                           row.version, std::move(row.proto));
  });
}

}  // namespace larder::registry
