// The table of larder.v1.Registry's methods.
#include "server/service/larder_registry_service.h"

#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "feast/core/FeatureViewVersion.pb.h"
#include "larder/v1/registry.pb.h"
#include "server/registry/access_control.h"
#include "server/registry/kinds.h"
#include "server/registry/registry_internal.h"
#include "storage/change_compaction.h"

namespace larder::service {
namespace {

namespace v1 = ::larder::v1;
using registry::RegistryWrite;
using registry::WriteResult;
using storage::ObjectKind;

constexpr char kServiceName[] = "larder.v1.Registry";
// The status payload key of a batch's version conflicts (becomes google.rpc.Status details).
constexpr char kConflictsTypeUrl[] = "type.googleapis.com/larder.v1.VersionConflicts";
constexpr char kRevisionConflictTypeUrl[] = "type.googleapis.com/larder.v1.RevisionConflict";
// Marks the rollback that ends a dry run; never leaves this file.
constexpr char kDryRunPayload[] = "larder.dev/dry-run";
constexpr int kDefaultChangeLimit = 1000;
constexpr int kMaxChangeLimit = 10000;

template <typename Message>
Reply MessageReply(Message message) {
  return Reply::Of(std::make_unique<Message>(std::move(message)));
}

absl::StatusOr<ObjectKind> ParseKind(absl::string_view kind_name) {
  std::optional<ObjectKind> kind = storage::KindFromName(kind_name);
  if (!kind.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown kind '", kind_name,
                     "' (one of project, entity, data_source, feature_view, stream_feature_view, "
                     "on_demand_feature_view, label_view, feature_service, saved_dataset, "
                     "validation_reference, permission, infra, materialization_job, "
                     "materialization_task)"));
  }
  return *kind;
}

// One upsert of a batch, decoded: its kind, its name and the message.
struct UpsertItem {
  ObjectKind kind;
  std::string name;
  const google::protobuf::Message* object;
  std::optional<int64_t> expected_version;
};

absl::StatusOr<UpsertItem> DecodeUpsert(const v1::Upsert& upsert) {
  static const google::protobuf::OneofDescriptor* oneof =
      v1::Upsert::descriptor()->FindOneofByName("object");
  const google::protobuf::Reflection* reflection = upsert.GetReflection();
  const google::protobuf::FieldDescriptor* field =
      reflection->GetOneofFieldDescriptor(upsert, oneof);
  if (field == nullptr) return absl::InvalidArgumentError("an upsert carries no object");
  UpsertItem item{ObjectKind::kInfra, std::string(registry::internal::kInfraRowName),
                  &reflection->GetMessage(upsert, field), std::nullopt};
  if (upsert.has_expected_version()) item.expected_version = upsert.expected_version();
  registry::ForEachKind([&]<typename Message>() {
    if (Message::descriptor() == field->message_type()) {
      item.kind = registry::ObjectTraits<Message>::kKind;
      item.name = registry::ObjectTraits<Message>::Name(static_cast<const Message&>(*item.object));
    }
  });
  return item;
}

// The row key of an object of `kind` named `name` in the batch's `project`.
std::string KeyProject(ObjectKind kind, absl::string_view project, absl::string_view name) {
  return std::string(kind == ObjectKind::kProject ? name : project);
}

absl::StatusOr<WriteResult> ApplyItem(RegistryWrite& write, absl::string_view project,
                                      const UpsertItem& item) {
  if (item.kind == ObjectKind::kInfra) {
    return write.UpdateInfra(project, static_cast<const feast::core::Infra&>(*item.object));
  }
  absl::StatusOr<WriteResult> result = absl::InternalError("unknown kind");
  registry::VisitKind(item.kind, [&]<typename Message>() {
    result = write.Apply(project, static_cast<const Message&>(*item.object));
  });
  return result;
}

absl::StatusOr<WriteResult> DeleteItem(RegistryWrite& write, absl::string_view project,
                                       ObjectKind kind, absl::string_view name) {
  absl::StatusOr<WriteResult> result = absl::InternalError("unknown kind");
  registry::VisitKind(kind,
                      [&]<typename Message>() { result = write.Delete<Message>(project, name); });
  return result;
}

