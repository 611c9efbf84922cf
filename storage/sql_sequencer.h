#pragma once

#include <cstdint>
#include <functional>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace larder::storage {

// Gives revisions to change-log entries that write transactions committed without one
// (Dialect::sequenced_revisions), so writers never hold a lock shared by all of them across
// their COMMIT and independent writes commit in parallel, sharing the database's log flushes.
//
// A numbering pass is one short transaction (SqlTransaction::NumberUnnumbered): it locks the
// revision counter, row-locks every committed unnumbered entry, and moves them into the change
// log with the next revisions in seq order. Passes are serialized by the counter lock (across
// replicas too), so revision order is the order passes commit in, and a reader that has seen R
// can never later find a smaller revision appear: every revision of a pass becomes visible at its
// COMMIT, after every earlier pass's. (docs/consistency.md has the whole argument.)
//
// Writers call AwaitNumbered after their COMMIT and acknowledge only when it returns: one pass
// serves every writer that committed before it started (group numbering), so under load a
// pass numbers many writes. A sweep also runs a pass every `sweep_every`, for entries whose
// writer died between its COMMIT and its pass (any replica's sweep numbers them).
// Thread-safe.
class SqlSequencer {
 public:
  // `number_pass` runs one numbering transaction (with its own retries) and returns its status;
  // `any_unnumbered` looks, without locking, whether there is anything for the sweep to number.
  SqlSequencer(std::function<absl::Status()> number_pass,
               std::function<absl::StatusOr<bool>()> any_unnumbered, absl::Duration sweep_every);
  ~SqlSequencer();  // stops the sweep
  SqlSequencer(const SqlSequencer&) = delete;
  SqlSequencer& operator=(const SqlSequencer&) = delete;

  // Returns once a pass that started after this call has committed — so every entry committed
  // before the call is numbered, by this replica or another — or with the error of that pass.
  absl::Status AwaitNumbered();

 private:
  void Sweep();

  std::function<absl::Status()> number_pass_;
  std::function<absl::StatusOr<bool>()> any_unnumbered_;
  const absl::Duration sweep_every_;
  absl::Mutex mu_;
  absl::CondVar pass_done_;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  int64_t started_ ABSL_GUARDED_BY(mu_) = 0;    // passes started
  int64_t finished_ ABSL_GUARDED_BY(mu_) = 0;   // the last pass that ended
  int64_t succeeded_ ABSL_GUARDED_BY(mu_) = 0;  // the last pass that committed
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread sweeper_;
};

}  // namespace larder::storage
