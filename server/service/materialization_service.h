#pragma once

#include "server/coordinator/materialization_coordinator.h"
#include "server/service/call_runner.h"
#include "server/service/method.h"

namespace larder::service {

// larder.v1.Materialization as transport-neutral operations: each method hands the
// authenticated call (its permissions, actor and request id) to the MaterializationCoordinator,
// through the same Run path as every other service. Thread-safe.
class MaterializationService : public MethodTable {
 public:
  // `coordinator` and `runner` are not owned and must outlive the service.
  MaterializationService(coordinator::MaterializationCoordinator& coordinator, CallRunner& runner);
};

}  // namespace larder::service
