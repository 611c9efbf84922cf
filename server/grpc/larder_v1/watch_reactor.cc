#include "server/grpc/larder_v1/watch_reactor.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"
#include "server/grpc/grpc_status.h"
#include "server/grpc/unary_call.h"

namespace larder::grpc_edge {
namespace {

constexpr absl::Duration kDefaultHeartbeat = absl::Seconds(10);

grpc::ByteBuffer Serialized(const google::protobuf::Message& message) {
  grpc::Slice slice(message.SerializeAsString());
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace

WatchReactor* WatchReactor::Start(grpc::CallbackServerContext* context,
                                  const service::Method& list_changes,
                                  const service::CallRunner& runner,
                                  registry::ChangeFollower& follower, WorkerPool& workers,
                                  const service::ServingState& serving,
                                  const larder::v1::WatchChangesRequest& request) {
  auto* reactor =
      new WatchReactor(context, list_changes, runner, follower, workers, serving, request);
  runner.StreamStarted(reactor->stream_context_, *list_changes.counters);
  {
    absl::MutexLock lock(&reactor->state_->mu);
    reactor->state_->reactor = reactor;
  }
  reactor->subscription_ =
      follower.Subscribe([reactor](int64_t revision) { reactor->OnRevision(revision); });
  // The backlog after the requested revision, at once.
  {
    absl::MutexLock lock(&reactor->mu_);
    reactor->reading_ = true;
  }
  workers.Schedule([state = reactor->state_] {
    absl::MutexLock lock(&state->mu);
    if (state->reactor != nullptr) state->reactor->Read();
  });
  return reactor;
}

WatchReactor::WatchReactor(grpc::CallbackServerContext* context,
                           const service::Method& list_changes, const service::CallRunner& runner,
                           registry::ChangeFollower& follower, WorkerPool& workers,
                           const service::ServingState& serving,
                           const larder::v1::WatchChangesRequest& request)
    : context_(context),
      list_changes_(list_changes),
      runner_(runner),
      follower_(follower),
      workers_(workers),
      serving_(serving),
      request_(request),
      stream_context_(ContextOf(context, list_changes.full_name)),
      started_(absl::Now()),
      heartbeat_(request.heartbeat_seconds() > 0
                     ? absl::Seconds(std::max(1, request.heartbeat_seconds()))
                     : kDefaultHeartbeat),
      state_(std::make_shared<State>()),
      after_(request.after_revision()),
      last_sent_(absl::Now()) {}

void WatchReactor::OnRevision(int64_t revision) {
  absl::MutexLock lock(&mu_);
  seen_revision_ = std::max(seen_revision_, revision);
  if (finished_) return;
  if (serving_.stopping()) {
    // The server is going away: the client resumes from its last revision elsewhere.
    FinishLocked(
        grpc::Status(grpc::StatusCode::UNAVAILABLE, "server draining; resume on another replica"));
    return;
  }
  if (reading_) return;
  if (seen_revision_ <= after_) {
    // Nothing committed past what was read: an idle stream's heartbeat needs no database read.
    if (!writing_ && queue_.empty() && absl::Now() - last_sent_ >= heartbeat_) {
      QueueHeartbeatLocked();
      WriteNextLocked();
    }
    return;
  }
  reading_ = true;
  workers_.Schedule([state = state_] {
    absl::MutexLock state_lock(&state->mu);
    if (state->reactor != nullptr) state->reactor->Read();
  });
}

void WatchReactor::Read() {
  larder::v1::WatchChangesRequest read = request_;
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    read.set_after_revision(after_);
  }
  service::CallContext call_context = ContextOf(context_, list_changes_.full_name);
  call_context.stream_read = true;  // the stream is logged once, when it ends
  absl::StatusOr<service::Reply> reply =
      service::Invoke(runner_, list_changes_, call_context, read);
  larder::v1::ListChangesResponse page;
  if (reply.ok() && !page.ParseFromString(reply->Serialize())) {
    reply = absl::InternalError("a change-log read did not parse");
  }
  absl::MutexLock lock(&mu_);
  reading_ = false;
  if (!reply.ok()) {
    FinishLocked(ToGrpcStatus(reply.status()));
    return;
  }
  for (larder::v1::Change& change : *page.mutable_changes()) {
    larder::v1::WatchChangesResponse event;
    *event.mutable_change() = std::move(change);
    queue_.push_back(Serialized(event));
  }
  after_ = std::max(after_, page.next_after_revision());
  if (queue_.empty() && !writing_ && absl::Now() - last_sent_ >= heartbeat_) {
    QueueHeartbeatLocked();
  }
  WriteNextLocked();
  // A full page may have more behind it: read on without waiting for the follower.
  if (page.changes_size() > 0 && seen_revision_ > after_ && !finished_) {
    reading_ = true;
    workers_.Schedule([state = state_] {
      absl::MutexLock state_lock(&state->mu);
      if (state->reactor != nullptr) state->reactor->Read();
    });
  }
}

void WatchReactor::QueueHeartbeatLocked() {
  larder::v1::WatchChangesResponse event;
  event.mutable_heartbeat()->set_revision(after_);
  queue_.push_back(Serialized(event));
}

void WatchReactor::WriteNextLocked() {
  if (writing_ || finished_ || queue_.empty()) return;
  current_ = std::move(queue_.front());
  queue_.pop_front();
  writing_ = true;
  last_sent_ = absl::Now();
  StartWrite(&current_);
}

void WatchReactor::FinishLocked(const grpc::Status& status) {
  if (finished_) return;
  finished_ = true;
  final_status_ =
      absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  queue_.clear();
  Finish(status);
}

void WatchReactor::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  writing_ = false;
  if (!ok) {
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the watcher went away"));
    return;
  }
  WriteNextLocked();
}

void WatchReactor::OnCancel() {
  absl::MutexLock lock(&mu_);
  FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled"));
}

void WatchReactor::OnDone() {
  follower_.Unsubscribe(subscription_);  // waits for a running callback
  absl::Status status;
  {
    absl::MutexLock lock(&mu_);
    status = final_status_;
  }
  runner_.StreamEnded(stream_context_, *list_changes_.counters, request_.project(), status,
                      absl::Now() - started_);
  {
    absl::MutexLock lock(&state_->mu);  // waits for a running read
    state_->reactor = nullptr;
  }
  delete this;
}

}  // namespace larder::grpc_edge