v1::ObjectResult ToProto(const WriteResult& r) {
  v1::ObjectResult out;
  out.set_kind(std::string(storage::TableOf(r.kind).kind_name));
  out.set_name(r.name);
  switch (r.effect) {
    case registry::Effect::kCreated:
      out.set_effect(v1::CREATED);
      break;
    case registry::Effect::kUpdated:
      out.set_effect(v1::UPDATED);
      break;
    case registry::Effect::kUnchanged:
      out.set_effect(v1::UNCHANGED);
      break;
    case registry::Effect::kDeleted:
      out.set_effect(v1::DELETED);
      break;
  }
  out.set_old_version(r.old_version);
  out.set_new_version(r.new_version);
  return out;
}

// The view kind a version record's feature_view_type names, and Feast's permission resource of
// that view.
absl::StatusOr<registry::Resource> VersionedViewResource(
    const feast::core::FeatureViewVersionRecord& record) {
  std::optional<ObjectKind> kind = storage::KindFromName(record.feature_view_type());
  if (!kind.has_value() || !storage::IsFeatureViewKind(*kind)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "version ", record.version_number(), " of '", record.feature_view_name(),
        "': feature_view_type '", record.feature_view_type(),
        "' is not one of feature_view, stream_feature_view, on_demand_feature_view, label_view"));
  }
  registry::Resource resource{feast::core::PermissionSpec::FEATURE_VIEW,
                              record.feature_view_name()};
  registry::VisitKind(*kind, [&]<typename Message>() {
    resource.type = registry::ObjectTraits<Message>::kPermissionType;
  });
  return resource;
}

// The checks a batch's version_history gets before anything is written: every record names a
// view, a version number and a view kind of the batch's project, once.
absl::Status ValidateVersionHistory(const v1::ApplyBatchRequest& q) {
  if (q.version_history_size() == 0) return absl::OkStatus();
  if (!q.preserve_meta()) {
    return absl::InvalidArgumentError(
        "version_history needs preserve_meta (Larder numbers the versions of ordinary applies)");
  }
  std::set<std::pair<std::string, int32_t>> seen;
  for (const feast::core::FeatureViewVersionRecord& record : q.version_history()) {
    if (record.feature_view_name().empty()) {
      return absl::InvalidArgumentError("a version record names no feature view");
    }
    if (absl::Status s =
            registry::internal::ValidateName("feature_view_name", record.feature_view_name());
        !s.ok()) {
      return s;
    }
    if (!record.project_id().empty() && record.project_id() != q.project()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "version ", record.version_number(), " of '", record.feature_view_name(),
          "' belongs to project '", record.project_id(), "', not '", q.project(), "'"));
    }
    if (record.version_number() < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "version numbers of '", record.feature_view_name(), "' must not be negative"));
    }
    if (record.version_id().size() > 36 || record.description().find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("version ", record.version_number(), " of '", record.feature_view_name(),
                       "': version_id is longer than 36 characters or description holds NUL"));
    }
    if (absl::StatusOr<registry::Resource> resource = VersionedViewResource(record);
        !resource.ok()) {
      return resource.status();
    }
    if (!seen.insert({record.feature_view_name(), record.version_number()}).second) {
      return absl::InvalidArgumentError(absl::StrCat("version ", record.version_number(), " of '",
                                                     record.feature_view_name(),
                                                     "' appears more than once in the batch"));
    }
  }
  return absl::OkStatus();
}

// Writes the batch's saved versions that the project does not have yet, in `write`'s
// transaction; a number already taken keeps what it holds. Writing a view's history takes what
// creating the view does (CREATE).
absl::Status WriteVersionHistory(RegistryWrite& write, const Call& call,
                                 const v1::ApplyBatchRequest& q) {
  storage::Transaction& tx = write.transaction();
  std::map<std::string, std::set<int32_t>> taken;  // per view, read once
  for (const feast::core::FeatureViewVersionRecord& record : q.version_history()) {
    absl::StatusOr<registry::Resource> resource = VersionedViewResource(record);
    if (!resource.ok()) return resource.status();
    if (call.access.user() != nullptr) {
      absl::Status allowed =
          call.access.RequireIn(tx, q.project(), *resource, {feast::core::PermissionSpec::CREATE});
      if (!allowed.ok()) return allowed;
    }
    auto it = taken.find(record.feature_view_name());
    if (it == taken.end()) {
      absl::StatusOr<std::vector<storage::VersionRecord>> rows =
          tx.ListVersions(q.project(), record.feature_view_name());
      if (!rows.ok()) return rows.status();
      it = taken.emplace(record.feature_view_name(), std::set<int32_t>()).first;
      for (const storage::VersionRecord& row : *rows) it->second.insert(row.version_number);
    }
    if (!it->second.insert(record.version_number()).second) continue;
    absl::Status inserted = tx.InsertVersion(storage::VersionRecord{
        q.project(), record.feature_view_name(), record.version_number(),
        record.feature_view_type(), record.feature_view_proto(),
        record.created_timestamp().seconds(), record.description(), record.version_id()});
    // Saved meanwhile by a writer outside Larder: redo the batch, which then keeps that one.
    if (absl::IsAlreadyExists(inserted)) return absl::AbortedError("version saved concurrently");
    if (!inserted.ok()) return inserted;
  }
  return absl::OkStatus();
}

