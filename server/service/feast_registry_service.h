#pragma once

#include <vector>

#include "server/registry/coalesced_appends.h"
#include "server/registry/registry.h"
#include "server/service/call_runner.h"
#include "server/service/method.h"
#include "server/service/staged_writes.h"

namespace larder::service {

// Feast's feast.registry.RegistryServer as transport-neutral operations: every method of the
// proto, each with its Feast permission check and Feast's filters, answered from the Registry.
// Reads the stored bytes already answer (Get<Kind>, plain List<Kind>, Proto) reply with those
// bytes when no permission filtering applies. Thread-safe.
class FeastRegistryService : public MethodTable {
 public:
  // `registry`, `runner` and `staged` are not owned and must outlive the service; the methods'
  // counters are registered in `runner.stats()` (so construct this before serving). Writes sent
  // with commit=false are held in `staged` until their session commits (StagedWrites).
  FeastRegistryService(registry::Registry& registry, CallRunner& runner, StagedWrites& staged);

 private:
  // ApplyMaterialization calls to one view, merged into shared transactions.
  registry::CoalescedAppends appends_;
};

}  // namespace larder::service
