#include "server/registry/registry.h"

#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/registry/feast_errors.h"
#include "server/registry/registry_internal.h"

namespace larder::registry {
namespace internal {

using storage::ObjectKind;

absl::Status ValidateName(absl::string_view what, absl::string_view name) {
  constexpr size_t kMaxCharacters = 255;
  size_t characters = 0;
  for (unsigned char c : name) characters += (c & 0xc0) != 0x80;  // count UTF-8 lead bytes
  if (characters > kMaxCharacters) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is longer than ", kMaxCharacters, " characters"));
  }
  if (name.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(what, " contains a NUL character"));
  }
  if (!name.empty() && (absl::ascii_isspace(name.front()) || absl::ascii_isspace(name.back()))) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " '", name, "' starts or ends with whitespace"));
  }
  return absl::OkStatus();
}

absl::Status ValidateNames(ObjectKind kind, absl::string_view project, absl::string_view name) {
  if (name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(storage::TableOf(kind).kind_name, " has no name"));
  }
  if (kind != ObjectKind::kProject && project.empty()) {
    return absl::InvalidArgumentError("request has no project");
  }
  if (absl::Status s = ValidateName("project name", project); !s.ok()) return s;
  return ValidateName(absl::StrCat(storage::TableOf(kind).kind_name, " name"), name);
}

namespace {
template <typename Message>
std::string ProjectFieldBytesOf(absl::string_view project) {
  Message message;
  ObjectTraits<Message>::SetProject(message, project);
  return message.SerializeAsString();
}
}  // namespace

std::string ProjectFieldBytes(ObjectKind kind, absl::string_view project) {
  namespace core = feast::core;
  switch (kind) {
    case ObjectKind::kEntity: return ProjectFieldBytesOf<core::Entity>(project);
    case ObjectKind::kDataSource: return ProjectFieldBytesOf<core::DataSource>(project);
    case ObjectKind::kFeatureView: return ProjectFieldBytesOf<core::FeatureView>(project);
    case ObjectKind::kStreamFeatureView: return ProjectFieldBytesOf<core::StreamFeatureView>(project);
    case ObjectKind::kOnDemandFeatureView:
      return ProjectFieldBytesOf<core::OnDemandFeatureView>(project);
    case ObjectKind::kLabelView: return ProjectFieldBytesOf<core::LabelView>(project);
    case ObjectKind::kFeatureService: return ProjectFieldBytesOf<core::FeatureService>(project);
    case ObjectKind::kSavedDataset: return ProjectFieldBytesOf<core::SavedDataset>(project);
    case ObjectKind::kValidationReference:
      return ProjectFieldBytesOf<core::ValidationReference>(project);
    case ObjectKind::kPermission: return ProjectFieldBytesOf<core::Permission>(project);
    case ObjectKind::kProject:
    case ObjectKind::kInfra: return std::string();
  }
  return std::string();
}

absl::string_view ViewTypeName(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kStreamFeatureView:
      return "StreamFeatureView";
    case ObjectKind::kOnDemandFeatureView:
      return "OnDemandFeatureView";
    case ObjectKind::kLabelView:
      return "LabelView";
    default:
      return "FeatureView";
  }
}

absl::Status ValidateViewName(absl::string_view name) {
  if (name.find_first_of("@:") != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "feature view name '", name, "' must not contain '@' or ':' (they separate versions "
        "and features in feature references)"));
  }
  return absl::OkStatus();
}

absl::Status CheckViewNameUnique(storage::Transaction& tx, ObjectKind kind,
                                 absl::string_view project, absl::string_view name,
                                 absl::string_view new_type) {
  for (ObjectKind other : {ObjectKind::kFeatureView, ObjectKind::kStreamFeatureView,
                           ObjectKind::kOnDemandFeatureView, ObjectKind::kLabelView}) {
    if (other == kind) continue;
    absl::StatusOr<std::optional<storage::ObjectRow>> row = tx.GetObject(other, project, name);
    if (!row.ok()) return row.status();
    if (row->has_value()) return ConflictingFeatureViewNames(name, ViewTypeName(other), new_type);
  }
  return absl::OkStatus();
}

}  // namespace internal

using internal::Decode;
using storage::ChangeOp;
using storage::Lock;
using storage::ObjectKind;
using storage::ObjectRow;
using storage::Transaction;
using storage::TxMode;

namespace {
constexpr absl::string_view kProtectedProjectTag = "feast.dev/protected-project";
}  // namespace