absl::StatusOr<Reply> ApplyBatch(registry::Registry& r, const Call& call,
                                 const v1::ApplyBatchRequest& q) {
  const std::string& project = q.project();
  if (project.empty()) return absl::InvalidArgumentError("ApplyBatch needs a project");
  if (q.owner().size() > 255) {
    return absl::InvalidArgumentError("owner is longer than 255 bytes");
  }
  if (absl::Status s = registry::internal::ValidateName("project_uuid", q.project_uuid());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateVersionHistory(q); !s.ok()) return s;
  std::vector<UpsertItem> upserts;
  std::set<std::pair<ObjectKind, std::string>> named;  // every object the batch names
  for (const v1::Upsert& upsert : q.upserts()) {
    absl::StatusOr<UpsertItem> item = DecodeUpsert(upsert);
    if (!item.ok()) return item.status();
    if (item->kind == ObjectKind::kProject && item->name != project) {
      return absl::InvalidArgumentError(absl::StrCat("a batch for project '", project,
                                                     "' cannot apply project '", item->name, "'"));
    }
    if (!named.insert({item->kind, item->name}).second) {
      return absl::InvalidArgumentError(absl::StrCat(storage::TableOf(item->kind).kind_name, " '",
                                                     item->name,
                                                     "' appears more than once in the batch"));
    }
    upserts.push_back(*std::move(item));
  }
  std::vector<std::pair<ObjectKind, const v1::Delete*>> deletes;
  for (const v1::Delete& del : q.deletes()) {
    absl::StatusOr<ObjectKind> kind = ParseKind(del.kind());
    if (!kind.ok()) return kind.status();
    if (*kind == ObjectKind::kProject || *kind == ObjectKind::kInfra) {
      return absl::InvalidArgumentError(
          "a batch deletes objects of its project; delete a project with DeleteProject");
    }
    if (storage::IsLedgerKind(*kind)) {
      return absl::InvalidArgumentError(
          "materialization jobs and tasks are not registry objects (see "
          "larder.v1.Materialization)");
    }
    if (!named.insert({*kind, del.name()}).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(del.kind(), " '", del.name(), "' appears more than once in the batch"));
    }
    deletes.emplace_back(*kind, &del);
  }

  v1::ApplyBatchResponse response;
  bool ran = false;
  registry::WriteOptions options = call.write;
  options.preserve_meta = q.preserve_meta();
  absl::Status status = r.Write(options, [&](RegistryWrite& write) -> absl::Status {
    ran = true;
    response.clear_results();  // the body may run again after ABORTED
    storage::Transaction& tx = write.transaction();
    if (q.has_expected_revision()) {
      // Holding the counter from here to COMMIT: nothing else commits in between, so "the
      // registry is still at R" stays true for everything this batch reads and writes.
      absl::StatusOr<int64_t> current = tx.LockRevision();
      if (!current.ok()) return current.status();
      if (*current != q.expected_revision()) {
        v1::RevisionConflict detail;
        detail.set_expected_revision(q.expected_revision());
        detail.set_actual_revision(*current);
        absl::Status conflict = absl::FailedPreconditionError(
            absl::StrCat("the registry is at revision ", *current, ", not the expected ",
                         q.expected_revision(), "; nothing was applied (re-read and retry)"));
        conflict.SetPayload(kRevisionConflictTypeUrl, absl::Cord(detail.SerializeAsString()));
        return conflict;
      }
    }
    // Expected versions first, every one of them, under row locks held to the commit.
    v1::VersionConflicts conflicts;
    auto expect = [&](ObjectKind kind, const std::string& name,
                      std::optional<int64_t> expected) -> absl::Status {
      if (!expected.has_value()) return absl::OkStatus();
      absl::StatusOr<std::optional<storage::ObjectRow>> row =
          tx.GetObject(kind, KeyProject(kind, project, name), name, storage::Lock::kForUpdate);
      if (!row.ok()) return row.status();
      const int64_t actual = row->has_value() ? (*row)->version : 0;
      if (actual != *expected) {
        v1::VersionConflict* conflict = conflicts.add_conflicts();
        conflict->set_kind(std::string(storage::TableOf(kind).kind_name));
        conflict->set_name(name);
        conflict->set_expected_version(*expected);
        conflict->set_actual_version(actual);
      }
      return absl::OkStatus();
    };
    auto expect_all = [&]() -> absl::Status {
      conflicts.clear_conflicts();
      for (const UpsertItem& item : upserts) {
        if (absl::Status s = expect(item.kind, item.name, item.expected_version); !s.ok()) {
          return s;
        }
      }
      for (const auto& [kind, del] : deletes) {
        std::optional<int64_t> expected;
        if (del->has_expected_version()) expected = del->expected_version();
        if (absl::Status s = expect(kind, del->name(), expected); !s.ok()) return s;
      }
      return absl::OkStatus();
    };
    if (absl::Status s = expect_all(); !s.ok()) return s;
    if (conflicts.conflicts_size() > 0 && !q.has_expected_revision()) {
      // The list must be every conflicting object, but the checks above are one statement each
      // and a locking read of a row that does not exist locks nothing: another batch creating
      // these objects can commit between two of them, and the list would then name only the
      // objects checked after its commit (larder-torture's conflicting_batches saw 5 of 10 on
      // PostgreSQL). Checked again holding the revision counter, nothing commits in between.
      // Only a refused batch pays for this; it rolls back at once.
      if (absl::StatusOr<int64_t> held = tx.LockRevision(); !held.ok()) return held.status();
      if (absl::Status s = expect_all(); !s.ok()) return s;
    }
    auto refuse = [&] {
      absl::Status conflict = absl::FailedPreconditionError(
          absl::StrCat(conflicts.conflicts_size(),
                       " object(s) of the batch are not at the expected version; "
                       "nothing was applied (the status details list each one)"));
      conflict.SetPayload(kConflictsTypeUrl, absl::Cord(conflicts.SerializeAsString()));
      return conflict;
    };
    if (conflicts.conflicts_size() > 0) return refuse();
    if (!q.project_uuid().empty()) {
      // Before any upsert can create the project (and give it a random UUID).
      absl::StatusOr<bool> inserted = tx.InsertMetadataIfAbsent(
          project, "project_uuid", q.project_uuid(), write.context().now_seconds());
      if (!inserted.ok()) return inserted.status();
    }
    for (const UpsertItem& item : upserts) {
      absl::StatusOr<WriteResult> result = ApplyItem(write, project, item);
      if (!result.ok()) return result.status();
      // Checked again on what the write found: a locking read of a row that does not exist
      // locks nothing on InnoDB, so a concurrent create can commit between the check above and
      // this write (found by larder-torture's conflicting_batches). Failing rolls it all back.
      if (item.expected_version.has_value() && result->old_version != *item.expected_version) {
        v1::VersionConflict* conflict = conflicts.add_conflicts();
        conflict->set_kind(std::string(storage::TableOf(item.kind).kind_name));
        conflict->set_name(item.name);
        conflict->set_expected_version(*item.expected_version);
        conflict->set_actual_version(result->old_version);
        continue;
      }
      if (!q.owner().empty() && result->effect == registry::Effect::kCreated &&
          item.kind != ObjectKind::kProject && item.kind != ObjectKind::kInfra) {
        absl::Status owned = tx.SetOwner(item.kind, project, item.name, q.owner());
        if (!owned.ok()) return owned;
      }
      *response.add_results() = ToProto(*result);
    }
    if (conflicts.conflicts_size() > 0) return refuse();
    if (absl::Status s = WriteVersionHistory(write, call, q); !s.ok()) return s;
    for (const auto& [kind, del] : deletes) {
      absl::StatusOr<WriteResult> result = DeleteItem(write, project, kind, del->name());
      if (!result.ok()) return result.status();
      *response.add_results() = ToProto(*result);
    }
    if (q.prune()) {
      // What `feast apply` does: the project's objects the batch does not name go — with an
      // owner, only those that owner created.
      std::vector<std::pair<ObjectKind, std::string>> candidates;
      if (!q.owner().empty()) {
        absl::StatusOr<std::vector<std::pair<ObjectKind, std::string>>> owned =
            tx.ListOwned(project, q.owner());
        if (!owned.ok()) return owned.status();
        candidates = *std::move(owned);
      } else {
        for (const storage::KindTable& table : storage::AllKindTables()) {
          if (table.kind == ObjectKind::kProject || table.kind == ObjectKind::kInfra) continue;
          absl::StatusOr<std::vector<storage::ObjectRow>> rows =
              tx.ListObjects(table.kind, project);
          if (!rows.ok()) return rows.status();
          for (storage::ObjectRow& row : *rows) {
            candidates.emplace_back(table.kind, std::move(row.name));
          }
        }
      }
      for (const auto& [kind, name] : candidates) {
        if (named.count({kind, name}) > 0) continue;
        absl::StatusOr<WriteResult> result = DeleteItem(write, project, kind, name);
        if (!result.ok()) return result.status();
        *response.add_results() = ToProto(*result);
      }
    }
    if (q.dry_run()) {
      // Everything above ran for real inside the transaction; rolling it back makes the
      // answer exactly what a real run would have done, with nothing written.
      absl::Status rollback = absl::CancelledError("dry run");
      rollback.SetPayload(kDryRunPayload, absl::Cord());
      return rollback;
    }
    return absl::OkStatus();
  });
  if (absl::IsCancelled(status) && status.GetPayload(kDryRunPayload).has_value()) {
    status = absl::OkStatus();
  }
  if (!status.ok()) return status;
  response.set_dry_run(q.dry_run());
  if (!ran) response.set_already_applied(true);
  return MessageReply(std::move(response));
}

