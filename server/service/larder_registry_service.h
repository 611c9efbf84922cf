#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "server/registry/registry.h"
#include "server/service/call_runner.h"
#include "server/service/method.h"
#include "server/service/staged_writes.h"

namespace larder::service {

// What a server says about itself (GetServerInfo), fixed at start-up.
struct ServerInfo {
  std::string server_version;
  std::string backend;  // "sqlite", "postgres" or "mysql"
  int64_t schema_version = 0;
  const StagedWrites* staged = nullptr;  // the Feast service's staged applies, when known
};

// larder.v1.Registry as transport-neutral operations: ApplyBatch (all-or-nothing batches with
// expected versions, dry runs and pruning), ListChanges and GetObjectHistory (the change log,
// filtered by the caller's Feast DESCRIBE permission). Same Run path, authentication and
// permission checks as Feast's service. Thread-safe.
class LarderRegistryService : public MethodTable {
 public:
  // `registry` and `runner` are not owned and must outlive the service. `info` is what
  // GetServerInfo reports besides the current revision.
  LarderRegistryService(registry::Registry& registry, CallRunner& runner, ServerInfo info = {});

 private:
  const ServerInfo info_;
};

}  // namespace larder::service
