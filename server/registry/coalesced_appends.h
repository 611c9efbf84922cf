#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/timestamp.pb.h"
#include "server/registry/registry.h"
#include "server/registry/registry_write.h"

namespace larder::registry {

// Merges concurrent materialization appends to the same view into one transaction.
//
// Materialization workers append intervals to one view at a high rate; run one by one, every
// call takes the view's row lock, rewrites the whole (growing) view and waits for its own durable
// COMMIT, so 32 writers on one view run at a fraction of what the database commits. Here the
// first caller for a view becomes the group's leader; callers arriving while its transaction runs
// queue behind it, and when it finishes, the next waiting caller leads a group of everyone
// queued so far (as LevelDB's writers queue behind the one writing the log). Each group is one
// transaction: one row lock, one rewrite of the view, one change-log entry per caller with its
// own request id (RegistryWrite::ApplyMaterializations), and every caller is answered only after
// that transaction committed. Across replicas the row lock still serializes the groups.
//
// Thread-safe; callers block while their group runs, so it suits the worker threads that already
// wait on the database.
class CoalescedAppends {
 public:
  // `registry` is not owned and must outlive this. A group holds at most `max_group` callers.
  explicit CoalescedAppends(Registry& registry, size_t max_group = 256)
      : registry_(registry), max_group_(max_group) {}
  CoalescedAppends(const CoalescedAppends&) = delete;
  CoalescedAppends& operator=(const CoalescedAppends&) = delete;

  // Appends [start, end) to the view as `options`' caller, in a group with concurrent appends to
  // the same view. Returns once the interval is durable (or this caller's error): exactly what
  // Registry::ApplyMaterialization returns for the same call. `hooks` (not owned; may be null)
  // is the caller's own work that commits in the group's transaction (AppendHooks).
  absl::Status Append(absl::string_view project, absl::string_view view_name,
                      const google::protobuf::Timestamp& start,
                      const google::protobuf::Timestamp& end, const WriteOptions& options,
                      const AppendHooks* hooks = nullptr);

  // How many transactions ran and how many appends they carried (for tests and benchmarks).
  std::pair<int64_t, int64_t> groups_and_appends() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Waiter {
    IntervalAppend append;
    bool done = false;  // its group committed or failed; append.result holds the outcome
    bool lead = false;  // it must run the next group of its view
    bool Ready() const { return done || lead; }
  };
  using ViewKey = std::pair<std::string, std::string>;  // (project, view)

  Registry& registry_;
  const size_t max_group_;
  mutable absl::Mutex mu_;
  // Per view with a group running: the callers queued for the next groups.
  absl::flat_hash_map<ViewKey, std::deque<Waiter*>> queues_ ABSL_GUARDED_BY(mu_);
  int64_t groups_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t appends_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace larder::registry