// Whether the caller may DESCRIBE the object a change is about. Visibility is per project, so
// each project's rules are loaded once per call.
class ChangeFilter {
 public:
  explicit ChangeFilter(const Call& call) : call_(call) {}

  absl::StatusOr<bool> Visible(const storage::ChangeRecord& change) {
    if (call_.access.user() == nullptr) return true;
    auto it = by_project_.find(change.project);
    if (it == by_project_.end()) {
      absl::StatusOr<registry::Visibility> visible = call_.access.Visible(change.project);
      if (!visible.ok()) return visible.status();
      it = by_project_.emplace(change.project, *std::move(visible)).first;
    }
    registry::Resource resource{feast::core::PermissionSpec::PROJECT, change.project};
    registry::VisitKind(change.kind, [&]<typename Message>() {
      using Traits = registry::ObjectTraits<Message>;
      Message object;
      if (!change.proto.empty() && object.ParseFromString(change.proto)) {
        resource = registry::ResourceOf(object);
      } else {
        resource = {Traits::kPermissionType, change.name};
      }
    });
    const bool keep = it->second.Keep(resource);
    if (!it->second.status().ok()) return it->second.status();
    return keep;
  }

 private:
  const Call& call_;
  std::map<std::string, registry::Visibility> by_project_;
};

