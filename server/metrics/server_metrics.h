#pragma once

#include <string>

#include "server/registry/change_follower.h"
#include "server/registry/registry.h"
#include "server/service/call_runner.h"
#include "server/service/serving_state.h"
#include "server/service/staged_writes.h"
#include "storage/sql_store.h"

namespace larder::metrics {

// What the metrics are read from. Nothing here is copied or sampled in the background: every
// value is read from the counters its owner keeps, at scrape time. All pointers are not owned
// and must outlive the ServerMetrics; any may be null (that part is then not exported).
struct MetricsSources {
  const service::CallStats* calls = nullptr;  // every method of every service
  const storage::SqlStore* store = nullptr;   // the connection pool and transactions
  registry::Registry* registry = nullptr;     // snapshot revision, and the database's
  const registry::ChangeFollower* follower = nullptr;
  const service::StagedWrites* staged = nullptr;
  const service::ServingState* serving = nullptr;
  std::string version;  // for larder_build_info
  std::string backend;
};

// The server's metrics in the Prometheus text format, for whichever front end serves
// /metrics (the HTTP listener calls RenderPrometheusText from its handler). docs/
// operations-observability.md lists every metric. Thread-safe.
class ServerMetrics {
 public:
  explicit ServerMetrics(MetricsSources sources) : sources_(std::move(sources)) {}
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  // One scrape. Reads the database's latest revision (one small read-only transaction) to
  // export the snapshot's lag; when the database cannot be reached larder_database_up is 0 and
  // the lag is left out, and the rest is still exported.
  std::string RenderPrometheusText() const;

 private:
  const MetricsSources sources_;
};

}  // namespace larder::metrics
