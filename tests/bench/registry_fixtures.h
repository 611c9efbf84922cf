#pragma once

// The objects larder-bench writes and the calls that seed a registry with them, through the
// RegistryServer API only (so any Feast registry server can be seeded).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "feast/core/Entity.pb.h"
#include "feast/core/FeatureView.pb.h"
#include "feast/core/Registry.pb.h"
#include "feast/registry/RegistryServer.grpc.pb.h"
#include "grpcpp/channel.h"

namespace larder::bench {

using RegistryStub = feast::registry::RegistryServer::Stub;

// A feature view of `target_bytes` serialized (about 2 KB by default): 16 typed features with
// descriptions and tags, entity "driver", a file batch source, a TTL and owner/tags, the way a
// typical `feast apply` writes one.
feast::core::FeatureView MakeFeatureView(const std::string& name, size_t target_bytes = 2048);
// An entity of about 300 bytes.
feast::core::Entity MakeEntity(const std::string& name);

// A channel to `address` for benchmark traffic: insecure, no message-size limit below 1 GB.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address);

// Waits (bounded) for the server at the channel to accept connections.
absl::Status WaitForServer(const std::shared_ptr<grpc::Channel>& channel, double timeout_seconds);

// Applies `count` feature views named name_of(i), i in [first, first + count), with `in_flight`
// calls outstanding. Calls `progress(done_so_far)` about every `progress_every` views.
// Returns the first error if any call failed.
absl::Status ApplyViews(RegistryStub& stub, const std::string& project, int64_t first,
                        int64_t count, int in_flight,
                        const std::function<std::string(int64_t)>& name_of,
                        const std::function<void(int64_t)>& progress = nullptr,
                        int64_t progress_every = 5000, int64_t* bytes_applied = nullptr);
// Caps the in-flight count of every later seeding call (ApplyViews) at `n`. Seeding also drops
// to 1 by itself after concurrent creations fail.
void LimitSeedInFlight(int n);

// Applies entities name_of(i), i in [0, count).
absl::Status ApplyEntities(RegistryStub& stub, const std::string& project, int64_t count,
                           const std::function<std::string(int64_t)>& name_of);

// The number of plain feature views in `project` (ListFeatureViews page 1 of limit 1; falls back
// to a full listing if the server ignores pagination).
absl::StatusOr<int64_t> CountFeatureViews(RegistryStub& stub, const std::string& project);

// The number of objects in a registry message (every repeated message field of Registry, projects
// included, except the deprecated project_metadata).
int64_t CountObjects(const feast::core::Registry& registry);

// A unary call with a deadline; for one-off calls outside the measured loops.
template <typename Request, typename Response, typename Method>
grpc::Status CallOnce(RegistryStub& stub, Method method, const Request& request, Response* response,
                      double deadline_seconds = 120) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(deadline_seconds * 1000)));
  return (stub.*method)(&context, request, response);
}

}  // namespace larder::bench
