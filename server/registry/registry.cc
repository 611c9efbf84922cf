#include "server/registry/registry.h"

#include <optional>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/registry/feast_errors.h"
#include "server/registry/kinds.h"
#include "server/registry/permission_matcher.h"
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

std::string ProjectFieldBytes(ObjectKind kind, absl::string_view project) {
  std::string bytes;
  VisitKind(kind, [&]<typename Message>() {
    if constexpr (ObjectTraits<Message>::kKind != ObjectKind::kProject) {
      Message message;
      ObjectTraits<Message>::SetProject(message, project);
      bytes = message.SerializeAsString();
    }
  });
  return bytes;
}

absl::string_view ViewTypeName(ObjectKind kind) {
  // The Python class of the kind is the name Feast's permissions know it by.
  absl::string_view name = "FeatureView";
  VisitKind(kind, [&]<typename Message>() {
    if constexpr (kIsViewKind<Message>) name = TypeName(ObjectTraits<Message>::kPermissionType);
  });
  return name;
}

absl::Status ValidateViewName(absl::string_view name) {
  if (name.find_first_of("@:") != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("feature view name '", name,
                     "' must not contain '@' or ':' (they separate versions "
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
                             absl::FunctionRef<absl::Status(RegistryWrite&)> body) {
  const absl::Time now = Now();  // one server time for every attempt
  absl::Status status = store_.Run(TxMode::kReadWrite, [&](Transaction& tx) -> absl::Status {
    if (!options.request_id.empty()) {
      // A retry of a request that already committed (its reply was lost): done already.
      absl::StatusOr<bool> done = tx.RequestCommitted(options.request_id);
      if (!done.ok()) return done.status();
      if (*done) return absl::OkStatus();
    }
    RegistryWrite write(tx, now, options);
    return body(write);
  });
  // Even a failed write may have committed before its connection broke; noting it makes the
  // next cached read catch up first (one change-log query).
  cache_.NoteLocalWrite();
  if (local_write_observer_) local_write_observer_();
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
absl::Status Registry::Apply(absl::string_view project, const Message& object,
                             const WriteOptions& options) {
  return Write(options,
               [&](RegistryWrite& write) { return write.Apply(project, object).status(); });
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
absl::StatusOr<StoredObject> Registry::GetStored(absl::string_view project, absl::string_view name,
                                                 bool allow_cache) {
  absl::StatusOr<RowRef> row = ExistingRow<Message>(project, name, allow_cache);
  if (!row.ok()) return row.status();
  StoredObject stored;
  stored.project_field = internal::ProjectFieldBytes(ObjectTraits<Message>::kKind, (*row)->project);
  stored.row = *std::move(row);
  return stored;
}

template <typename Message>
absl::StatusOr<StoredPage> Registry::ListStored(absl::string_view project,
                                                const feast::registry::PaginationParams& pagination,
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
  return Write(options,
               [&](RegistryWrite& write) { return write.Delete<Message>(project, name).status(); });
}

// The generic methods, instantiated for every kind: a kept table of their addresses makes the
// compiler emit each one here.
template <typename... Messages>
constexpr auto RegistryMethodsOf(KindList<Messages...>) {
  return std::make_tuple(&Registry::Apply<Messages>..., &Registry::Get<Messages>...,
                         &Registry::GetStored<Messages>..., &Registry::ListStored<Messages>...,
                         &Registry::List<Messages>..., &Registry::Delete<Messages>...);
}
[[gnu::used]] const auto kRegistryMethods = RegistryMethodsOf(AllKinds{});

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
  return List<feast::core::Project>("", options, allow_cache, [&](const feast::core::Project& p) {
    // Feast filters by permission before hiding.
    if (keep && !keep(p)) return false;
    auto it = p.spec().tags().find(std::string(kProtectedProjectTag));
    return it == p.spec().tags().end() || it->second != "true";
  });
}

absl::Status Registry::DeleteProject(absl::string_view name, const WriteOptions& options) {
  return Write(options, [&](RegistryWrite& write) { return write.DeleteProject(name).status(); });
}

}  // namespace larder::registry
