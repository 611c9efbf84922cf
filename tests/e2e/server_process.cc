#include "tests/e2e/server_process.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <regex>

namespace larder::testing {

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop(SIGKILL);
  if (reader_.joinable()) reader_.join();
  if (out_fd_ >= 0) close(out_fd_);
}

void ServerProcess::ReadPipe() {
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(out_fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard<std::mutex> lock(mu_);
    if (n <= 0) {
      eof_ = true;
      grown_.notify_all();
      return;
    }
    output_.append(buffer, static_cast<size_t>(n));
    grown_.notify_all();
  }
}

bool ServerProcess::Spawn() {
  if (reader_.joinable()) reader_.join();  // the previous run's reader, at its EOF
  {
    std::lock_guard<std::mutex> lock(mu_);
    eof_ = false;
  }
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
  bool names_http = false;
  for (const std::string& a : args_) names_http = names_http || a.rfind("--http-addr", 0) == 0;
  // Parallel tests would all want the default HTTP port: each server takes a free one instead.
  if (!names_http) args_.push_back("--http-addr=127.0.0.1:0");
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
  if (pid_ > 0) reader_ = std::thread([this] { ReadPipe(); });
  return pid_ > 0;
}

bool ServerProcess::ReadUntil(const std::string& needle, int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return grown_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    return output_.find(needle) != std::string::npos || eof_;
  }) && output_.find(needle) != std::string::npos;
}

bool ServerProcess::Start(int timeout_ms) {
  if (!Spawn()) return false;
  // The ready line ends with "(database <backend>, schema version N)".
  if (!ReadUntil("schema version", timeout_ms)) return false;  // exited early or hung
  std::smatch match;
  static const std::regex kServing(R"(serving \S+ on \S+:(\d+))");
  const std::string started = output();
  if (!std::regex_search(started, match, kServing)) return false;
  port_ = std::stoi(match[1]);
  // The HTTP line follows the gRPC one when HTTP is on.
  bool http_on = true;
  for (const std::string& arg : args_) {
    if (arg == "--http-addr=" || arg == "--http-addr=''") http_on = false;
  }
  if (http_on) {
    if (!ReadUntil("(REST API", timeout_ms)) return false;
    static const std::regex kHttp(R"(HTTP listening on \S+:(\d+))");
    const std::string listening = output();
    if (std::regex_search(listening, match, kHttp)) http_port_ = std::stoi(match[1]);
  }
  return true;
}

int ServerProcess::Wait() {
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  // Everything left in the pipe is read once the process (the pipe's only writer) is gone.
  if (reader_.joinable()) reader_.join();
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
    if (reader_.joinable()) reader_.join();
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
  }
  return -1;
}

}  // namespace larder::testing
