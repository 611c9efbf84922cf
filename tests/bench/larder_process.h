#pragma once

#include <sys/types.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "tests/bench/closed_loop.h"

namespace larder::bench {

// The real `larder` binary (or the bench's own echo server) as a child process, listening on
// 127.0.0.1 on a port it picks. Start() reads the child's output (on a thread that keeps draining
// it, so a chatty server never blocks on a full pipe) until a whole "serving ... on HOST:PORT ..."
// line.
// The child is killed if the bench dies (PR_SET_PDEATHSIG). Not thread-safe, except output().
class LarderProcess {
 public:
  // `binary` is the larder executable; `args` follow it (e.g. "serve", "--db=...").
  LarderProcess(std::string binary, std::vector<std::string> args);
  ~LarderProcess();  // kills the child if it still runs
  LarderProcess(const LarderProcess&) = delete;
  LarderProcess& operator=(const LarderProcess&) = delete;

  // Returns UNAVAILABLE (with the child's output) if it exits or does not serve within
  // `timeout_seconds`.
  absl::Status Start(double timeout_seconds = 60);
  // SIGTERM, then SIGKILL after `grace_seconds`; returns the exit code (128+signal if killed).
  int Stop(double grace_seconds = 15);

  pid_t pid() const { return pid_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  Clock::time_point spawned_at() const { return spawned_at_; }
  Clock::time_point serving_at() const { return serving_at_; }
  // Resident set size now, from /proc/<pid>/status (VmRSS). NOT_FOUND if not running.
  absl::StatusOr<int64_t> RssBytes() const;
  std::string output() const;

 private:
  void Drain(int fd);

  const std::string binary_;
  const std::vector<std::string> args_;
  pid_t pid_ = -1;
  int port_ = 0;
  Clock::time_point spawned_at_, serving_at_;
  std::thread drainer_;
  mutable absl::Mutex mu_;
  std::string output_ ABSL_GUARDED_BY(mu_);
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
};

// User + system CPU seconds a process has used so far (/proc/<pid>/stat); -1 if unreadable.
double CpuSecondsOf(pid_t pid);

}  // namespace larder::bench
