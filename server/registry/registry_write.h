#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "feast/core/InfraObject.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "server/registry/write_context.h"
#include "storage/store.h"

namespace larder::registry {

// What one mutation did (or, in a dry run, would do).
enum class Effect { kCreated, kUpdated, kUnchanged, kDeleted };
absl::string_view EffectName(Effect effect);

struct WriteResult {
  storage::ObjectKind kind = storage::ObjectKind::kProject;
  std::string project;
  std::string name;
  Effect effect = Effect::kUnchanged;
  int64_t old_version = 0;  // 0: did not exist
  int64_t new_version = 0;  // 0: does not exist afterwards
};

class RegistryWrite;

// A caller's own work that must commit in the same transaction as its interval (closing the
// materialization task that produced it), run by the group (RegistryWrite::ApplyMaterializations).
// `check` runs before the view is locked, so rows it locks come first in the lock order; it
// writes nothing, and returns whether to append the interval (false: the caller is answered OK
// without one), or the caller's own refusal (INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION,
// PERMISSION_DENIED). Any other error (the database's) fails the whole group. `then` runs after
// the view is written, for callers whose interval was appended; its error fails the group.
struct AppendHooks {
  std::function<absl::StatusOr<bool>(RegistryWrite&)> check;
  std::function<absl::Status(RegistryWrite&)> then;
};

// One caller's interval in a group of appends to one view (RegistryWrite::ApplyMaterializations).
struct IntervalAppend {
  google::protobuf::Timestamp start;
  google::protobuf::Timestamp end;
  const WriteOptions* options = nullptr;  // this caller's request id, actor and permissions
  const AppendHooks* hooks = nullptr;     // this caller's own work, if any
  absl::Status result;                    // this caller's own outcome, set by the group
};

// Registry mutations inside one database transaction that the caller owns (Registry::Write):
// every method reads and writes only through that transaction, permission checks included, so
// any number of them commit or roll back together. A single-object RPC is a batch of one, as
// LevelDB's Put is a WriteBatch of one. Feast's semantics (naming rules, project auto-creation,
// server-owned timestamps, change detection, view-name uniqueness across kinds, version history,
// not-found errors) live here, written once for every kind.
//
// Not thread-safe; lives for one attempt of one transaction (Store::Run may run the body again on
// ABORTED, with a new RegistryWrite).
class RegistryWrite {
 public:
  // `tx` and `options` are borrowed for the attempt. `now` is the write's server time (the same on
  // every attempt).
  RegistryWrite(storage::Transaction& tx, absl::Time now, const WriteOptions& options)
      : tx_(tx), options_(options), context_(tx, now, options) {}

  // Creates or updates `object` (any kind with ObjectTraits; for a Project, `project` is ignored).
  // Feature services whose projections list no (typed) features are filled from the stored
  // views first, as Feast's prepare_for_apply does.
  // With WriteOptions::preserve_meta the object is stored as sent instead: no feature-service
  // filling, no version numbering or pinning (current_version_number is the client's), no
  // intervals kept from the stored view, the client's created/last-updated timestamps (one left
  // unset is the stored one, else now), and UNCHANGED only when the whole message is the same.
  template <typename Message>
  absl::StatusOr<WriteResult> Apply(absl::string_view project, const Message& object);
  // Deletes the object; its kind's Feast not-found error when absent.
  template <typename Message>
  absl::StatusOr<WriteResult> Delete(absl::string_view project, absl::string_view name);
  // Deletes the view of that name whatever its kind, and its version history.
  absl::StatusOr<WriteResult> DeleteFeatureView(absl::string_view project, absl::string_view name);
  // Removes the project and everything in it, version history and metadata included.
  absl::StatusOr<WriteResult> DeleteProject(absl::string_view name);
  // Appends [start, end) to the plain feature view's materialization intervals and marks it
  // AVAILABLE_ONLINE, under the view's row lock.
  absl::StatusOr<WriteResult> ApplyMaterialization(absl::string_view project,
                                                   absl::string_view view_name,
                                                   const google::protobuf::Timestamp& start,
                                                   const google::protobuf::Timestamp& end);
  // Appends several callers' intervals to one plain feature view under ONE row lock, ONE
  // rewrite of its row and ONE change-log entry (one new object version, logged with the last
  // appended caller's request id and actor; the other callers' request ids are recorded with
  // Transaction::RecordRequest), so a group costs about what one call does. A caller whose
  // request id is already committed, or earlier in the group, is answered OK without appending
  // again; a caller without permission gets its own error in `result` and the others go on.
  // Callers' hooks run as AppendHooks says. The returned error (a missing view, a database
  // error) is every caller's.
  absl::Status ApplyMaterializations(absl::string_view project, absl::string_view view_name,
                                     absl::Span<IntervalAppend> appends);
  absl::StatusOr<WriteResult> UpdateInfra(absl::string_view project,
                                          const feast::core::Infra& infra);

  storage::Transaction& transaction() { return tx_; }
  const WriteContext& context() const { return context_; }

 private:
  template <typename Message>
  absl::StatusOr<Message> PrepareFeatureService(absl::string_view project, const Message& object);

  storage::Transaction& tx_;
  const WriteOptions& options_;
  WriteContext context_;
};

}  // namespace larder::registry
