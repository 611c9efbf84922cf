#pragma once

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace larder::http {

// Rendered REST answers of one registry revision, by request (path and query). A cached read's
// JSON is a function of the snapshot it reads, so an answer rendered while the snapshot was at
// revision R can be sent again for the same request while it still is: rendering (protobuf to
// JSON, Feast's reshaping, serializing) costs far more than sending. Only for callers whose
// answers do not depend on who asks (no access checks). The first answer of a newer revision
// empties the cache. Bounded: beyond `max_entries` or `max_bytes` answers are not kept.
// Thread-safe.
class AnswerCache {
 public:
  explicit AnswerCache(size_t max_entries = 512, size_t max_bytes = 64 << 20)
      : max_entries_(max_entries), max_bytes_(max_bytes) {}

  // The answer kept for `key` at `revision`, or nullptr.
  std::shared_ptr<const std::string> Find(const std::string& key, const std::string& revision);
  // Keeps `body` as the answer for `key` at `revision` (dropping every answer of another
  // revision first).
  void Keep(const std::string& key, const std::string& revision,
            std::shared_ptr<const std::string> body);

 private:
  const size_t max_entries_;
  const size_t max_bytes_;
  absl::Mutex mu_;
  std::string revision_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<const std::string>> answers_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace larder::http
