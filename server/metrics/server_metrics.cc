#include "server/metrics/server_metrics.h"

#include <array>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "server/observability/process_stats.h"
#include "server/observability/prometheus_text.h"

namespace larder::metrics {
namespace {

using observability::PrometheusText;
using Type = PrometheusText::Type;
using Labels = PrometheusText::Labels;

constexpr std::array<service::FrontEnd, service::kFrontEndCount> kFrontEnds = {
    service::FrontEnd::kGrpc, service::FrontEnd::kHttp};

void CallMetrics(PrometheusText& out, const service::CallStats& calls) {
  // Per-method series are written only for methods that were called on that front end, so an
  // idle server exports a few lines instead of ~70 methods times every series.
  auto each_called = [&](auto&& write) {
    calls.ForEach([&](const std::string& method, const service::CallStats::Counters& counters) {
      for (service::FrontEnd front_end : kFrontEnds) {
        const service::CallStats::FrontEndCounters& c = counters.of(front_end);
        if (c.calls.load(std::memory_order_relaxed) == 0) continue;
        write(Labels{{"front_end", service::FrontEndName(front_end)}, {"method", method}}, c);
      }
    });
  };
  out.Family("larder_calls_started_total", Type::kCounter,
             "Calls started, per front end and method (server-stream reads included).");
  each_called([&](const Labels& labels, const service::CallStats::FrontEndCounters& c) {
    out.Sample(labels, static_cast<double>(c.calls.load(std::memory_order_relaxed)));
  });
  out.Family("larder_calls_handled_total", Type::kCounter,
             "Calls finished, per front end, method and status code (OK or the error).");
  each_called([&](const Labels& labels, const service::CallStats::FrontEndCounters& c) {
    for (size_t code = 0; code < c.finished_by_code.size(); ++code) {
      const int64_t n = c.finished_by_code[code].load(std::memory_order_relaxed);
      if (n == 0) continue;
      Labels with_code = labels;
      with_code.emplace_back("code", absl::StatusCodeToString(static_cast<absl::StatusCode>(code)));
      out.Sample(with_code, static_cast<double>(n));
    }
  });
  out.Family("larder_call_duration_seconds", Type::kHistogram,
             "Time from a call entering the service layer to its answer, per front end and "
             "method.");
  each_called([&](const Labels& labels, const service::CallStats::FrontEndCounters& c) {
    out.Histogram(labels, c.latency);
  });

  std::array<int64_t, service::kFrontEndCount> in_flight{}, streams{};
  calls.ForEach([&](const std::string&, const service::CallStats::Counters& counters) {
    for (service::FrontEnd front_end : kFrontEnds) {
      const auto i = static_cast<size_t>(front_end);
      in_flight[i] += counters.of(front_end).in_flight.load(std::memory_order_relaxed);
      streams[i] += counters.of(front_end).open_streams.load(std::memory_order_relaxed);
    }
  });
  out.Family("larder_calls_in_flight", Type::kGauge, "Calls being answered now, per front end.");
  for (service::FrontEnd front_end : kFrontEnds) {
    out.Sample({{"front_end", service::FrontEndName(front_end)}},
               static_cast<double>(in_flight[static_cast<size_t>(front_end)]));
  }
  out.Family("larder_watch_streams_open", Type::kGauge,
             "WatchChanges streams open now, per front end.");
  for (service::FrontEnd front_end : kFrontEnds) {
    out.Sample({{"front_end", service::FrontEndName(front_end)}},
               static_cast<double>(streams[static_cast<size_t>(front_end)]));
  }
}

void StoreMetrics(PrometheusText& out, const storage::SqlStore& store) {
  const storage::ConnectionPool::Stats pool = store.pool_stats();
  out.Family("larder_db_pool_connections_max", Type::kGauge,
             "Size of the database connection pool (--db-connections).");
  out.Sample({}, pool.max);
  out.Family("larder_db_pool_connections_open", Type::kGauge,
             "Database connections open (idle or in use).");
  out.Sample({}, pool.open);
  out.Family("larder_db_pool_connections_in_use", Type::kGauge,
             "Database connections lent to a transaction now.");
  out.Sample({}, pool.in_use);
  out.Family("larder_db_pool_acquires_total", Type::kCounter, "Connections taken from the pool.");
  out.Sample({}, static_cast<double>(pool.acquires));
  out.Family("larder_db_pool_waits_total", Type::kCounter,
             "Times every connection was in use and a transaction had to wait for one.");
  out.Sample({}, static_cast<double>(pool.waits));
  out.Family("larder_db_pool_wait_seconds_total", Type::kCounter,
             "Time transactions spent waiting for a pooled connection.");
  out.Sample({}, pool.wait_seconds);

  const storage::TransactionStats& tx = store.transaction_stats();
  out.Family("larder_db_transactions_total", Type::kCounter,
             "Database transactions, by mode and outcome (after retries).");
  for (size_t mode = 0; mode < 2; ++mode) {
    const char* mode_name = mode == 0 ? "read_only" : "read_write";
    out.Sample({{"mode", mode_name}, {"outcome", "committed"}},
               static_cast<double>(tx.committed[mode].load(std::memory_order_relaxed)));
    out.Sample({{"mode", mode_name}, {"outcome", "failed"}},
               static_cast<double>(tx.failed[mode].load(std::memory_order_relaxed)));
  }
  out.Family("larder_db_transaction_retries_total", Type::kCounter,
             "Transaction attempts repeated after the database answered ABORTED "
             "(serialization failure, deadlock, busy).");
  out.Sample({}, static_cast<double>(tx.aborted_retries.load(std::memory_order_relaxed)));
  out.Family("larder_db_commit_duration_seconds", Type::kHistogram, "Time of read-write COMMITs.");
  out.Histogram({}, tx.commit_latency);
}

void RegistryMetrics(PrometheusText& out, registry::Registry& registry,
                     const registry::ChangeFollower* follower) {
  const int64_t snapshot = registry.SnapshotRevision();
  absl::StatusOr<int64_t> current = registry.CurrentRevision();
  out.Family("larder_database_up", Type::kGauge,
             "Whether the last read of the database's revision (at this scrape) succeeded.");
  out.Sample({}, current.ok() ? 1 : 0);
  out.Family("larder_snapshot_revision", Type::kGauge,
             "Registry revision the in-memory snapshot (allow_cache reads) is at.");
  out.Sample({}, static_cast<double>(snapshot));
  if (current.ok()) {
    out.Family("larder_database_revision", Type::kGauge,
               "Latest revision committed to the database, by any replica.");
    out.Sample({}, static_cast<double>(*current));
    out.Family("larder_snapshot_lag_revisions", Type::kGauge,
               "Revisions the snapshot is behind the database.");
    out.Sample({}, static_cast<double>(*current > snapshot ? *current - snapshot : 0));
  }
  if (follower != nullptr) {
    const absl::Time last = follower->last_catch_up();
    if (last > absl::UnixEpoch()) {
      out.Family("larder_change_follower_last_catch_up_age_seconds", Type::kGauge,
                 "Seconds since the change follower last brought the snapshot up to date.");
      out.Sample({}, absl::ToDoubleSeconds(absl::Now() - last));
    }
  }
}

void ProcessMetrics(PrometheusText& out) {
  std::optional<observability::ProcessStats> stats = observability::ReadProcessStats();
  if (!stats.has_value()) return;
  out.Family("process_cpu_seconds_total", Type::kCounter, "User and system CPU time spent.");
  out.Sample({}, stats->cpu_seconds);
  out.Family("process_resident_memory_bytes", Type::kGauge, "Resident memory size.");
  out.Sample({}, static_cast<double>(stats->resident_bytes));
  out.Family("process_virtual_memory_bytes", Type::kGauge, "Virtual memory size.");
  out.Sample({}, static_cast<double>(stats->virtual_bytes));
  out.Family("process_open_fds", Type::kGauge, "Open file descriptors.");
  out.Sample({}, static_cast<double>(stats->open_fds));
  out.Family("process_max_fds", Type::kGauge, "Limit on open file descriptors.");
  out.Sample({}, static_cast<double>(stats->max_fds));
  out.Family("process_threads", Type::kGauge, "Threads of the process.");
  out.Sample({}, static_cast<double>(stats->threads));
  if (stats->start_time_seconds > 0) {
    out.Family("process_start_time_seconds", Type::kGauge,
               "Start time of the process since the Unix epoch.");
    out.Sample({}, stats->start_time_seconds);
  }
}

}  // namespace

std::string ServerMetrics::RenderPrometheusText() const {
  PrometheusText out;
  out.Family("larder_build_info", Type::kGauge, "Larder's version and database backend.");
  out.Sample({{"version", sources_.version}, {"backend", sources_.backend}}, 1);
  if (sources_.serving != nullptr) {
    out.Family("larder_ready", Type::kGauge,
               "1 while the server takes new traffic; 0 while starting or draining.");
    out.Sample({}, sources_.serving->ready() ? 1 : 0);
    out.Family("larder_draining", Type::kGauge, "1 once SIGTERM started the drain.");
    out.Sample({}, sources_.serving->draining() ? 1 : 0);
  }
  if (sources_.calls != nullptr) CallMetrics(out, *sources_.calls);
  if (sources_.store != nullptr) StoreMetrics(out, *sources_.store);
  if (sources_.registry != nullptr) RegistryMetrics(out, *sources_.registry, sources_.follower);
  if (sources_.staged != nullptr) {
    out.Family("larder_staged_apply_sessions", Type::kGauge,
               "Feast applies (commit=false writes) staged and waiting for their commit.");
    out.Sample({}, static_cast<double>(sources_.staged->sessions()));
    out.Family("larder_staged_apply_writes", Type::kGauge, "Writes held in staged Feast applies.");
    out.Sample({}, static_cast<double>(sources_.staged->held_writes()));
  }
  ProcessMetrics(out);
  return out.Take();
}

}  // namespace larder::metrics