v1::Change ToProto(const storage::ChangeRecord& c) {
  v1::Change out;
  out.set_revision(c.revision);
  out.set_project(c.project);
  out.set_kind(std::string(storage::TableOf(c.kind).kind_name));
  out.set_name(c.name);
  out.set_operation(std::string(storage::ChangeOpName(c.op)));
  out.set_object_version(c.object_version);
  out.set_actor(c.actor);
  *out.mutable_changed_at() = registry::ToProto(absl::FromUnixMicros(c.changed_at_micros));
  out.set_object(c.proto);
  out.set_request_id(c.request_id);
  return out;
}

absl::StatusOr<Reply> ListChanges(registry::Registry& r, const Call& call,
                                  const v1::ListChangesRequest& q) {
  if (q.limit() < 0) return absl::InvalidArgumentError("limit must not be negative");
  const int limit = q.limit() == 0 ? kDefaultChangeLimit : std::min(q.limit(), kMaxChangeLimit);
  std::optional<ObjectKind> kind;
  if (!q.kind().empty()) {
    absl::StatusOr<ObjectKind> parsed = ParseKind(q.kind());
    if (!parsed.ok()) return parsed.status();
    kind = *parsed;
  }
  ChangeFilter filter(call);
  v1::ListChangesResponse response;
  int64_t after = q.after_revision();
  // Reads pages until `limit` matching changes or the end of the visible log.
  while (response.changes_size() < limit) {
    absl::StatusOr<std::vector<storage::ChangeRecord>> page = r.ListChanges(after, limit);
    if (!page.ok()) return page.status();
    if (page->empty()) break;
    for (const storage::ChangeRecord& change : *page) {
      after = change.revision;
      if (!q.project().empty() && change.project != q.project()) continue;
      if (kind.has_value() && change.kind != *kind) continue;
      if (!q.name().empty() && change.name != q.name()) continue;
      absl::StatusOr<bool> visible = filter.Visible(change);
      if (!visible.ok()) return visible.status();
      if (!*visible) continue;
      *response.add_changes() = ToProto(change);
      if (response.changes_size() == limit) break;
    }
    if (static_cast<int>(page->size()) < limit) break;  // the end of what is visible now
  }
  response.set_next_after_revision(after);
  return MessageReply(std::move(response));
}

