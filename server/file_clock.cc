#include "server/file_clock.h"

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"

namespace larder {

absl::Time FileClock::Now() {
  std::ifstream in(path_);
  std::stringstream text;
  text << in.rdbuf();
  int64_t micros = 0;
  if (!in || !absl::SimpleAtoi(absl::StripAsciiWhitespace(text.str()), &micros)) {
    return absl::Now();
  }
  return absl::FromUnixMicros(micros);
}

}  // namespace larder
