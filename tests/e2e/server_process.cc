#include "tests/e2e/server_process.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <regex>

namespace larder::testing {

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop(SIGKILL);
  if (out_fd_ >= 0) close(out_fd_);
}

bool ServerProcess::Spawn() {
  // The child is told its database by flags only: an inherited LARDER_DB would hide a default.
  // (Built before fork: the child may only make async-signal-safe calls.)
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    if (strncmp(*e, "LARDER_DB=", 10) != 0) envp.push_back(*e);
  }
  envp.push_back(nullptr);
  std::vector<char*> argv;
  std::string binary = LARDER_BINARY;
  argv.push_back(binary.data());
  for (std::string& a : args_) argv.push_back(a.data());
  // Tests stop servers with SIGTERM all the time: no drain window unless a test asks for one.
  std::string no_drain = "--drain-seconds=0";
  bool drain_given = false;
  for (const std::string& a : args_)
    drain_given = drain_given || a.rfind("--drain-seconds", 0) == 0;
  if (!drain_given) argv.push_back(no_drain.data());
  argv.push_back(nullptr);
  int fds[2];
  if (pipe(fds) != 0) return false;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    if (!working_directory_.empty() && chdir(working_directory_.c_str()) != 0) {
      static const char kMessage[] = "server_process: cannot enter the working directory\n";
      (void)!write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
      _exit(126);
    }
    if (switch_user_ && (setgroups(0, nullptr) != 0 || setgid(gid_) != 0 || setuid(uid_) != 0)) {
      static const char kMessage[] = "server_process: cannot switch user\n";
      (void)!write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
      _exit(126);
    }
    execve(binary.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  close(fds[1]);
  out_fd_ = fds[0];
  return pid_ > 0;
}

bool ServerProcess::ReadUntil(const std::string& needle, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (output_.find(needle) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) return false;
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buffer[4096];
    const ssize_t n = read(out_fd_, buffer, sizeof buffer);
    if (n <= 0) return false;  // EOF: the process exited
    output_.append(buffer, static_cast<size_t>(n));
  }
  return true;
}

bool ServerProcess::Start(int timeout_ms) {
  if (!Spawn()) return false;
  // The ready line ends with "(database <backend>, schema version N)".
  if (!ReadUntil("schema version", timeout_ms)) return false;  // exited early or hung
  std::smatch match;
  static const std::regex kServing(R"(serving \S+ on \S+:(\d+))");
  if (!std::regex_search(output_, match, kServing)) return false;
  port_ = std::stoi(match[1]);
  return true;
}

int ServerProcess::Wait() {
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  // Collect whatever is left to read.
  char buffer[4096];
  ssize_t n;
  while ((n = read(out_fd_, buffer, sizeof buffer)) > 0) output_.append(buffer, n);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

void ServerProcess::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

int ServerProcess::Stop(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  return Wait();
}

int ServerProcess::RunToExit(int timeout_ms) {
  if (!Spawn()) return -1;
  ReadUntil("\x01never", timeout_ms);  // reads until EOF (exit) or the deadline
  if (pid_ > 0) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == 0) return Stop(SIGKILL);
    pid_ = -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
  }
  return -1;
}

}  // namespace larder::testing
