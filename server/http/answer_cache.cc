#include "server/http/answer_cache.h"

#include <utility>

namespace larder::http {

std::shared_ptr<const std::string> AnswerCache::Find(const std::string& key,
                                                     const std::string& revision) {
  absl::MutexLock lock(&mu_);
  if (revision != revision_) return nullptr;
  auto it = answers_.find(key);
  return it == answers_.end() ? nullptr : it->second;
}

void AnswerCache::Keep(const std::string& key, const std::string& revision,
                       std::shared_ptr<const std::string> body) {
  absl::MutexLock lock(&mu_);
  if (revision != revision_) {
    answers_.clear();
    bytes_ = 0;
    revision_ = revision;
  }
  if (answers_.size() >= max_entries_ || bytes_ + body->size() > max_bytes_) return;
  auto [it, inserted] = answers_.emplace(key, body);
  if (inserted) bytes_ += body->size();
}

}  // namespace larder::http
