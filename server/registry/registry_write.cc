// Registry mutations inside a caller-owned transaction (registry_write.h).
#include "server/registry/registry_write.h"

#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "server/registry/access_control.h"
#include "server/registry/feast_errors.h"
#include "server/registry/kinds.h"
#include "server/registry/registry_internal.h"

namespace larder::registry {

using feast::core::PermissionSpec;
using internal::Decode;
using storage::ChangeOp;
using storage::Lock;
using storage::ObjectKind;
using storage::ObjectRow;

namespace {

WriteResult Result(ObjectKind kind, absl::string_view project, absl::string_view name,
                   Effect effect, int64_t old_version, int64_t new_version) {
  return WriteResult{kind,   std::string(project), std::string(name),
                     effect, old_version,          new_version};
}

// The permission check of a write, through the write's own transaction; nothing without auth.
absl::Status Check(const WriteOptions& options, storage::Transaction& tx, absl::string_view project,
                   const Resource& resource, std::initializer_list<Action> actions) {
  if (options.access == nullptr) return absl::OkStatus();
  return options.access->RequireIn(tx, project, resource, actions);
}

// A stored row of view kind `kind` as the permission resource Feast would see.
absl::StatusOr<Resource> StoredViewResource(ObjectKind kind, const ObjectRow& row) {
  absl::StatusOr<Resource> resource = absl::InternalError("not a feature-view kind");
  VisitKind(kind, [&]<typename Message>() {
    absl::StatusOr<Message> view = Decode<Message>(row);
    resource = view.ok() ? absl::StatusOr<Resource>(ResourceOf(*view))
                         : absl::StatusOr<Resource>(view.status());
  });
  return resource;
}

// The features of the stored view `name` of any kind (Feast's prepare_for_apply looks them up
// in FeatureView, OnDemandFeatureView, StreamFeatureView, LabelView order).
absl::StatusOr<google::protobuf::RepeatedPtrField<feast::core::FeatureSpecV2>> StoredFeatures(
    storage::Transaction& tx, absl::string_view project, absl::string_view name) {
  for (ObjectKind kind : internal::kAnyViewOrder) {
    absl::StatusOr<std::optional<ObjectRow>> row = tx.GetObject(kind, project, name);
    if (!row.ok()) return row.status();
    if (!row->has_value()) continue;
    absl::StatusOr<google::protobuf::RepeatedPtrField<feast::core::FeatureSpecV2>> features =
        absl::InternalError("not a feature-view kind");
    VisitKind(kind, [&]<typename Message>() {
      if constexpr (kIsViewKind<Message>) {
        absl::StatusOr<Message> view = Decode<Message>(**row);
        if (view.ok()) {
          features = view->spec().features();
        } else {
          features = view.status();
        }
      }
    });
    return features;
  }
  return FeastObjectNotFound(
      absl::StrCat("Feature view '", name, "' not found in project '", project, "'"));
}

// preserve_meta: the client's timestamps stand; one it left unset is the stored object's (when
// there is one), else now.
template <typename Traits>
void KeepClientTimestamps(typename Traits::Message& object, const typename Traits::Message* stored,
                          const google::protobuf::Timestamp& now) {
  if constexpr (Traits::kHasTimestamps) {
    const google::protobuf::Timestamp* created = Traits::Created(object);
    const google::protobuf::Timestamp* updated = Traits::LastUpdated(object);
    if (created != nullptr && updated != nullptr) return;
    const google::protobuf::Timestamp* stored_created =
        stored != nullptr ? Traits::Created(*stored) : nullptr;
    const google::protobuf::Timestamp* stored_updated =
        stored != nullptr ? Traits::LastUpdated(*stored) : nullptr;
    const google::protobuf::Timestamp c =
        created != nullptr ? *created : (stored_created != nullptr ? *stored_created : now);
    const google::protobuf::Timestamp u =
        updated != nullptr ? *updated : (stored_updated != nullptr ? *stored_updated : now);
    Traits::SetTimestamps(object, c, u);
  }
}

}  // namespace

absl::string_view EffectName(Effect effect) {
  constexpr absl::string_view kNames[] = {"created", "updated", "unchanged", "deleted"};
  return kNames[static_cast<size_t>(effect)];
}

template <typename Message>
absl::StatusOr<Message> RegistryWrite::PrepareFeatureService(absl::string_view project,
                                                             const Message& object) {
  if constexpr (!std::is_same_v<Message, feast::core::FeatureService>) {
    return object;
  } else {
    bool ready = true;
    for (const auto& projection : object.spec().features()) {
      if (projection.feature_columns_size() == 0) ready = false;
      for (const auto& column : projection.feature_columns()) ready &= column.value_type() != 0;
    }
    if (ready) return object;
    // Fill the projections from the stored views, read in this transaction.
    feast::core::FeatureService prepared = object;
    for (auto& projection : *prepared.mutable_spec()->mutable_features()) {
      auto features = StoredFeatures(tx_, project, projection.feature_view_name());
      if (!features.ok()) return features.status();
      if (projection.feature_columns_size() == 0) {
        *projection.mutable_feature_columns() = *std::move(features);
        continue;
      }
      google::protobuf::RepeatedPtrField<feast::core::FeatureSpecV2> resolved;
      for (const auto& wanted : projection.feature_columns()) {
        for (const auto& feature : *features) {
          if (feature.name() == wanted.name()) *resolved.Add() = feature;
        }
      }
      *projection.mutable_feature_columns() = std::move(resolved);
    }
    return prepared;
  }
}

template <typename Message>
absl::StatusOr<WriteResult> RegistryWrite::Apply(absl::string_view project,
                                                 const Message& incoming) {
  using Traits = ObjectTraits<Message>;
  constexpr ObjectKind kind = Traits::kKind;
  constexpr bool kIsView = storage::IsFeatureViewKind(kind);
  const std::string name = Traits::Name(incoming);
  const std::string key_project = kind == ObjectKind::kProject ? name : std::string(project);
  if (absl::Status s = internal::ValidateNames(kind, key_project, name); !s.ok()) return s;
  if constexpr (kIsView) {
    if (absl::Status s = internal::ValidateViewName(name); !s.ok()) return s;
  }
  std::optional<int32_t> pinned;  // the version a versioned kind is pinned to, if any
  if constexpr (Traits::kVersioned) {
    absl::StatusOr<std::optional<int32_t>> parsed =
        internal::ParseVersion(Traits::PinnedVersion(incoming));
    if (!parsed.ok()) return parsed.status();
    pinned = *parsed;
  }
  std::string new_type(internal::ViewTypeName(kind));
  if constexpr (kind == ObjectKind::kFeatureView) {
    if (incoming.spec().has_feature_transformation()) new_type = "BatchFeatureView";
  }

  // Creating a view takes the project row exclusively (decided up front: upgrading a shared lock
  // later would deadlock two creators), so two creators of one name in different view kinds
  // cannot both pass the uniqueness check. Whether it is a creation is peeked without a lock; the
  // locked read below confirms it.
  Lock project_lock = Lock::kShared;
  if constexpr (kIsView) {
    absl::StatusOr<std::optional<ObjectRow>> peek = tx_.GetObject(kind, key_project, name);
    if (!peek.ok()) return peek.status();
    if (!peek->has_value()) project_lock = Lock::kForUpdate;
  }
  if constexpr (kind != ObjectKind::kProject) {
    if (absl::Status s = context_.EnsureProject(key_project, project_lock); !s.ok()) return s;
  } else {
    if (absl::Status s = context_.EnsureProjectUuid(key_project); !s.ok()) return s;
  }
  absl::StatusOr<std::optional<ObjectRow>> existing =
      tx_.GetObject(kind, key_project, name, Lock::kForUpdate);
  if (!existing.ok()) return existing.status();
  const bool object_existed = existing->has_value();

  const bool preserve = options_.preserve_meta;
  absl::StatusOr<Message> prepared =
      preserve ? absl::StatusOr<Message>(incoming) : PrepareFeatureService(key_project, incoming);
  if (!prepared.ok()) return prepared.status();
  Message object = *std::move(prepared);
  Traits::SetProject(object, key_project);

  // Feast's create-or-update check: DESCRIBE+UPDATE on an existing object, CREATE on a new one.
  // Projects are judged by their own project's permissions.
  {
    const Resource resource = ResourceOf(object);
    absl::Status allowed =
        object_existed ? Check(options_, tx_, key_project, resource,
                               {PermissionSpec::DESCRIBE, PermissionSpec::UPDATE})
                       : Check(options_, tx_, key_project, resource, {PermissionSpec::CREATE});
    if (!allowed.ok()) return allowed;
  }

  std::optional<Message> stored;
  if (existing->has_value()) {
    absl::StatusOr<Message> decoded = Decode<Message>(**existing);
    if (!decoded.ok()) return decoded.status();
    stored = *std::move(decoded);
  }
  // A pinned apply decides here which definition is upserted (possibly a restored version).
  [[maybe_unused]] internal::VersionPlan versions;
  if constexpr (Traits::kVersioned) {
    if (preserve) pinned.reset();  // the client's version number stands
    absl::StatusOr<internal::VersionPlan> plan = internal::PrepareVersion(
        tx_, key_project, pinned, stored.has_value() ? &*stored : nullptr, object);
    if (!plan.ok()) return plan.status();
    versions = *plan;
  }

  ObjectRow row{key_project, name, {}, context_.now_seconds(), 1};
  ChangeOp op = ChangeOp::kCreate;
  if (stored.has_value()) {
    const int64_t old_version = (*existing)->version;
    if (preserve) {
      KeepClientTimestamps<Traits>(object, &*stored, context_.now_proto());
      if (DeterministicBytes(*stored) == DeterministicBytes(object)) {
        return Result(kind, key_project, name, Effect::kUnchanged, old_version, old_version);
      }
    } else {
      Traits::InheritFromStored(object, *stored);
      if (Traits::SameContent(*stored, object)) {
        return Result(kind, key_project, name, Effect::kUnchanged, old_version, old_version);
      }
      // Server-owned timestamps: creation time survives updates, whatever the client sent.
      const google::protobuf::Timestamp* created = Traits::Created(*stored);
      Traits::SetTimestamps(object, created != nullptr ? *created : context_.now_proto(),
                            context_.now_proto());
    }
    if constexpr (Traits::kVersioned) {
      if (preserve) versions.restored = true;  // records nothing
      absl::Status s =
          internal::RecordVersion(tx_, context_, key_project, versions, &*stored, object);
      if (!s.ok()) return s;
    }
    row.version = old_version + 1;
    op = ChangeOp::kUpdate;
    row.proto = object.SerializeAsString();
    if (absl::Status s = tx_.UpdateObject(kind, row); !s.ok()) return s;
  } else {
    if constexpr (kIsView) {
      // The view appeared after the peek: redo the write, which then locks for an update.
      if (project_lock != Lock::kForUpdate) {
        return absl::AbortedError("feature view deleted concurrently; retrying");
      }
      absl::Status unique = internal::CheckViewNameUnique(tx_, kind, key_project, name, new_type);
      if (!unique.ok()) return unique;
    }
    if (preserve) {
      KeepClientTimestamps<Traits>(object, nullptr, context_.now_proto());
    } else {
      Traits::SetTimestamps(object, context_.now_proto(), context_.now_proto());
    }
    if constexpr (Traits::kVersioned) {
      if (preserve) versions.restored = true;  // records nothing
      absl::Status s =
          internal::RecordVersion<Message>(tx_, context_, key_project, versions, nullptr, object);
      if (!s.ok()) return s;
    }
    row.proto = object.SerializeAsString();
    absl::Status inserted = tx_.InsertObject(kind, row);
    // Another writer created it between our read and insert: redo the whole write, which will
    // then find the row and apply as an update. Never silently dropped.
    if (absl::IsAlreadyExists(inserted)) {
      return absl::AbortedError("object created concurrently; retrying");
    }
    if (!inserted.ok()) return inserted;
  }
  const int64_t old_version = stored.has_value() ? (*existing)->version : 0;
  if (absl::Status s =
          context_.Committed(kind, key_project, name, op, row.version, std::move(row.proto));
      !s.ok()) {
    return s;
  }
  return Result(kind, key_project, name,
                op == ChangeOp::kCreate ? Effect::kCreated : Effect::kUpdated, old_version,
                row.version);
}

template <typename Message>
absl::StatusOr<WriteResult> RegistryWrite::Delete(absl::string_view project,
                                                  absl::string_view name) {
  using Traits = ObjectTraits<Message>;
  if (absl::Status s = internal::ValidateName("project name", project); !s.ok()) return s;
  if (absl::Status s = internal::ValidateName("name", name); !s.ok()) return s;
  absl::StatusOr<std::optional<ObjectRow>> existing =
      tx_.GetObject(Traits::kKind, project, name, Lock::kForUpdate);
  if (!existing.ok()) return existing.status();
  if (!existing->has_value()) return Traits::NotFound(name, project);
  if (options_.access != nullptr) {
    absl::StatusOr<Message> stored = Decode<Message>(**existing);
    if (!stored.ok()) return stored.status();
    absl::Status allowed =
        Check(options_, tx_, project, ResourceOf(*stored), {PermissionSpec::DELETE});
    if (!allowed.ok()) return allowed;
  }
  absl::StatusOr<bool> deleted = tx_.DeleteObject(Traits::kKind, project, name);
  if (!deleted.ok()) return deleted.status();
  const int64_t old_version = (*existing)->version;
  if (absl::Status s =
          context_.Committed(Traits::kKind, project, name, ChangeOp::kDelete, old_version + 1, {});
      !s.ok()) {
    return s;
  }
  return Result(Traits::kKind, project, name, Effect::kDeleted, old_version, 0);
}

absl::StatusOr<WriteResult> RegistryWrite::DeleteFeatureView(absl::string_view project,
                                                             absl::string_view name) {
  if (absl::Status s = internal::ValidateName("project name", project); !s.ok()) return s;
  if (absl::Status s = internal::ValidateName("feature view name", name); !s.ok()) return s;
  for (ObjectKind kind : internal::kAnyViewOrder) {
    absl::StatusOr<std::optional<ObjectRow>> existing =
        tx_.GetObject(kind, project, name, Lock::kForUpdate);
    if (!existing.ok()) return existing.status();
    if (!existing->has_value()) continue;
    if (options_.access != nullptr) {
      absl::StatusOr<Resource> resource = StoredViewResource(kind, **existing);
      if (!resource.ok()) return resource.status();
      absl::Status allowed = Check(options_, tx_, project, *resource, {PermissionSpec::DELETE});
      if (!allowed.ok()) return allowed;
    }
    absl::StatusOr<bool> deleted = tx_.DeleteObject(kind, project, name);
    if (!deleted.ok()) return deleted.status();
    if (absl::Status s = tx_.DeleteVersions(project, name); !s.ok()) return s;
    const int64_t old_version = (*existing)->version;
    if (absl::Status s =
            context_.Committed(kind, project, name, ChangeOp::kDelete, old_version + 1, {});
        !s.ok()) {
      return s;
    }
    return Result(kind, project, name, Effect::kDeleted, old_version, 0);
  }
  return FeatureViewNotFound(name, project);
}

absl::StatusOr<WriteResult> RegistryWrite::DeleteProject(absl::string_view name) {
  if (absl::Status s = internal::ValidateName("project name", name); !s.ok()) return s;
  absl::StatusOr<std::optional<ObjectRow>> existing =
      tx_.GetObject(ObjectKind::kProject, name, name, Lock::kForUpdate);
  if (!existing.ok()) return existing.status();
  if (!existing->has_value()) return ProjectNotFound(name);
  if (options_.access != nullptr) {
    absl::StatusOr<feast::core::Project> stored = Decode<feast::core::Project>(**existing);
    if (!stored.ok()) return stored.status();
    // DeleteProjectRequest names no project to take permissions from: the default project's.
    absl::Status allowed = Check(options_, tx_, "", ResourceOf(*stored), {PermissionSpec::DELETE});
    if (!allowed.ok()) return allowed;
  }
  absl::StatusOr<bool> deleted = tx_.DeleteProjectCascade(name);
  if (!deleted.ok()) return deleted.status();
  const int64_t old_version = (*existing)->version;
  if (absl::Status s = context_.Committed(ObjectKind::kProject, name, name, ChangeOp::kDelete,
                                          old_version + 1, {});
      !s.ok()) {
    return s;
  }
  return Result(ObjectKind::kProject, name, name, Effect::kDeleted, old_version, 0);
}

namespace {

// What Feast's apply_materialization does to the view: the interval appended, the view marked
// AVAILABLE_ONLINE and stamped.
void AppendInterval(feast::core::FeatureView& view, const google::protobuf::Timestamp& start,
                    const google::protobuf::Timestamp& end,
                    const google::protobuf::Timestamp& now) {
  feast::core::MaterializationInterval* interval =
      view.mutable_meta()->add_materialization_intervals();
  *interval->mutable_start_time() = start;
  *interval->mutable_end_time() = end;
  view.mutable_meta()->set_state(feast::core::AVAILABLE_ONLINE);
  *view.mutable_meta()->mutable_last_updated_timestamp() = now;
}

// A plain feature view read under its row lock, which makes read-append-write atomic against
// every other writer of the view (on every replica).
struct LockedView {
  feast::core::FeatureView view;
  int64_t version = 0;
};
absl::StatusOr<LockedView> LockViewForAppend(storage::Transaction& tx, absl::string_view project,
                                             absl::string_view view_name) {
  if (absl::Status s = internal::ValidateNames(ObjectKind::kFeatureView, project, view_name);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::optional<ObjectRow>> existing =
      tx.GetObject(ObjectKind::kFeatureView, project, view_name, Lock::kForUpdate);
  if (!existing.ok()) return existing.status();
  if (!existing->has_value()) return FeatureViewNotFound(view_name, project);
  absl::StatusOr<feast::core::FeatureView> view = Decode<feast::core::FeatureView>(**existing);
  if (!view.ok()) return view.status();
  return LockedView{*std::move(view), (*existing)->version};
}

}  // namespace

absl::StatusOr<WriteResult> RegistryWrite::ApplyMaterialization(
    absl::string_view project, absl::string_view view_name,
    const google::protobuf::Timestamp& start, const google::protobuf::Timestamp& end) {
  absl::StatusOr<LockedView> locked = LockViewForAppend(tx_, project, view_name);
  if (!locked.ok()) return locked.status();
  const int64_t old_version = locked->version;
  feast::core::FeatureView* view = &locked->view;
  if (absl::Status allowed =
          Check(options_, tx_, project, ResourceOf(*view), {PermissionSpec::WRITE_ONLINE});
      !allowed.ok()) {
    return allowed;
  }
  AppendInterval(*view, start, end, context_.now_proto());
  ObjectRow row{std::string(project), std::string(view_name), view->SerializeAsString(),
                context_.now_seconds(), old_version + 1};
  if (absl::Status s = tx_.UpdateObject(ObjectKind::kFeatureView, row); !s.ok()) return s;
  if (absl::Status s = context_.Committed(ObjectKind::kFeatureView, project, view_name,
                                          ChangeOp::kUpdate, row.version, std::move(row.proto));
      !s.ok()) {
    return s;
  }
  return Result(ObjectKind::kFeatureView, project, view_name, Effect::kUpdated, old_version,
                old_version + 1);
}

namespace {

// A hook's answer that belongs to its caller alone, rather than to the group's transaction.
bool CallersOwn(const absl::Status& status) {
  return absl::IsInvalidArgument(status) || absl::IsNotFound(status) ||
         absl::IsFailedPrecondition(status) || absl::IsPermissionDenied(status);
}

}  // namespace

absl::Status RegistryWrite::ApplyMaterializations(absl::string_view project,
                                                  absl::string_view view_name,
                                                  absl::Span<IntervalAppend> appends) {
  // Callers' checks first: the rows they lock come before the view in the lock order.
  std::vector<bool> appending(appends.size(), true);
  bool any = false;
  for (size_t i = 0; i < appends.size(); ++i) {
    IntervalAppend& append = appends[i];
    append.result = absl::OkStatus();  // Store::Run may run this body again
    if (append.hooks == nullptr || !append.hooks->check) {
      any = true;
      continue;
    }
    absl::StatusOr<bool> go = append.hooks->check(*this);
    if (!go.ok() && !CallersOwn(go.status())) return go.status();
    if (!go.ok()) append.result = go.status();
    appending[i] = go.ok() && *go;
    any = any || appending[i];
  }
  if (!any) return absl::OkStatus();
  absl::StatusOr<LockedView> locked = LockViewForAppend(tx_, project, view_name);
  if (!locked.ok()) return locked.status();
  feast::core::FeatureView* view = &locked->view;
  const google::protobuf::Timestamp now = context_.now_proto();
  const WriteOptions* last = nullptr;               // the last caller whose interval was appended
  absl::flat_hash_set<absl::string_view> requests;  // request ids seen earlier in the group
  for (size_t i = 0; i < appends.size(); ++i) {
    IntervalAppend& append = appends[i];
    if (!appending[i]) continue;
    appending[i] = false;  // until its interval is appended below
    const WriteOptions& options = *append.options;
    if (!options.request_id.empty()) {
      if (!requests.insert(options.request_id).second) continue;  // the same call, retried
      absl::StatusOr<bool> done = tx_.RequestCommitted(options.request_id);
      if (!done.ok()) return done.status();
      if (*done) continue;  // a retry whose first attempt committed
    }
    if (absl::Status allowed =
            Check(options, tx_, project, ResourceOf(*view), {PermissionSpec::WRITE_ONLINE});
        !allowed.ok()) {
      append.result = allowed;
      continue;
    }
    AppendInterval(*view, append.start, append.end, now);
    appending[i] = true;
    // Every appended caller but the last is remembered by request id only; the last one's
    // id goes on the group's change-log entry.
    if (last != nullptr && !last->request_id.empty()) {
      tx_.RecordRequest(last->request_id, absl::ToUnixMicros(context_.now()));
    }
    last = &options;
  }
  if (last == nullptr) return absl::OkStatus();  // nothing appended
  const int64_t version = locked->version + 1;
  ObjectRow row{std::string(project), std::string(view_name), view->SerializeAsString(),
                context_.now_seconds(), version};
  if (absl::Status s = tx_.UpdateObject(ObjectKind::kFeatureView, row); !s.ok()) return s;
  if (absl::Status s = WriteContext(tx_, context_.now(), *last)
                           .Committed(ObjectKind::kFeatureView, project, view_name,
                                      ChangeOp::kUpdate, version, std::move(row.proto));
      !s.ok()) {
    return s;
  }
  for (size_t i = 0; i < appends.size(); ++i) {
    const IntervalAppend& append = appends[i];
    if (!appending[i] || append.hooks == nullptr || !append.hooks->then) continue;
    if (absl::Status s = append.hooks->then(*this); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<WriteResult> RegistryWrite::UpdateInfra(absl::string_view project,
                                                       const feast::core::Infra& infra) {
  if (absl::Status s =
          internal::ValidateNames(ObjectKind::kInfra, project, internal::kInfraRowName);
      !s.ok()) {
    return s;
  }
  if (options_.access != nullptr) {
    // Create-or-update on the project, judged before the project is auto-created.
    absl::StatusOr<std::optional<ObjectRow>> stored =
        tx_.GetObject(ObjectKind::kProject, project, project);
    if (!stored.ok()) return stored.status();
    feast::core::Project named;
    named.mutable_spec()->set_name(std::string(project));
    absl::Status allowed =
        stored->has_value()
            ? Check(options_, tx_, project, ResourceOf(named),
                    {PermissionSpec::DESCRIBE, PermissionSpec::UPDATE})
            : Check(options_, tx_, project, ResourceOf(named), {PermissionSpec::CREATE});
    if (!allowed.ok()) return allowed;
  }
  const std::string bytes = infra.SerializeAsString();
  if (absl::Status s = context_.EnsureProject(project); !s.ok()) return s;
  absl::StatusOr<std::optional<ObjectRow>> existing =
      tx_.GetObject(ObjectKind::kInfra, project, internal::kInfraRowName, Lock::kForUpdate);
  if (!existing.ok()) return existing.status();
  ObjectRow row{std::string(project), std::string(internal::kInfraRowName), bytes,
                context_.now_seconds(), 1};
  int64_t old_version = 0;
  if (existing->has_value()) {
    old_version = (*existing)->version;
    // `feast apply` sends the same infra on every run: identical bytes change nothing.
    if ((*existing)->proto == bytes) {
      return Result(ObjectKind::kInfra, project, internal::kInfraRowName, Effect::kUnchanged,
                    old_version, old_version);
    }
    row.version = old_version + 1;
    if (absl::Status s = tx_.UpdateObject(ObjectKind::kInfra, row); !s.ok()) return s;
  } else {
    absl::Status inserted = tx_.InsertObject(ObjectKind::kInfra, row);
    if (absl::IsAlreadyExists(inserted)) return absl::AbortedError("infra created concurrently");
    if (!inserted.ok()) return inserted;
  }
  if (absl::Status s = context_.Committed(ObjectKind::kInfra, project, internal::kInfraRowName,
                                          row.version == 1 ? ChangeOp::kCreate : ChangeOp::kUpdate,
                                          row.version, bytes);
      !s.ok()) {
    return s;
  }
  return Result(ObjectKind::kInfra, project, internal::kInfraRowName,
                old_version == 0 ? Effect::kCreated : Effect::kUpdated, old_version, row.version);
}

// The generic methods, instantiated for every kind (see registry.cc).
template <typename... Messages>
constexpr auto WriteMethodsOf(KindList<Messages...>) {
  return std::make_tuple(&RegistryWrite::Apply<Messages>..., &RegistryWrite::Delete<Messages>...);
}
[[gnu::used]] const auto kWriteMethods = WriteMethodsOf(AllKinds{});

}  // namespace larder::registry
