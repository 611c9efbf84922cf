#include "tests/bench/larder_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace larder::bench {

LarderProcess::LarderProcess(std::string binary, std::vector<std::string> args)
    : binary_(std::move(binary)), args_(std::move(args)) {}

LarderProcess::~LarderProcess() {
  if (pid_ > 0) Stop(0);
  if (drainer_.joinable()) drainer_.join();
}

void LarderProcess::Drain(int fd) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    absl::MutexLock lock(&mu_);
    if (n <= 0) {
      eof_ = true;
      break;
    }
    output_.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
}

absl::Status LarderProcess::Start(double timeout_seconds) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  // Everything the child needs is built before fork: after it only async-signal-safe calls.
  std::vector<std::string> argv_storage;
  argv_storage.push_back(binary_);
  argv_storage.insert(argv_storage.end(), args_.begin(), args_.end());
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  spawned_at_ = Clock::now();
  pid_ = fork();
  if (pid_ < 0) return absl::InternalError("fork failed");
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  drainer_ = std::thread([this, fd = fds[0]] { Drain(fd); });

  // The whole line: larder's ends with "(database ..., schema version N)".
  static const std::regex kServing(R"(serving \S+ on \S+:(\d+)[^\n]*\n)");
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return eof_ || std::regex_search(output_, kServing);
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(timeout_seconds));
  std::smatch match;
  if (!std::regex_search(output_, match, kServing)) {
    return absl::UnavailableError(
        absl::StrCat(binary_, " did not start serving; its output:\n", output_));
  }
  serving_at_ = Clock::now();
  port_ = std::stoi(match[1]);
  return absl::OkStatus();
}

int LarderProcess::Stop(double grace_seconds) {
  if (pid_ <= 0) return -1;
  kill(pid_, grace_seconds > 0 ? SIGTERM : SIGKILL);
  int status = 0;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(grace_seconds));
  for (;;) {
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) break;
    if (Clock::now() >= deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling an exit, bounded
  }
  pid_ = -1;
  if (drainer_.joinable()) drainer_.join();
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

absl::StatusOr<int64_t> LarderProcess::RssBytes() const {
  if (pid_ <= 0) return absl::NotFoundError("larder is not running");
  std::ifstream status(absl::StrCat("/proc/", pid_, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
    int64_t kb = 0;
    if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kb)) return kb * 1024;
  }
  return absl::NotFoundError("no VmRSS for larder");
}

double CpuSecondsOf(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat;
  std::getline(in, stat);
  // The command name (field 2) may contain spaces; the fields after its ')' are plain.
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::vector<std::string> fields = absl::StrSplit(stat.substr(paren + 2), ' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
  int64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return -1;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string LarderProcess::output() const {
  absl::MutexLock lock(&mu_);
  return output_;
}

}  // namespace larder::bench
