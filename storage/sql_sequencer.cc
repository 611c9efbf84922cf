#include "storage/sql_sequencer.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace larder::storage {

SqlSequencer::SqlSequencer(std::function<absl::Status()> number_pass,
                           std::function<absl::StatusOr<bool>()> any_unnumbered,
                           absl::Duration sweep_every)
    : number_pass_(std::move(number_pass)),
      any_unnumbered_(std::move(any_unnumbered)),
      sweep_every_(sweep_every) {
  sweeper_ = std::thread([this] { Sweep(); });
}

SqlSequencer::~SqlSequencer() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  sweeper_.join();
}

absl::Status SqlSequencer::AwaitNumbered() {
  absl::MutexLock lock(&mu_);
  // A pass already running may have taken its snapshot before the caller's COMMIT: only the
  // next one to start is sure to see the caller's entries.
  const int64_t needed = started_ + 1;
  while (true) {
    if (succeeded_ >= needed) return absl::OkStatus();
    if (finished_ >= needed) {
      return absl::UnavailableError(
          absl::StrCat("the write committed, but numbering its change-log entry failed (it is "
                       "numbered by the next pass of any replica): ",
                       last_error_.message()));
    }
    if (!running_) {
      // Lead a pass for everyone waiting; others wait for it.
      running_ = true;
      const int64_t pass = ++started_;
      mu_.Unlock();
      absl::Status status = number_pass_();
      mu_.Lock();
      running_ = false;
      finished_ = pass;
      if (status.ok()) {
        succeeded_ = pass;
      } else {
        last_error_ = std::move(status);
      }
      pass_done_.SignalAll();
      continue;
    }
    pass_done_.Wait(&mu_);
  }
}

void SqlSequencer::Sweep() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), sweep_every_)) return;
    }
    // Errors are the next pass's to report (before migrations the table may not exist yet).
    absl::StatusOr<bool> any = any_unnumbered_();
    if (any.ok() && *any) AwaitNumbered().IgnoreError();
  }
}

}  // namespace larder::storage
