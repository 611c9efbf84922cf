#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"

#include "server/registry/access_control.h"
#include "server/registry/write_context.h"

namespace larder::service {

// The front ends a call can come through; metrics are kept per front end.
enum class FrontEnd { kGrpc = 0, kHttp = 1 };
inline constexpr int kFrontEndCount = 2;
inline const char* FrontEndName(FrontEnd front_end) {
  return front_end == FrontEnd::kHttp ? "http" : "grpc";
}

// What a front end knows about one call, in transport-neutral terms. Filled by the front end
// (gRPC metadata, HTTP headers, a CLI's flags) before the call enters CallRunner::Run.
struct CallContext {
  // "<service>/<method>", e.g. "feast.registry.RegistryServer/GetEntity" (a Method's full_name).
  absl::string_view method;
  std::string authorization;  // the raw `authorization` header value; empty when none was sent
  std::string request_id;     // the client's id for this request (kept across its retries)
  std::string peer;           // who is on the other end, for logs
  FrontEnd front_end = FrontEnd::kGrpc;
  // One read of a longer stream (a WatchChanges read): counted, but logged at debug level only,
  // since the stream itself is logged once when it ends.
  bool stream_read = false;
  // The caller identified by its transport when it sent no token (the subject of a verified
  // TLS client certificate); empty otherwise. Recorded as the actor when auth is off.
  std::string transport_identity;
  // Whether the caller has gone away or its deadline passed; the call is then not started.
  std::function<bool()> cancelled;
  // Reads must reflect at least this registry revision (0: any). Reserved for front ends that
  // carry a client's last-seen revision.
  int64_t min_revision = 0;
};

// What an operation sees once CallRunner::Run has authenticated the caller: the context, the
// caller's Feast permissions, and how its writes are recorded (request id, actor, access).
struct Call {
  const CallContext* context = nullptr;
  registry::Access access;
  registry::WriteOptions write;
};

}  // namespace larder::service
