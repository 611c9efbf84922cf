#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "larder/v1/registry.pb.h"
#include "server/grpc/worker_pool.h"
#include "server/registry/change_follower.h"
#include "server/service/method.h"
#include "server/service/serving_state.h"

namespace larder::grpc_edge {

// One WatchChanges stream. Transport only: it reads the change log through the service layer's
// ListChanges operation (so every read passes the Run path, with authentication and DESCRIBE
// filtering, each time), when the ChangeFollower reports a new revision, and writes what it
// gets, one message at a time (gRPC's flow control: a slow watcher holds only its own queue).
// When nothing matched for `heartbeat_seconds` it sends a heartbeat with the revision it has
// read up to. Deletes itself when the call is done. One follower feeds every stream. When the
// server stops (ServingState::stopping) the stream ends with UNAVAILABLE, which tells
// clients to resume from their last revision on another replica.
class WatchReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // Starts the stream; `list_changes` (the service table's WatchChanges entry: one read),
  // `runner`, `follower`, `workers` and `serving` must outlive it.
  static WatchReactor* Start(grpc::CallbackServerContext* context,
                             const service::Method& list_changes, const service::CallRunner& runner,
                             registry::ChangeFollower& follower, WorkerPool& workers,
                             const service::ServingState& serving,
                             const larder::v1::WatchChangesRequest& request);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // What outlives the reactor for tasks already queued on the worker pool.
  struct State {
    absl::Mutex mu;
    WatchReactor* reactor ABSL_GUARDED_BY(mu) = nullptr;  // null once the call is done
  };

  WatchReactor(grpc::CallbackServerContext* context, const service::Method& list_changes,
               const service::CallRunner& runner, registry::ChangeFollower& follower,
               WorkerPool& workers, const service::ServingState& serving,
               const larder::v1::WatchChangesRequest& request);
  // Follower thread: schedules a read when the log moved past what was read; otherwise sends a
  // heartbeat when one is due.
  void OnRevision(int64_t revision);
  // Worker: reads the log after `after_` and queues what matched (or a heartbeat).
  void Read();
  // Queues a heartbeat with the revision read up to.
  void QueueHeartbeatLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Writes the next queued message unless one is being written. Needs mu_.
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  grpc::CallbackServerContext* const context_;
  const service::Method& list_changes_;
  const service::CallRunner& runner_;
  registry::ChangeFollower& follower_;
  WorkerPool& workers_;
  const service::ServingState& serving_;
  const larder::v1::WatchChangesRequest request_;
  const service::CallContext stream_context_;  // for the stream's metrics and its log line
  const absl::Time started_;
  const absl::Duration heartbeat_;
  std::shared_ptr<State> state_;
  int subscription_ = -1;

  absl::Mutex mu_;
  int64_t after_ ABSL_GUARDED_BY(mu_);              // every change up to here was read
  int64_t seen_revision_ ABSL_GUARDED_BY(mu_) = 0;  // the follower's latest revision
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status final_status_ ABSL_GUARDED_BY(mu_);  // what the stream finished with
  absl::Time last_sent_ ABSL_GUARDED_BY(mu_);
  std::deque<grpc::ByteBuffer> queue_ ABSL_GUARDED_BY(mu_);
  grpc::ByteBuffer current_;  // the message being written (must live until OnWriteDone)
};

}  // namespace larder::grpc_edge
