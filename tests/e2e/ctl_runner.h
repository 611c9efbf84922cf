#pragma once

// Runs the real larderctl binary the way a user or a CI job does: arguments, optional standard
// input, and its exit code, standard output and standard error kept apart.

#include <string>
#include <vector>

namespace larder::testing {

struct CtlResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// larderctl --addr=<address> <args...>, with `input` on stdin. LARDER_ADDR, LARDER_TOKEN and
// LARDER_PROJECT are cleared so the caller's environment cannot leak in.
CtlResult RunCtl(const std::string& address, const std::vector<std::string>& args,
                 const std::string& input = "");

// Lines of `text`, without the newlines.
std::vector<std::string> Lines(const std::string& text);

}  // namespace larder::testing
