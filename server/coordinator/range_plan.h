#pragma once

#include <optional>
#include <vector>

#include "absl/time/time.h"

namespace larder::coordinator {

// A half-open time range [start, end).
struct TimeRange {
  absl::Time start;
  absl::Time end;
  bool operator==(const TimeRange& other) const { return start == other.start && end == other.end; }
};

// Where Feast v0.66's materialize_incremental starts a feature view (or stream feature view):
// the latest end of its recorded intervals; without any, `now` - ttl; for a ttl of 0 (Feast
// reads an unset ttl as 0), a year (52 weeks) before `now`.
absl::Time IncrementalStart(const std::vector<TimeRange>& recorded, absl::Duration ttl,
                            absl::Time now);

// Where it starts an on-demand view that writes to the online store: `end` minus the largest
// ttl among its source feature views, or 52 weeks before `end` when none has a positive ttl.
absl::Time OnDemandIncrementalStart(const std::vector<absl::Duration>& source_ttls, absl::Time end);

// The parts of `range` that no range of `covered` overlaps, in time order. Empty ranges are
// dropped.
std::vector<TimeRange> Subtract(const TimeRange& range, std::vector<TimeRange> covered);

// `range` cut into consecutive pieces of `span` (the last may be shorter), starting at its start;
// a zero or negative span keeps it whole.
std::vector<TimeRange> Split(const TimeRange& range, absl::Duration span);

}  // namespace larder::coordinator
