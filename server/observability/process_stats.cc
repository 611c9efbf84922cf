#include "server/observability/process_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace larder::observability {
namespace {

std::optional<std::string> ReadWhole(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// The machine's boot time (seconds since the epoch), from /proc/stat's btime line.
std::optional<double> BootTime() {
  std::ifstream in("/proc/stat");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  }
  return std::nullopt;
}

}  // namespace

std::optional<ProcessStats> ReadProcessStats() {
  std::optional<std::string> stat = ReadWhole("/proc/self/stat");
  if (!stat.has_value()) return std::nullopt;
  // The command name (field 2) is in parentheses and may hold spaces: fields are counted from
  // after its closing parenthesis, where field 3 (state) starts.
  const size_t close = stat->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat->substr(close + 2));
  std::vector<std::string> f;  // f[0] is field 3
  for (std::string field; fields >> field;) f.push_back(field);
  if (f.size() < 22) return std::nullopt;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  ProcessStats stats;
  // utime (14), stime (15), num_threads (20), starttime (22), vsize (23), rss (24).
  stats.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  stats.threads = std::stoll(f[17]);
  stats.virtual_bytes = std::stoll(f[20]);
  stats.resident_bytes = static_cast<int64_t>(std::stod(f[21]) * page);
  if (std::optional<double> boot = BootTime(); boot.has_value()) {
    stats.start_time_seconds = *boot + std::stod(f[19]) / ticks;
  }
  if (DIR* fds = opendir("/proc/self/fd"); fds != nullptr) {
    while (dirent* entry = readdir(fds)) {
      if (entry->d_name[0] != '.') ++stats.open_fds;
    }
    closedir(fds);
    --stats.open_fds;  // the directory stream's own descriptor
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) stats.max_fds = static_cast<int64_t>(limit.rlim_cur);
  return stats;
}

}  // namespace larder::observability
