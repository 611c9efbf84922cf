#include "server/registry/coalesced_appends.h"

#include <vector>

namespace larder::registry {

absl::Status CoalescedAppends::Append(absl::string_view project, absl::string_view view_name,
                                      const google::protobuf::Timestamp& start,
                                      const google::protobuf::Timestamp& end,
                                      const WriteOptions& options, const AppendHooks* hooks) {
  ViewKey key(project, view_name);
  Waiter me;
  me.append.start = start;
  me.append.end = end;
  me.append.options = &options;
  me.append.hooks = hooks;
  std::vector<Waiter*> group;
  {
    absl::MutexLock lock(&mu_);
    auto [queue, first] = queues_.try_emplace(key);
    queue->second.push_back(&me);
    // The first caller for an idle view leads at once; the others wait to be answered by a
    // leader's group or to be made the next leader.
    if (first) {
      me.lead = true;
    } else {
      mu_.Await(absl::Condition(&me, &Waiter::Ready));
      if (me.done) return me.append.result;
    }
    std::deque<Waiter*>& waiting = queues_.find(key)->second;
    while (!waiting.empty() && group.size() < max_group_) {
      group.push_back(waiting.front());
      waiting.pop_front();
    }
  }

  std::vector<IntervalAppend> appends;
  appends.reserve(group.size());
  for (Waiter* w : group) appends.push_back(w->append);
  // The group's own options carry no request id: each caller's is checked and logged inside.
  const absl::Status status = registry_.Write({}, [&](RegistryWrite& write) {
    return write.ApplyMaterializations(project, view_name, absl::MakeSpan(appends));
  });

  absl::MutexLock lock(&mu_);
  ++groups_;
  appends_ += static_cast<int64_t>(group.size());
  for (size_t i = 0; i < group.size(); ++i) {
    group[i]->append.result = status.ok() ? appends[i].result : status;
    group[i]->done = true;
  }
  auto queue = queues_.find(key);
  if (queue->second.empty()) {
    queues_.erase(queue);
  } else {
    queue->second.front()->lead = true;  // hand the view to the next caller in line
  }
  return me.append.result;
}

std::pair<int64_t, int64_t> CoalescedAppends::groups_and_appends() const {
  absl::MutexLock lock(&mu_);
  return {groups_, appends_};
}

}  // namespace larder::registry