absl::StatusOr<Reply> GetObjectHistory(registry::Registry& r, const Call& call,
                                       const v1::GetObjectHistoryRequest& q) {
  absl::StatusOr<ObjectKind> kind = ParseKind(q.kind());
  if (!kind.ok()) return kind.status();
  if (q.project().empty() || q.name().empty()) {
    return absl::InvalidArgumentError("GetObjectHistory needs a project and a name");
  }
  ChangeFilter filter(call);
  v1::GetObjectHistoryResponse response;
  int64_t after = 0;
  while (true) {
    absl::StatusOr<std::vector<storage::ChangeRecord>> page = r.ObjectHistory(
        *kind, KeyProject(*kind, q.project(), q.name()), q.name(), after, kMaxChangeLimit);
    if (!page.ok()) return page.status();
    for (const storage::ChangeRecord& change : *page) {
      after = change.revision;
      absl::StatusOr<bool> visible = filter.Visible(change);
      if (!visible.ok()) return visible.status();
      if (*visible) *response.add_changes() = ToProto(change);
    }
    if (static_cast<int>(page->size()) < kMaxChangeLimit) break;
  }
  return MessageReply(std::move(response));
}

// Every change after `after` up to `to` (0: the latest visible), oldest first.
absl::StatusOr<std::vector<storage::ChangeRecord>> ChangesBetween(registry::Registry& r,
                                                                  int64_t after, int64_t to) {
  std::vector<storage::ChangeRecord> out;
  for (;;) {
    absl::StatusOr<std::vector<storage::ChangeRecord>> page = r.ListChanges(after, kMaxChangeLimit);
    if (!page.ok()) return page.status();
    for (storage::ChangeRecord& change : *page) {
      if (to != 0 && change.revision > to) return out;
      after = change.revision;
      out.push_back(std::move(change));
    }
    if (static_cast<int>(page->size()) < kMaxChangeLimit) return out;
  }
}

using ObjectKey = std::tuple<ObjectKind, std::string, std::string>;  // kind, project, name

absl::StatusOr<Reply> GetRegistryAt(registry::Registry& r, const Call& call,
                                    const v1::GetRegistryAtRequest& q) {
  if (q.revision() <= 0) return absl::InvalidArgumentError("revision must be positive");
  // With history retention the log at or below the horizon is a compacted base (each object's
  // last state there) and complete after it: the registry at R >= horizon is still exact.
  absl::StatusOr<int64_t> horizon = r.HistoryHorizon();
  if (!horizon.ok()) return horizon.status();
  if (q.revision() < *horizon) return storage::ChangesCompacted(q.revision(), *horizon);
  absl::StatusOr<std::vector<storage::ChangeRecord>> changes =
      r.CompactedChanges(0, *horizon, std::numeric_limits<int>::max());
  if (!changes.ok()) return changes.status();
  absl::StatusOr<std::vector<storage::ChangeRecord>> retained =
      ChangesBetween(r, *horizon, q.revision());
  if (!retained.ok()) return retained.status();
  for (storage::ChangeRecord& change : *retained) changes->push_back(std::move(change));
  std::map<ObjectKey, const storage::ChangeRecord*> latest;
  for (const storage::ChangeRecord& change : *changes) {
    latest[{change.kind, change.project, change.name}] = &change;
  }
  ChangeFilter filter(call);
  v1::GetRegistryAtResponse response;
  feast::core::Registry& out = *response.mutable_registry();
  const google::protobuf::Reflection* reflection = out.GetReflection();
  for (const auto& [key, change] : latest) {
    if (change->op == storage::ChangeOp::kDelete || change->kind == ObjectKind::kInfra) continue;
    if (!q.project().empty() && change->project != q.project()) continue;
    absl::StatusOr<bool> visible = filter.Visible(*change);
    if (!visible.ok()) return visible.status();
    if (!*visible) continue;
    // A plain name for the lambda: clang before 16 cannot capture structured bindings.
    const auto& row = change;
    registry::VisitKind(change->kind, [&]<typename Message>() {
      static const google::protobuf::FieldDescriptor* field =
          feast::core::Registry::descriptor()->FindFieldByName(
              std::string(registry::ObjectTraits<Message>::kRegistryField));
      reflection->AddMessage(&out, field)->ParseFromString(row->proto);
    });
  }
  return MessageReply(std::move(response));
}

