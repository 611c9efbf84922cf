#pragma once

#include <string>
#include <vector>

namespace larder::auth {

// Who made a call, as an authenticator established it. Feast's policies grant by role, group or
// namespace (feast.core.Policy); the username is what the change log records as the actor.
struct User {
  std::string username;
  std::vector<std::string> roles;
  std::vector<std::string> groups;
  std::vector<std::string> namespaces;
};

}  // namespace larder::auth
