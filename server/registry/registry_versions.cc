// Feature-view version history (Feast §5.4) for Registry::Apply: latest applies number a new
// version when the schema changes; pinned applies (spec.version = "vN") restore version N or
// declare it. Both run inside the apply's single write transaction, so the version rows, the active
// row, the change log and the metadata bump commit together.
#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/registry/feast_errors.h"
#include "server/registry/registry_internal.h"

namespace larder::registry::internal {
namespace {

// Inserts one history row; ALREADY_EXISTS when the number is taken.
template <typename Message>
absl::Status InsertSnapshot(storage::Transaction& tx, const WriteContext& write,
                            absl::string_view project, int32_t number, const Message& snapshot) {
  using Traits = ObjectTraits<Message>;
  return tx.InsertVersion(storage::VersionRecord{
      std::string(project), Traits::Name(snapshot), number, std::string(Traits::kVersionType),
      snapshot.SerializeAsString(), write.now_seconds(), "", NewUuid4()});
}

// Whether two definitions are the same view apart from the pin: Feast ignores the version,
// timestamps, version number and materialization intervals, i.e. everything but the spec's other
// fields.
template <typename Message>
bool SameDefinition(const Message& active, const Message& incoming) {
  auto a = active.spec(), b = incoming.spec();
  a.clear_version();
  b.clear_version();
  return DeterministicBytes(a) == DeterministicBytes(b);
}

}  // namespace

absl::StatusOr<std::optional<int32_t>> ParseVersion(absl::string_view version) {
  if (version.empty() || absl::EqualsIgnoreCase(version, "latest")) return std::nullopt;
  absl::string_view digits = version;
  if (absl::StartsWithIgnoreCase(digits, "version")) {  // before "v", its prefix
    digits.remove_prefix(7);
  } else if (absl::StartsWithIgnoreCase(digits, "v")) {
    digits.remove_prefix(1);
  } else {
    digits = absl::string_view();
  }
  int32_t number = 0;
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(digits, &number)) {
    return absl::InvalidArgumentError(
        absl::StrCat("feature view version '", version,
                     "' is not 'latest', 'vN' or 'versionN' (N a non-negative "
                     "32-bit integer)"));
  }
  return number;
}

template <typename Message>
absl::StatusOr<VersionPlan> PrepareVersion(storage::Transaction& tx, absl::string_view project,
                                           std::optional<int32_t> pinned, const Message* stored,
                                           Message& object) {
  using Traits = ObjectTraits<Message>;
  VersionPlan plan{pinned, false};
  if (!pinned.has_value()) return plan;
  const std::string name = Traits::Name(object);
  absl::StatusOr<std::vector<storage::VersionRecord>> history = tx.ListVersions(project, name);
  if (!history.ok()) return history.status();
  auto snapshot = std::find_if(history->begin(), history->end(), [&](const auto& record) {
    return record.version_number == *pinned;
  });
  if (snapshot == history->end()) {  // a forward declaration: RecordVersion saves it
    Traits::SetVersionNumber(object, *pinned);
    return plan;
  }
  // Pinning must not smuggle in a change. With no active view (its project was deleted, which keeps
  // the history) there is nothing it could change.
  if (stored != nullptr && !SameDefinition(*stored, object)) {
    return FeatureViewPinConflict(name, Traits::PinnedVersion(object));
  }
  Message restored;
  if (!restored.ParseFromString(snapshot->proto)) {
    return absl::DataLossError(
        absl::StrCat("version ", *pinned, " of feature view '", name, "' cannot be decoded"));
  }
  restored.mutable_spec()->set_version(Traits::PinnedVersion(object));
  Traits::SetProject(restored, project);
  // The definition comes from the snapshot; what materialization recorded about the active view
  // (intervals, state) still holds, so it stays. Timestamps are set by the upsert.
  if (stored != nullptr) {
    *restored.mutable_meta() = stored->meta();
  } else {
    restored.clear_meta();
  }
  Traits::SetVersionNumber(restored, *pinned);
  object = std::move(restored);
  plan.restored = true;
  return plan;
}

template <typename Message>
absl::Status RecordVersion(storage::Transaction& tx, const WriteContext& write,
                           absl::string_view project, const VersionPlan& plan,
                           const Message* stored, Message& object) {
  using Traits = ObjectTraits<Message>;
  if (plan.restored) return absl::OkStatus();
  if (plan.pinned.has_value()) {
    // PrepareVersion saw no version N in this transaction, so another writer saved it since: the
    // declaration no longer says which definition N is, and only the client can decide.
    absl::Status s = InsertSnapshot(tx, write, project, *plan.pinned, object);
    if (absl::IsAlreadyExists(s)) {
      return ConcurrentVersionConflict(Traits::Name(object), *plan.pinned);
    }
    return s;
  }
  if (stored != nullptr && Traits::SchemaKey(*stored) == Traits::SchemaKey(object)) {
    Traits::SetVersionNumber(object, Traits::VersionNumber(*stored));
    return absl::OkStatus();
  }
  auto record = [&](int32_t number, const Message& snapshot) {
    absl::Status s = InsertSnapshot(tx, write, project, number, snapshot);
    // The view's row lock serializes versioners, so a taken number means a writer outside Larder
    // raced us: redo the whole write, which numbers after it.
    if (absl::IsAlreadyExists(s)) return absl::AbortedError("version number taken; retrying");
    return s;
  };
  // History can exist for a view being created: Feast's DeleteProject leaves it behind, and
  // numbering then continues after it instead of colliding with it.
  absl::StatusOr<std::vector<storage::VersionRecord>> history =
      tx.ListVersions(project, Traits::Name(object));
  if (!history.ok()) return history.status();
  int32_t next = 0;
  for (const storage::VersionRecord& r : *history) next = std::max(next, r.version_number + 1);
  if (stored != nullptr && next == 0) {
    if (absl::Status s = record(0, *stored); !s.ok()) return s;
    next = 1;
  }
  Traits::SetVersionNumber(object, next);
  return record(next, object);
}

#define LARDER_VERSIONED_KIND(Message)                                                             \
  template absl::StatusOr<VersionPlan> PrepareVersion<Message>(                                    \
      storage::Transaction&, absl::string_view, std::optional<int32_t>, const Message*, Message&); \
  template absl::Status RecordVersion<Message>(storage::Transaction&, const WriteContext&,         \
                                               absl::string_view, const VersionPlan&,              \
                                               const Message*, Message&);
LARDER_VERSIONED_KIND(feast::core::FeatureView)
LARDER_VERSIONED_KIND(feast::core::StreamFeatureView)
LARDER_VERSIONED_KIND(feast::core::OnDemandFeatureView)
#undef LARDER_VERSIONED_KIND

}  // namespace larder::registry::internal