absl::StatusOr<Reply> DiffRevisions(registry::Registry& r, const Call& call,
                                    const v1::DiffRevisionsRequest& q) {
  if (q.from_revision() < 0 || q.to_revision() < 0 ||
      (q.to_revision() != 0 && q.to_revision() < q.from_revision())) {
    return absl::InvalidArgumentError("revisions must satisfy 0 <= from_revision <= to_revision");
  }
  absl::StatusOr<std::vector<storage::ChangeRecord>> changes =
      ChangesBetween(r, q.from_revision(), q.to_revision());
  if (!changes.ok()) return changes.status();
  // The first and last change of each object in the range decide its net effect.
  std::map<ObjectKey, std::pair<const storage::ChangeRecord*, const storage::ChangeRecord*>> span;
  for (const storage::ChangeRecord& change : *changes) {
    if (!q.project().empty() && change.project != q.project()) continue;
    if (storage::IsLedgerKind(change.kind)) continue;  // not registry objects
    auto [it, inserted] =
        span.try_emplace({change.kind, change.project, change.name}, &change, &change);
    if (!inserted) it->second.second = &change;
  }
  ChangeFilter filter(call);
  v1::DiffRevisionsResponse response;
  response.set_to_revision(changes->empty() ? q.from_revision() : changes->back().revision);
  if (q.to_revision() != 0) response.set_to_revision(q.to_revision());
  for (const auto& [key, range] : span) {
    const auto& [first, last] = range;
    const bool existed_before = first->op != storage::ChangeOp::kCreate;
    const bool exists_after = last->op != storage::ChangeOp::kDelete;
    if (!existed_before && !exists_after) continue;  // created and deleted in between
    absl::StatusOr<bool> visible = filter.Visible(*last);
    if (!visible.ok()) return visible.status();
    if (!*visible) continue;
    v1::ObjectDiff* diff = response.add_objects();
    diff->set_kind(std::string(storage::TableOf(last->kind).kind_name));
    diff->set_project(last->project);
    diff->set_name(last->name);
    diff->set_effect(!existed_before ? v1::CREATED : (exists_after ? v1::UPDATED : v1::DELETED));
    diff->set_from_version(existed_before ? first->object_version - 1 : 0);
    diff->set_to_version(exists_after ? last->object_version : 0);
  }
  return MessageReply(std::move(response));
}

absl::StatusOr<Reply> ListFeatureViewVersions(registry::Registry& r, const Call& call,
                                              const v1::ListFeatureViewVersionsRequest& q) {
  if (q.project().empty()) {
    return absl::InvalidArgumentError("ListFeatureViewVersions needs a project");
  }
  if (auto s = call.access.RequireDescribeProject(q.project(), false); !s.ok()) return s;
  absl::StatusOr<std::vector<storage::VersionRecord>> rows =
      r.ListFeatureViewVersions(q.project(), q.name());
  if (!rows.ok()) return rows.status();
  std::optional<registry::Visibility> visible;
  if (call.access.user() != nullptr) {
    absl::StatusOr<registry::Visibility> rules = call.access.Visible(q.project());
    if (!rules.ok()) return rules.status();
    visible = *std::move(rules);
  }
  v1::ListFeatureViewVersionsResponse response;
  for (storage::VersionRecord& row : *rows) {
    feast::core::FeatureViewVersionRecord record;
    record.set_feature_view_name(std::move(row.view_name));
    record.set_project_id(std::move(row.project));
    record.set_version_number(row.version_number);
    record.set_feature_view_type(std::move(row.view_type));
    record.set_feature_view_proto(std::move(row.proto));
    record.mutable_created_timestamp()->set_seconds(row.created_seconds);
    record.set_description(std::move(row.description));
    record.set_version_id(std::move(row.version_id));
    if (visible.has_value()) {
      absl::StatusOr<registry::Resource> resource = VersionedViewResource(record);
      // A row of a type Larder does not know is judged as a plain feature view.
      const registry::Resource judged =
          resource.ok() ? *resource
                        : registry::Resource{feast::core::PermissionSpec::FEATURE_VIEW,
                                             record.feature_view_name()};
      const bool keep = visible->Keep(judged);
      if (!visible->status().ok()) return visible->status();
      if (!keep) continue;
    }
    *response.add_records() = std::move(record);
  }
  return MessageReply(std::move(response));
}

