#include "storage/change_compaction.h"

#include <catch2/catch.hpp>

namespace larder::storage {
namespace {

TEST_CASE("compaction keeps each live object's last change and removes the rest in runs",
          "[retention]") {
  // rev: 1 a create, 2 b create, 3 a update, 4 c create, 5 b delete, 6 c update, 7 d create
  const std::vector<CompactionEntry> entries = {
      {1, "p", "entity", "a", false}, {2, "p", "entity", "b", false},
      {3, "p", "entity", "a", false}, {4, "p", "entity", "c", false},
      {5, "p", "entity", "b", true},  {6, "p", "entity", "c", false},
      {7, "p", "entity", "d", false}};
  // Stays: 3 (a), 6 (c), 7 (d). Goes: 1-2, 4-5 (b deleted with its history).
  CHECK(RevisionRunsToCompact(entries) == std::vector<std::pair<int64_t, int64_t>>{{1, 2}, {4, 5}});
}

TEST_CASE("compaction over an already compacted log spans its gaps but never a kept entry",
          "[retention]") {
  // Revisions 2-4 were removed by an earlier compaction.
  const std::vector<CompactionEntry> entries = {{1, "p", "entity", "a", false},
                                                {5, "p", "entity", "a", false},
                                                {9, "q", "feature_view", "a", false}};
  // `a` in p: 5 supersedes 1. The view of the same name in another project is another object.
  CHECK(RevisionRunsToCompact(entries) == std::vector<std::pair<int64_t, int64_t>>{{1, 1}});
  CHECK(RevisionRunsToCompact({}).empty());
}

TEST_CASE("a read of compacted revisions is OUT_OF_RANGE and says to re-list", "[retention]") {
  const absl::Status s = ChangesCompacted(3, 10);
  CHECK(absl::IsOutOfRange(s));
  CHECK_THAT(std::string(s.message()), Catch::Contains("after revision 10"));
  CHECK_THAT(std::string(s.message()), Catch::Contains("re-list"));
}

}  // namespace
}  // namespace larder::storage
