#include "server/file_clock.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace larder {
namespace {

TEST_CASE("FileClock reads unix microseconds from its file at every call", "[config]") {
  testing::TempDir dir;
  const std::string path = dir.File("clock");
  FileClock clock(path);
  std::ofstream(path) << "1700000000123456\n";
  CHECK(absl::ToUnixMicros(clock.Now()) == 1700000000123456);
  std::ofstream(path) << "1700000001000000";
  CHECK(absl::ToUnixMicros(clock.Now()) == 1700000001000000);
  // A missing or malformed file falls back to the system time.
  std::ofstream(path) << "not a time";
  const absl::Time before = absl::Now();
  CHECK(clock.Now() >= before);
}

}  // namespace
}  // namespace larder