absl::StatusOr<Reply> GetServerInfo(registry::Registry& r, const ServerInfo& info) {
  absl::StatusOr<int64_t> revision = r.CurrentRevision();
  if (!revision.ok()) return revision.status();
  v1::GetServerInfoResponse response;
  response.set_server_version(info.server_version);
  response.set_backend(info.backend);
  response.set_schema_version(info.schema_version);
  response.set_current_revision(*revision);
  absl::StatusOr<int64_t> horizon = r.HistoryHorizon();
  if (!horizon.ok()) return horizon.status();
  response.set_retained_after_revision(*horizon);
  if (info.staged != nullptr) {
    response.set_staged_feast_writes(static_cast<int64_t>(info.staged->held_writes()));
    response.set_staged_feast_sessions(static_cast<int64_t>(info.staged->sessions()));
  }
  return MessageReply(std::move(response));
}

}  // namespace

LarderRegistryService::LarderRegistryService(registry::Registry& registry, CallRunner& runner,
                                             ServerInfo info)
    : MethodTable(runner), info_(std::move(info)) {
  registry::Registry& r = registry;
  AddMethod<v1::ApplyBatchRequest>(
      methods_, runner_, kServiceName, "ApplyBatch",
      [&r](const Call& call, const v1::ApplyBatchRequest& q) { return ApplyBatch(r, call, q); });
  AddMethod<v1::ListChangesRequest>(
      methods_, runner_, kServiceName, "ListChanges",
      [&r](const Call& call, const v1::ListChangesRequest& q) { return ListChanges(r, call, q); });
  AddMethod<v1::GetObjectHistoryRequest>(
      methods_, runner_, kServiceName, "GetObjectHistory",
      [&r](const Call& call, const v1::GetObjectHistoryRequest& q) {
        return GetObjectHistory(r, call, q);
      });
  // One read of a watch: the changes after the request's after_revision, as a
  // ListChangesResponse (the stream's front end turns them into events and heartbeats).
  AddMethod<v1::WatchChangesRequest>(methods_, runner_, kServiceName, "WatchChanges",
                                     [&r](const Call& call, const v1::WatchChangesRequest& q) {
                                       v1::ListChangesRequest read;
                                       read.set_after_revision(q.after_revision());
                                       read.set_project(q.project());
                                       read.set_kind(q.kind());
                                       read.set_name(q.name());
                                       return ListChanges(r, call, read);
                                     });
  methods_.back().server_streaming = true;
  AddMethod<v1::GetRegistryAtRequest>(methods_, runner_, kServiceName, "GetRegistryAt",
                                      [&r](const Call& call, const v1::GetRegistryAtRequest& q) {
                                        return GetRegistryAt(r, call, q);
                                      });
  AddMethod<v1::DiffRevisionsRequest>(methods_, runner_, kServiceName, "DiffRevisions",
                                      [&r](const Call& call, const v1::DiffRevisionsRequest& q) {
                                        return DiffRevisions(r, call, q);
                                      });
  AddMethod<v1::ListFeatureViewVersionsRequest>(
      methods_, runner_, kServiceName, "ListFeatureViewVersions",
      [&r](const Call& call, const v1::ListFeatureViewVersionsRequest& q) {
        return ListFeatureViewVersions(r, call, q);
      });
  AddMethod<v1::GetServerInfoRequest>(
      methods_, runner_, kServiceName, "GetServerInfo",
      [&r, this](const Call&, const v1::GetServerInfoRequest&) { return GetServerInfo(r, info_); });
}

}  // namespace larder::service
