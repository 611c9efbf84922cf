#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace larder::storage {

// One change-log entry as compaction sees it: which object, and whether it deleted it.
struct CompactionEntry {
  int64_t revision = 0;
  std::string project;
  std::string kind;
  std::string name;
  bool deletion = false;
};

// History retention keeps the registry as of every retained revision exact: compacting through
// R removes, among the entries at or below R, each one a later entry (at or below R) of the same
// object supersedes, and every deletion with all that came before it. What stays is exactly the
// registry at R — each live object's last change — so the state at any revision >= R is still
// that base plus the untouched entries after R. `entries` are in revision order; the result is
// the inclusive revision ranges to delete, none of which holds an entry that stays.
std::vector<std::pair<int64_t, int64_t>> RevisionRunsToCompact(
    const std::vector<CompactionEntry>& entries);

// The answer to a read of the change log after `after`, which compaction through `horizon`
// has removed: OUT_OF_RANGE, telling the reader to re-list.
absl::Status ChangesCompacted(int64_t after, int64_t horizon);

}  // namespace larder::storage
