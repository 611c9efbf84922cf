// gRPC C++ has no callback for a closed connection; channelz (on by default) lists the open
// sockets of each server, named after their peer. Staged Feast applies (service::StagedWrites)
// use this to drop what a vanished client staged.
#include "server/grpc/open_connections.h"

#include <grpc/grpc.h>
#include <grpc/support/alloc.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"

namespace larder::grpc_edge {
namespace {

// channelz answers JSON; these few fields are all that is read, so a scan for their keys does.
std::string TakeJson(char* json) {
  if (json == nullptr) return "";
  std::string out(json);
  gpr_free(json);
  return out;
}

// Every string value of `"key":"..."` in `json`, in order (channelz strings have no escapes in
// the fields read here: ids and socket names).
std::vector<std::string> StringValues(std::string_view json, std::string_view key) {
  std::vector<std::string> values;
  const std::string needle = "\"" + std::string(key) + "\":\"";
  for (size_t at = json.find(needle); at != std::string_view::npos; at = json.find(needle, at)) {
    at += needle.size();
    const size_t end = json.find('"', at);
    if (end == std::string_view::npos) break;
    values.emplace_back(json.substr(at, end - at));
    at = end;
  }
  return values;
}

}  // namespace

std::optional<std::set<std::string>> OpenConnectionPeers() {
  std::vector<int64_t> servers;
  for (int64_t start = 0;;) {
    const std::string json = TakeJson(grpc_channelz_get_servers(start));
    int64_t last = -1;
    for (const std::string& id : StringValues(json, "serverId")) {
      int64_t value = 0;
      if (absl::SimpleAtoi(id, &value)) servers.push_back(last = value);
    }
    if (json.find("\"end\":true") != std::string::npos || last < 0) break;
    start = last + 1;
  }
  if (servers.empty()) return std::nullopt;
  constexpr std::string_view kPrefix = "chttp2 ";
  std::set<std::string> peers;
  for (int64_t server : servers) {
    for (int64_t start = 0;;) {
      const std::string json = TakeJson(grpc_channelz_get_server_sockets(server, start, 500));
      for (const std::string& name : StringValues(json, "name")) {
        std::string_view peer = name;
        if (peer.substr(0, kPrefix.size()) == kPrefix) peer.remove_prefix(kPrefix.size());
        peers.emplace(peer);
      }
      int64_t last = -1;
      for (const std::string& id : StringValues(json, "socketId")) {
        int64_t value = 0;
        if (absl::SimpleAtoi(id, &value)) last = value;
      }
      if (json.find("\"end\":true") != std::string::npos || last < 0) break;
      start = last + 1;
    }
  }
  return peers;
}

}  // namespace larder::grpc_edge
