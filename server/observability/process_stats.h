#pragma once

#include <cstdint>
#include <optional>

namespace larder::observability {

// This process's resource use as Linux reports it in /proc/self, for the standard process_*
// metrics.
struct ProcessStats {
  double cpu_seconds = 0;  // user + system
  int64_t resident_bytes = 0;
  int64_t virtual_bytes = 0;
  int64_t open_fds = 0;
  int64_t max_fds = 0;
  double start_time_seconds = 0;  // since the Unix epoch
  int64_t threads = 0;
};

// Reads /proc/self; nullopt where it is not available (not Linux, /proc not mounted).
std::optional<ProcessStats> ReadProcessStats();

}  // namespace larder::observability
