#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/registry/registry_write.h"
#include "server/service/call.h"

namespace larder::service {

// One Feast write held back until its session commits; runs inside the commit's transaction.
// Must be safe to run again (the transaction is retried on ABORTED).
using StagedMutation = std::function<absl::Status(registry::RegistryWrite&)>;

struct StagingOptions {
  // Off: commit=false writes are applied at once, as Feast's SQL registry does.
  bool enabled = true;
  // A session with nothing staged or committed for this long is discarded (its client is gone
  // or never committed).
  absl::Duration idle_timeout = absl::Minutes(15);
  // Bounds what one client, and all of them, can make the server hold in memory.
  size_t max_mutations_per_session = 50000;
  size_t max_sessions = 10000;
};

// `feast apply` made atomic. Feast's client sends every object of an apply with commit=false and
// ends with a commit (a commit=true write, or the Commit call); Feast's own registries write
// each object at once. StagedWrites holds the commit=false writes per session — one client
// connection (the transport's peer address) and credential (the authorization header) — and
// hands them to the session's next commit, which applies them and itself in one transaction.
// Other clients see all of an apply or none of it; a client that dies before committing leaves
// nothing behind (its session is discarded when its connection closes, or after the idle
// timeout).
//
// Callers that share one connection and credential (grpc-python shares a connection between
// channels to the same address in one process) share one session: a commit by one of them also
// commits what the others staged so far. Nothing is lost or applied twice — the others' later
// commit applies the rest — but their applies are then not atomic: at worst Feast's own
// behaviour. Thread-safe.
class StagedWrites {
 public:
  explicit StagedWrites(StagingOptions options = {}) : options_(options) {}

  // Whether `context`'s commit=false writes are staged: staging is on and the front end names
  // the connection the call came on.
  bool Stages(const CallContext& context) const {
    return options_.enabled && !context.peer.empty();
  }

  // Holds `mutation` (a write to `project`) for `context`'s session. RESOURCE_EXHAUSTED, holding
  // nothing, over the limits.
  absl::Status Stage(const CallContext& context, absl::string_view project, StagedMutation mutation,
                     absl::Time now);

  // Removes and returns, in the order they were staged, the session's held writes to `project`,
  // or all of them when `project` is nullopt.
  std::vector<StagedMutation> Take(const CallContext& context,
                                   std::optional<absl::string_view> project, absl::Time now);

  // Discards the sessions idle past the timeout and, when `connection_open` is given, those
  // whose connection (peer) it says is closed. `now` must be taken before `connection_open`'s
  // view of the connections was: sessions begun since are not judged by it. Returns how many
  // writes were discarded.
  size_t Expire(absl::Time now,
                const std::function<bool(absl::string_view peer)>& connection_open = nullptr);

  // What is held now (for metrics and tests).
  size_t held_writes() const;
  size_t sessions() const;

 private:
  struct Held {
    std::string project;
    StagedMutation mutation;
  };
  struct Session {
    std::string peer;
    std::vector<Held> writes;
    absl::Time created;
    absl::Time last_used;
  };
  static std::string KeyOf(const CallContext& context);

  const StagingOptions options_;
  mutable absl::Mutex mu_;
  std::map<std::string, Session> sessions_ ABSL_GUARDED_BY(mu_);
  size_t held_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace larder::service
