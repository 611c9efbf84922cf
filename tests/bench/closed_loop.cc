#include "tests/bench/closed_loop.h"

#include <algorithm>

namespace larder::bench {

CellResult Summarize(std::vector<float> latencies_us, double seconds) {
  CellResult result;
  result.seconds = seconds;
  result.measured_calls = static_cast<int64_t>(latencies_us.size());
  if (seconds > 0) result.qps = static_cast<double>(latencies_us.size()) / seconds;
  if (latencies_us.empty()) return result;
  std::sort(latencies_us.begin(), latencies_us.end());
  const size_t n = latencies_us.size();
  result.p50_ms = latencies_us[n / 2] / 1000.0;
  result.p99_ms = latencies_us[std::min(n - 1, n * 99 / 100)] / 1000.0;
  return result;
}

void MergeLatencies(std::vector<float>& into, const std::vector<float>& from) {
  into.insert(into.end(), from.begin(), from.end());
}

}  // namespace larder::bench
