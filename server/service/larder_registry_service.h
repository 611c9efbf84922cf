#pragma once

#include <vector>

#include "server/registry/registry.h"
#include "server/service/call_runner.h"
#include "server/service/method.h"

namespace larder::service {

// larder.v1.Registry as transport-neutral operations: ApplyBatch (all-or-nothing batches with
// expected versions, dry runs and pruning), ListChanges and GetObjectHistory (the change log,
// filtered by the caller's Feast DESCRIBE permission). Same Run path, authentication and
// permission checks as Feast's service. Thread-safe.
class LarderRegistryService : public MethodTable {
 public:
  // `registry` and `runner` are not owned and must outlive the service.
  LarderRegistryService(registry::Registry& registry, CallRunner& runner);
};

}  // namespace larder::service
