#include "server/coordinator/range_plan.h"

#include <algorithm>

namespace larder::coordinator {
namespace {

// Feast's fallback look-back: timedelta(weeks=52).
constexpr absl::Duration kYearBack = absl::Hours(24 * 7 * 52);

}  // namespace

absl::Time IncrementalStart(const std::vector<TimeRange>& recorded, absl::Duration ttl,
                            absl::Time now) {
  if (!recorded.empty()) {
    absl::Time latest = recorded.front().end;
    for (const TimeRange& r : recorded) latest = std::max(latest, r.end);
    return latest;
  }
  return ttl > absl::ZeroDuration() ? now - ttl : now - kYearBack;
}

absl::Time OnDemandIncrementalStart(const std::vector<absl::Duration>& source_ttls,
                                    absl::Time end) {
  absl::Duration longest = absl::ZeroDuration();
  for (absl::Duration ttl : source_ttls) longest = std::max(longest, ttl);
  return longest > absl::ZeroDuration() ? end - longest : end - kYearBack;
}

std::vector<TimeRange> Subtract(const TimeRange& range, std::vector<TimeRange> covered) {
  std::sort(covered.begin(), covered.end(),
            [](const TimeRange& a, const TimeRange& b) { return a.start < b.start; });
  std::vector<TimeRange> out;
  absl::Time cursor = range.start;
  for (const TimeRange& c : covered) {
    if (c.end <= cursor || c.start >= c.end) continue;
    if (c.start >= range.end) break;
    if (c.start > cursor) out.push_back({cursor, c.start});
    cursor = std::max(cursor, c.end);
    if (cursor >= range.end) break;
  }
  if (cursor < range.end) out.push_back({cursor, range.end});
  return out;
}

std::vector<TimeRange> Split(const TimeRange& range, absl::Duration span) {
  if (range.start >= range.end) return {};
  if (span <= absl::ZeroDuration()) return {range};
  std::vector<TimeRange> out;
  for (absl::Time start = range.start; start < range.end; start += span) {
    out.push_back({start, std::min(start + span, range.end)});
  }
  return out;
}

}  // namespace larder::coordinator
