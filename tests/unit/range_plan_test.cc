// The range rules of materialization planning (Feast v0.66's materialize_incremental start,
// subtraction of recorded and in-flight ranges, task spans).
#include "server/coordinator/range_plan.h"

#include <catch2/catch.hpp>

namespace larder::coordinator {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);
absl::Time H(int hours) { return kNow + absl::Hours(hours); }

TEST_CASE("incremental start: latest recorded end, else now - ttl, else 52 weeks back",
          "[materialization]") {
  // The latest end, not the last interval's (intervals may be recorded out of order).
  CHECK(IncrementalStart({{H(-10), H(-2)}, {H(-20), H(-12)}}, absl::Hours(1), kNow) == H(-2));
  CHECK(IncrementalStart({}, absl::Hours(24), kNow) == H(-24));
  CHECK(IncrementalStart({}, absl::ZeroDuration(), kNow) == H(-24 * 7 * 52));
  CHECK(OnDemandIncrementalStart({absl::Hours(1), absl::Hours(3)}, H(5)) == H(2));
  CHECK(OnDemandIncrementalStart({absl::ZeroDuration()}, H(0)) == H(-24 * 7 * 52));
  CHECK(OnDemandIncrementalStart({}, H(0)) == H(-24 * 7 * 52));
}

TEST_CASE("subtract leaves the uncovered parts in order", "[materialization]") {
  CHECK(Subtract({H(0), H(10)}, {}) == std::vector<TimeRange>{{H(0), H(10)}});
  CHECK(Subtract({H(0), H(10)}, {{H(2), H(4)}, {H(3), H(5)}, {H(8), H(12)}}) ==
        std::vector<TimeRange>{{H(0), H(2)}, {H(5), H(8)}});
  CHECK(Subtract({H(0), H(10)}, {{H(-5), H(20)}}).empty());
  CHECK(Subtract({H(0), H(10)}, {{H(10), H(20)}, {H(-5), H(0)}}) ==
        std::vector<TimeRange>{{H(0), H(10)}});
}

TEST_CASE("split cuts spans from the start; the last may be shorter", "[materialization]") {
  CHECK(Split({H(0), H(5)}, absl::Hours(2)) ==
        std::vector<TimeRange>{{H(0), H(2)}, {H(2), H(4)}, {H(4), H(5)}});
  CHECK(Split({H(0), H(5)}, absl::ZeroDuration()) == std::vector<TimeRange>{{H(0), H(5)}});
  CHECK(Split({H(5), H(5)}, absl::Hours(1)).empty());
}

}  // namespace
}  // namespace larder::coordinator
