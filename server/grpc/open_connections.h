#pragma once

#include <optional>
#include <set>
#include <string>

namespace larder::grpc_edge {

// The peers (as grpc::ServerContext::peer() names them, e.g. "ipv4:127.0.0.1:50412") of every
// client connection open on this process's gRPC servers right now, read from gRPC's channelz
// registry. nullopt when channelz lists no server (disabled, or not serving yet), so a caller
// never takes "unknown" for "closed".
std::optional<std::set<std::string>> OpenConnectionPeers();

}  // namespace larder::grpc_edge