Registry::Registry(storage::Store& store, Clock& clock, absl::Duration full_reload_every)
    : store_(store), clock_(clock), cache_(store, full_reload_every) {}

absl::Time Registry::Now() { return TruncateToMicros(clock_.Now()); }

absl::Status Registry::Write(const WriteOptions& options,
                             absl::FunctionRef<absl::Status(Transaction&)> body) {
  absl::Status status = store_.Run(TxMode::kReadWrite, [&](Transaction& tx) -> absl::Status {
    if (!options.request_id.empty()) {
      // A retry of a request that already committed (its reply was lost): done already.
      absl::StatusOr<bool> done = tx.RequestCommitted(options.request_id);
      if (!done.ok()) return done.status();
      if (*done) return absl::OkStatus();
    }
    return body(tx);
  });
  // Even a failed write may have committed before its connection broke; noting it makes the
  // next cached read catch up first (one change-log query).
  cache_.NoteLocalWrite();
  return status;
}

absl::StatusOr<RowList> Registry::Rows(ObjectKind kind, absl::string_view project,
                                       bool allow_cache) {
  if (absl::Status s = internal::ValidateName("project name", project); !s.ok()) return s;
  if (allow_cache) {
    absl::StatusOr<std::shared_ptr<const Snapshot>> snapshot = cache_.Current(Now());
    if (!snapshot.ok()) return snapshot.status();
    return (*snapshot)->Rows(kind, project);
  }
  RowList rows;
  absl::Status status = store_.Run(TxMode::kReadOnly, [&](Transaction& tx) -> absl::Status {
    absl::StatusOr<std::vector<ObjectRow>> listed = tx.ListObjects(kind, project);
    if (!listed.ok()) return listed.status();
    rows.clear();
    rows.reserve(listed->size());
    for (ObjectRow& row : *listed) rows.push_back(std::make_shared<ObjectRow>(std::move(row)));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return rows;
}

absl::StatusOr<RowRef> Registry::Row(ObjectKind kind, absl::string_view project,
                                     absl::string_view name, bool allow_cache) {
  if (absl::Status s = internal::ValidateName("project name", project); !s.ok()) return s;
  if (absl::Status s = internal::ValidateName("name", name); !s.ok()) return s;
  if (allow_cache) {
    absl::StatusOr<std::shared_ptr<const Snapshot>> snapshot = cache_.Current(Now());
    if (!snapshot.ok()) return snapshot.status();
    return (*snapshot)->Find(kind, project, name);
  }
  RowRef row;
  absl::Status status = store_.Run(TxMode::kReadOnly, [&](Transaction& tx) -> absl::Status {
    absl::StatusOr<std::optional<ObjectRow>> got = tx.GetObject(kind, project, name);
    if (!got.ok()) return got.status();
    row = got->has_value() ? std::make_shared<ObjectRow>(**std::move(got)) : nullptr;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return row;
}

template <typename Message>
absl::Status Registry::Apply(absl::string_view project, const Message& incoming,
                             const WriteOptions& options) {
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
  const absl::Time now = Now();

  int attempt = 0;
  return Write(options, [&](Transaction& tx) -> absl::Status {
    ++attempt;
    WriteContext write(tx, now, options);
    Message object = incoming;  // fresh per attempt: the body may be retried
    Traits::SetProject(object, key_project);
    // Creating a view takes the project row exclusively (decided up front: upgrading a shared
    // lock later would deadlock two creators), so two creators of one name in different view
    // kinds cannot both pass the uniqueness check.
    storage::Lock project_lock = storage::Lock::kShared;
    if constexpr (kIsView) {
      // Whether the view exists: on the first attempt the in-memory snapshot's word is enough
      // when it says "yes" (the usual re-apply), which saves a database round trip; the locked
      // read below checks it, and a view deleted meanwhile makes the write retry with a peek.
      std::shared_ptr<const Snapshot> hint = attempt == 1 ? cache_.Latest() : nullptr;
      if (hint == nullptr || hint->Find(kind, key_project, name) == nullptr) {
        absl::StatusOr<std::optional<ObjectRow>> peek = tx.GetObject(kind, key_project, name);
        if (!peek.ok()) return peek.status();
        if (!peek->has_value()) project_lock = Lock::kForUpdate;
      }
    }
    if constexpr (kind != ObjectKind::kProject) {
      if (absl::Status s = write.EnsureProject(key_project, project_lock); !s.ok()) return s;
    } else {
      if (absl::Status s = write.EnsureProjectUuid(key_project); !s.ok()) return s;
    }
    absl::StatusOr<std::optional<ObjectRow>> existing =
        tx.GetObject(kind, key_project, name, Lock::kForUpdate);
    if (!existing.ok()) return existing.status();

    std::optional<Message> stored;
    if (existing->has_value()) {
      absl::StatusOr<Message> decoded = Decode<Message>(**existing);
      if (!decoded.ok()) return decoded.status();
      stored = *std::move(decoded);
    }
    // A pinned apply decides here which definition is upserted (possibly a restored version).
    [[maybe_unused]] internal::VersionPlan versions;
    if constexpr (Traits::kVersioned) {
      absl::StatusOr<internal::VersionPlan> plan = internal::PrepareVersion(
          tx, key_project, pinned, stored.has_value() ? &*stored : nullptr, object);
      if (!plan.ok()) return plan.status();
      versions = *plan;
    }

    ObjectRow row{key_project, name, {}, write.now_seconds(), 1};
    ChangeOp op = ChangeOp::kCreate;
    if (stored.has_value()) {
      Traits::InheritFromStored(object, *stored);
      if (Traits::SameContent(*stored, object)) return absl::OkStatus();  // nothing to write
      // Server-owned timestamps: creation time survives updates, whatever the client sent.
      const google::protobuf::Timestamp* created = Traits::Created(*stored);
      Traits::SetTimestamps(object, created != nullptr ? *created : write.now_proto(),
                            write.now_proto());
      if constexpr (Traits::kVersioned) {
        absl::Status s =
            internal::RecordVersion(tx, write, key_project, versions, &*stored, object);
        if (!s.ok()) return s;
      }
      row.version = (*existing)->version + 1;
      op = ChangeOp::kUpdate;
      row.proto = object.SerializeAsString();
      if (absl::Status s = tx.UpdateObject(kind, row); !s.ok()) return s;
    } else {
      if constexpr (kIsView) {
        // The view vanished after the peek: redo the write, which then locks for a creation.
        if (project_lock != Lock::kForUpdate) {
          return absl::AbortedError("feature view deleted concurrently; retrying");
        }
        absl::Status unique =
            internal::CheckViewNameUnique(tx, kind, key_project, name, new_type);
        if (!unique.ok()) return unique;
      }
      Traits::SetTimestamps(object, write.now_proto(), write.now_proto());
      if constexpr (Traits::kVersioned) {
        absl::Status s =
            internal::RecordVersion<Message>(tx, write, key_project, versions, nullptr, object);
        if (!s.ok()) return s;
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
absl::StatusOr<RowRef> Registry::ExistingRow(absl::string_view project, absl::string_view name,
                                             bool allow_cache) {
  using Traits = ObjectTraits<Message>;
  absl::StatusOr<RowRef> row = Row(Traits::kKind, project, name, allow_cache);
  if (row.ok() && *row == nullptr) return Traits::NotFound(name, project);
  return row;
}

template <typename Message>
absl::StatusOr<Message> Registry::Get(absl::string_view project, absl::string_view name,
                                      bool allow_cache) {
  absl::StatusOr<RowRef> row = ExistingRow<Message>(project, name, allow_cache);
  if (!row.ok()) return row.status();
  return Decode<Message>(**row);
}

template <typename Message>
absl::StatusOr<StoredObject> Registry::GetStored(absl::string_view project,
                                                 absl::string_view name, bool allow_cache) {
  absl::StatusOr<RowRef> row = ExistingRow<Message>(project, name, allow_cache);
  if (!row.ok()) return row.status();
  StoredObject stored;
  stored.project_field = internal::ProjectFieldBytes(ObjectTraits<Message>::kKind, (*row)->project);
  stored.row = *std::move(row);
  return stored;
}

template <typename Message>
absl::StatusOr<StoredPage> Registry::ListStored(
    absl::string_view project, const feast::registry::PaginationParams& pagination,
    bool allow_cache) {
  using Traits = ObjectTraits<Message>;
  absl::StatusOr<RowList> rows = Rows(Traits::kKind, project, allow_cache);
  if (!rows.ok()) return rows.status();
  StoredPage page;
  // Unsorted lists are in name order, which is the rows' order (see SortAndPaginate).
  size_t begin = 0, end = 0;
  page.pagination = Paginate(rows->size(), pagination, begin, end);
  page.rows.assign(rows->begin() + static_cast<ptrdiff_t>(begin),
                   rows->begin() + static_cast<ptrdiff_t>(end));
  page.project_field = internal::ProjectFieldBytes(Traits::kKind, project);
  return page;
}

template <typename Message>
absl::StatusOr<ListPage<Message>> Registry::List(absl::string_view project,
                                                 const ListOptions& options, bool allow_cache,
                                                 const std::function<bool(const Message&)>& keep) {
  using Traits = ObjectTraits<Message>;
  absl::StatusOr<RowList> rows = Rows(Traits::kKind, project, allow_cache);
  if (!rows.ok()) return rows.status();
  std::vector<Message> matching;
  matching.reserve(rows->size());
  for (const RowRef& row : *rows) {
    absl::StatusOr<Message> message = Decode<Message>(*row);
    if (!message.ok()) return message.status();
    if (!HasAllTags(Traits::Tags(*message), options.tags)) continue;
    if (keep && !keep(*message)) continue;
    matching.push_back(*std::move(message));
  }
  return SortAndPaginate(std::move(matching), options);
}

template <typename Message>
absl::Status Registry::Delete(absl::string_view project, absl::string_view name,
                              const WriteOptions& options) {
  using Traits = ObjectTraits<Message>;
  if (absl::Status s = internal::ValidateName("project name", project); !s.ok()) return s;
  if (absl::Status s = internal::ValidateName("name", name); !s.ok()) return s;
  const absl::Time now = Now();
  return Write(options, [&](Transaction& tx) -> absl::Status {
    WriteContext write(tx, now, options);
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

// The kinds the generic methods serve.
#define LARDER_REGISTRY_KIND(Message)                                                         \
  template absl::Status Registry::Apply<Message>(absl::string_view, const Message&,            \
                                                 const WriteOptions&);                         \
  template absl::StatusOr<Message> Registry::Get<Message>(absl::string_view,                  \
                                                          absl::string_view, bool);           \
  template absl::StatusOr<StoredObject> Registry::GetStored<Message>(                          \
      absl::string_view, absl::string_view, bool);                                            \
  template absl::StatusOr<StoredPage> Registry::ListStored<Message>(                          \
      absl::string_view, const feast::registry::PaginationParams&, bool);                     \
  template absl::StatusOr<ListPage<Message>> Registry::List<Message>(                         \
      absl::string_view, const ListOptions&, bool, const std::function<bool(const Message&)>&); \
  template absl::Status Registry::Delete<Message>(absl::string_view, absl::string_view,        \
                                                  const WriteOptions&);
LARDER_REGISTRY_KIND(feast::core::Entity)
LARDER_REGISTRY_KIND(feast::core::DataSource)
LARDER_REGISTRY_KIND(feast::core::FeatureView)
LARDER_REGISTRY_KIND(feast::core::StreamFeatureView)
LARDER_REGISTRY_KIND(feast::core::OnDemandFeatureView)
LARDER_REGISTRY_KIND(feast::core::LabelView)
LARDER_REGISTRY_KIND(feast::core::FeatureService)
LARDER_REGISTRY_KIND(feast::core::SavedDataset)
LARDER_REGISTRY_KIND(feast::core::ValidationReference)
LARDER_REGISTRY_KIND(feast::core::Permission)
#undef LARDER_REGISTRY_KIND

absl::Status Registry::ApplyProject(const feast::core::Project& project,
                                    const WriteOptions& options) {
  return Apply(project.spec().name(), project, options);
}

absl::StatusOr<feast::core::Project> Registry::GetProject(absl::string_view name,
                                                          bool allow_cache) {
  return Get<feast::core::Project>(name, name, allow_cache);
}

absl::StatusOr<ListPage<feast::core::Project>> Registry::ListProjects(
    const ListOptions& options, bool allow_cache,
    const std::function<bool(const feast::core::Project&)>& keep) {
  return List<feast::core::Project>("", options, allow_cache,
                                    [&](const feast::core::Project& p) {
                                      // Feast filters by permission before hiding.
                                      if (keep && !keep(p)) return false;
                                      auto it = p.spec().tags().find(
                                          std::string(kProtectedProjectTag));
                                      return it == p.spec().tags().end() || it->second != "true";
                                    });
}

absl::Status Registry::DeleteProject(absl::string_view name, const WriteOptions& options) {
  if (absl::Status s = internal::ValidateName("project name", name); !s.ok()) return s;
  const absl::Time now = Now();
  return Write(options, [&](Transaction& tx) -> absl::Status {
    WriteContext write(tx, now, options);
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

}  // namespace larder::registry
