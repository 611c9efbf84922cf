#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace larder::testing {

// Runs the real `larder` binary as a child process. Start() waits (by reading its stdout, not by
// sleeping) for the "serving ... on HOST:PORT" line and records the port. Unless the arguments
// name --http-addr, the HTTP listener is put on a free port too (never the shared default 6572),
// and http_port() reads it from the "HTTP listening on HOST:PORT" line.
class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> args) : args_(std::move(args)) {}
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Returns false if the process exited (or timed out) before serving; output() then says why.
  bool Start(int timeout_ms = 20000);
  // Sends `signal` and waits for exit; returns the exit code (or 128+signal if killed).
  int Stop(int signal = 15);
  // Sends `signal` without waiting (Stop or WaitForExit collects the exit).
  void Signal(int signal);
  // Waits for the process to exit by itself; returns its exit code (or 128+signal).
  int WaitForExit() { return Wait(); }
  // Reads the process's output until `needle` appears; false if it exits or `timeout_ms` passes
  // first.
  bool WaitForOutput(const std::string& needle, int timeout_ms = 20000) {
    return ReadUntil(needle, timeout_ms);
  }
  // Runs the binary to completion (for start-up failures); returns its exit code.
  int RunToExit(int timeout_ms = 20000);

  // Before Start()/RunToExit(): run the child in `directory` (default: the test's own).
  void set_working_directory(std::string directory) { working_directory_ = std::move(directory); }
  // Before Start()/RunToExit(): run the child as this user and group (needs root to differ).
  void set_user(uid_t uid, gid_t gid) {
    uid_ = uid;
    gid_ = gid;
    switch_user_ = true;
  }

  int port() const { return port_; }
  // The HTTP listener's port (0 when HTTP is off).
  int http_port() const { return http_port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Everything the process wrote to stdout and stderr so far. A thread reads the pipe all the
  // time: a server logging a line per call would otherwise block once the pipe is full.
  std::string output() const {
    std::lock_guard<std::mutex> lock(mu_);
    return output_;
  }

 private:
  bool Spawn();
  // Reads available output until `done` or the deadline; returns false on EOF/timeout.
  bool ReadUntil(const std::string& needle, int timeout_ms);
  int Wait();
  // The reader thread's loop: appends the pipe's bytes to output_ until EOF.
  void ReadPipe();

  std::vector<std::string> args_;
  std::string working_directory_;
  bool switch_user_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int port_ = 0;
  int http_port_ = 0;
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable grown_;  // output_ grew or the pipe closed
  bool eof_ = false;
  std::string output_;
};

}  // namespace larder::testing
