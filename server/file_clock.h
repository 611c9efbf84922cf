#pragma once

#include <string>

#include "server/registry/clock.h"

namespace larder {

// A clock that reads the time from a file holding unix microseconds (`--clock-file`), so an
// end-to-end test can move the server's time instead of sleeping. Read on every Now(): tests
// only. An unreadable or malformed file gives the system time (the test then sees real time,
// never a crash). Thread-safe.
class FileClock : public registry::Clock {
 public:
  explicit FileClock(std::string path) : path_(std::move(path)) {}
  absl::Time Now() override;

 private:
  const std::string path_;
};

}  // namespace larder
