#include "storage/change_compaction.h"

#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"

namespace larder::storage {

std::vector<std::pair<int64_t, int64_t>> RevisionRunsToCompact(
    const std::vector<CompactionEntry>& entries) {
  // The last entry of each object; it stays unless it is a deletion.
  std::map<std::tuple<std::string, std::string, std::string>, size_t> last;
  for (size_t i = 0; i < entries.size(); ++i) {
    last[{entries[i].project, entries[i].kind, entries[i].name}] = i;
  }
  std::vector<bool> stays(entries.size(), false);
  for (const auto& [object, i] : last) stays[i] = !entries[i].deletion;

  std::vector<std::pair<int64_t, int64_t>> runs;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (stays[i]) continue;
    if (!runs.empty() && i > 0 && !stays[i - 1]) {
      runs.back().second = entries[i].revision;  // extends the run the previous entry began
    } else {
      runs.emplace_back(entries[i].revision, entries[i].revision);
    }
  }
  return runs;
}

absl::Status ChangesCompacted(int64_t after, int64_t horizon) {
  return absl::OutOfRangeError(
      absl::StrCat("revision ", after,
                   " is older than the retained change log, which is complete only after "
                   "revision ",
                   horizon,
                   " (history retention): re-list the registry (Proto, or GetRegistryAt "
                   "at the current revision) and continue after that revision"));
}

}  // namespace larder::storage
