#include "server/service/staged_writes.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace larder::service {

std::string StagedWrites::KeyOf(const CallContext& context) {
  // The credential is part of the key so that two users whose calls reach us over one
  // connection (a proxy) never share what they staged.
  return absl::StrCat(context.peer, "\n", context.authorization);
}

absl::Status StagedWrites::Stage(const CallContext& context, absl::string_view project,
                                 StagedMutation mutation, absl::Time now) {
  const std::string key = KeyOf(context);
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) {
    if (sessions_.size() >= options_.max_sessions) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the server already holds ", options_.max_sessions,
          " uncommitted Feast applies (commit=false); retry later or commit pending ones"));
    }
    it = sessions_.emplace(key, Session{context.peer, {}, now, now}).first;
  }
  Session& session = it->second;
  if (session.writes.size() >= options_.max_mutations_per_session) {
    return absl::ResourceExhaustedError(
        absl::StrCat("this connection already has ", options_.max_mutations_per_session,
                     " uncommitted writes (commit=false); commit them first"));
  }
  session.writes.push_back({std::string(project), std::move(mutation)});
  session.last_used = now;
  ++held_;
  return absl::OkStatus();
}

std::vector<StagedMutation> StagedWrites::Take(const CallContext& context,
                                               std::optional<absl::string_view> project,
                                               absl::Time now) {
  std::vector<StagedMutation> taken;
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(KeyOf(context));
  if (it == sessions_.end()) return taken;
  std::vector<Held>& writes = it->second.writes;
  std::vector<Held> kept;
  for (Held& held : writes) {
    if (!project.has_value() || held.project == *project) {
      taken.push_back(std::move(held.mutation));
    } else {
      kept.push_back(std::move(held));
    }
  }
  held_ -= taken.size();
  if (kept.empty()) {
    sessions_.erase(it);
  } else {
    writes = std::move(kept);
    it->second.last_used = now;
  }
  return taken;
}

size_t StagedWrites::Expire(absl::Time now,
                            const std::function<bool(absl::string_view peer)>& connection_open) {
  size_t discarded = 0;
  absl::MutexLock lock(&mu_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    const Session& session = it->second;
    const bool idle = now - session.last_used > options_.idle_timeout;
    const bool closed = connection_open && session.created < now && !connection_open(session.peer);
    if (idle || closed) {
      discarded += session.writes.size();
      held_ -= session.writes.size();
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
  return discarded;
}

size_t StagedWrites::held_writes() const {
  absl::MutexLock lock(&mu_);
  return held_;
}

size_t StagedWrites::sessions() const {
  absl::MutexLock lock(&mu_);
  return sessions_.size();
}

}  // namespace larder::service
