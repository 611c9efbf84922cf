// larder: a Feast registry server. main() wires every part explicitly: configuration ->
// database store -> registry -> gRPC service -> server, then waits for SIGINT/SIGTERM.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/server_builder.h"
#include "server/auth/jwt_authenticator.h"
#include "server/auth/static_tokens.h"
#include "server/config_log.h"
#include "server/coordinator/job_retention.h"
#include "server/coordinator/materialization_coordinator.h"
#include "server/file_clock.h"
#include "server/grpc/feast/feast_grpc_service.h"
#include "server/grpc/health_service.h"
#include "server/grpc/larder_v1/larder_grpc_service.h"
#include "server/grpc/larder_v1/materialization_grpc_service.h"
#include "server/grpc/open_connections.h"
#include "server/grpc/tls_credentials.h"
#include "server/http/feast_rest_api.h"
#include "server/http/http_server.h"
#include "server/http/larder_rest_api.h"
#include "server/http/materialization_rest_api.h"
#include "server/http/rest_call.h"
#include "server/http/router.h"
#include "server/http/static_files.h"
#include "server/http/ui_routes.h"
#include "server/metrics/server_metrics.h"
#include "server/observability/logger.h"
#include "server/registry/change_follower.h"
#include "server/registry/clock.h"
#include "server/registry/registry.h"
#include "server/server_config.h"
#include "server/service/call_runner.h"
#include "server/service/feast_registry_service.h"
#include "server/service/larder_registry_service.h"
#include "server/service/materialization_service.h"
#include "server/service/serving_state.h"
#include "server/tls/tls_reloader.h"
#include "storage/change_listener.h"
#include "storage/open_store.h"

namespace larder {
namespace {

int Fail(absl::string_view message) {
  std::cerr << "larder: " << message << std::endl;
  return 1;
}

absl::StatusOr<std::unique_ptr<storage::SqlStore>> OpenConfiguredStore(const ServerConfig& config) {
  absl::StatusOr<storage::DatabaseUrl> url = storage::ParseDatabaseUrl(config.db_url);
  if (!url.ok()) return url.status();
  storage::StoreOptions options;
  options.max_connections = config.max_db_connections;
  options.sequence_revisions = config.sequence_revisions;
  return storage::OpenStore(*url, options);
}

// The authenticator the auth flags ask for, or nullptr (no auth). Tokens from the tokens file
// are tried before JWT verification when both are configured.
absl::StatusOr<std::unique_ptr<auth::Authenticator>> ConfiguredAuthenticator(
    const ServerConfig& config) {
  std::vector<std::unique_ptr<auth::Authenticator>> chain;
  if (!config.auth_tokens_file.empty()) {
    auto tokens = auth::LoadStaticTokens(config.auth_tokens_file);
    if (!tokens.ok()) return tokens.status();
    chain.push_back(*std::move(tokens));
  }
  if (!config.auth_jwks_file.empty()) {
    auto jwt = auth::LoadJwks(config.auth_jwks_file,
                              {config.auth_issuer, config.auth_audience, config.auth_client_id});
    if (!jwt.ok()) return jwt.status();
    chain.push_back(*std::move(jwt));
  }
  if (chain.size() <= 1) return chain.empty() ? nullptr : std::move(chain.front());
  return std::make_unique<auth::FirstAcceptingAuthenticator>(std::move(chain));
}

int Migrate(const ServerConfig& config) {
  absl::StatusOr<std::unique_ptr<storage::SqlStore>> store = OpenConfiguredStore(config);
  if (!store.ok()) return Fail(store.status().message());
  absl::StatusOr<storage::SchemaState> state = storage::MigrateStore(**store);
  if (!state.ok()) return Fail(state.status().message());
  std::cout << "larder: schema at version " << state->current_version << std::endl;
  return 0;
}

// Blocks until SIGINT or SIGTERM arrives. The signals are blocked in every thread (the mask is
// set before any thread starts), so this sigwait is the only place they are delivered. SIGHUP
// runs `on_hangup` (the TLS files are re-read at once; the reloader logs what it serves) and is
// noted in the log.
int WaitForTerminationSignal(const sigset_t& signals, const observability::Logger& logger,
                             const ServerConfig& config, const std::function<void()>& on_hangup) {
  while (true) {
    int received = 0;
    sigwait(&signals, &received);
    if (received != SIGHUP) return received;
    logger.Log(observability::LogLevel::kInfo, "SIGHUP received", {{"tls", config.tls_enabled()}});
    if (on_hangup) on_hangup();
  }
}

// Waits up to `timeout` for another termination signal (which cuts a drain short); returns
// whether one came.
bool WaitForSecondSignal(const sigset_t& signals, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    const timespec left = absl::ToTimespec(deadline - absl::Now());
    const int received = sigtimedwait(&signals, nullptr, &left);
    if (received == SIGINT || received == SIGTERM) return true;
  }
  return false;
}

observability::Logger MakeLogger(const ServerConfig& config) {
  const observability::LogFormat format = config.log_format.empty()
                                              ? observability::Logger::DefaultFormat()
                                              : *observability::ParseLogFormat(config.log_format);
  return observability::Logger(format, *observability::ParseLogLevel(config.log_level),
                               observability::Logger::StderrSink());
}

int Serve(const ServerConfig& config, const sigset_t& signals) {
  // The flags were checked by ParseServerConfig, so these parse.
  const observability::Logger logger = MakeLogger(config);
  LogStartupConfig(logger, config);

  // Authentication is configured before the database is touched, so a bad tokens or JWKS file
  // fast.
  absl::StatusOr<std::unique_ptr<auth::Authenticator>> authenticator =
      ConfiguredAuthenticator(config);
  if (!authenticator.ok()) return Fail(authenticator.status().message());

  absl::StatusOr<std::unique_ptr<storage::SqlStore>> store = OpenConfiguredStore(config);
  if (!store.ok()) return Fail(store.status().message());
  absl::StatusOr<storage::SchemaState> schema =
      storage::PrepareStoreSchema(**store, config.migrate);
  if (!schema.ok()) return Fail(schema.status().message());

  // Listening starts before the snapshot is first loaded, so no change falls between the two.
  // --cache-poll-ms=0 (no following at all) needs no listener.
  std::unique_ptr<storage::ChangeListener> listener;
  if (config.cache_poll_ms > 0) {
    absl::StatusOr<storage::DatabaseUrl> url = storage::ParseDatabaseUrl(config.db_url);
    if (url.ok()) listener = storage::OpenChangeListener(*url);
  }

  registry::SystemClock system_clock;
  std::unique_ptr<FileClock> file_clock;
  if (!config.clock_file.empty()) file_clock = std::make_unique<FileClock>(config.clock_file);
  registry::Clock& clock =
      file_clock != nullptr ? static_cast<registry::Clock&>(*file_clock) : system_clock;
  registry::Registry registry(**store, clock);
  service::ServingState serving;
  service::CallRunner runner(registry, authenticator->get(), config.default_project,
                             {.logger = &logger,
                              .slow_call = absl::Milliseconds(config.slow_call_ms),
                              .serving = &serving});
  service::StagedWrites staged_writes(
      {.enabled = config.staged_apply,
       .idle_timeout = absl::Seconds(config.staged_apply_timeout_s)});
  service::FeastRegistryService feast_service(registry, runner, staged_writes);
  service::LarderRegistryService larder_service(registry, runner,
                                                {.server_version = LARDER_VERSION,
                                                 .backend = std::string((*store)->backend_name()),
                                                 .schema_version = schema->current_version,
                                                 .staged = &staged_writes});
  coordinator::MaterializationCoordinator materialization(registry, **store, clock);
  service::MaterializationService materialization_service(materialization, runner);
  coordinator::JobRetention job_retention(registry);
  // As many workers as database connections: more would only queue on the connection pool.
  // Declared after the services they call into, so it is joined before they go.
  grpc_edge::WorkerPool workers(config.max_db_connections);
  grpc_edge::FeastGrpcService service(feast_service, config.max_message_bytes, workers);
  registry::ChangeFollower follower(registry, listener.get(),
                                    {.poll = absl::Milliseconds(config.cache_poll_ms)});
  // A local write wakes the follower, so watchers on this replica hear of it at once.
  registry.SetLocalWriteObserver([&follower] { follower.Wake(); });
  grpc_edge::LarderGrpcService larder_v1(larder_service, config.max_message_bytes, workers,
                                         config.cache_poll_ms > 0 ? &follower : nullptr, serving);
  grpc_edge::MaterializationGrpcService materialization_v1(materialization_service,
                                                           config.max_message_bytes, workers);
  grpc_edge::HealthService health;
  // The HTTP listener serves this as /metrics and `serving.ready()` as /readyz.
  const metrics::ServerMetrics metrics({.calls = &runner.stats(),
                                        .store = store->get(),
                                        .registry = &registry,
                                        .follower = config.cache_poll_ms > 0 ? &follower : nullptr,
                                        .staged = &staged_writes,
                                        .serving = &serving,
                                        .version = LARDER_VERSION,
                                        .backend = std::string((*store)->backend_name())});

  // One reloader serves the TLS files to both listeners (and outlives them both).
  std::shared_ptr<tls::TlsReloader> tls_files;
  if (config.tls_enabled()) {
    absl::StatusOr<std::unique_ptr<tls::TlsReloader>> started =
        tls::TlsReloader::Start({.files = {.certificate_chain = config.tls_cert_file,
                                           .private_key = config.tls_key_file,
                                           .client_ca = config.tls_client_ca_file},
                                 .check_interval = absl::Seconds(config.tls_reload_interval_s),
                                 .logger = &logger});
    if (!started.ok()) return Fail(started.status().message());
    tls_files = *std::move(started);
  }

  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  std::shared_ptr<grpc::ServerCredentials> credentials =
      tls_files != nullptr ? grpc_edge::TlsServerCredentials(*tls_files)
                           : grpc::InsecureServerCredentials();
  builder.AddListeningPort(config.listen_address, credentials, &port);
  // Without this gRPC binds with SO_REUSEPORT, and a second server on a taken port would
  // silently share it instead of failing.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // The service itself refuses requests over the limit with INVALID_ARGUMENT and a message that
  // names it; the transport lets twice as much through so that check is what clients see, and
  // cuts off anything larger (RESOURCE_EXHAUSTED) before it is buffered.
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(std::min<size_t>(2 * config.max_message_bytes, INT_MAX)));
  builder.SetMaxSendMessageSize(static_cast<int>(config.max_message_bytes));
  builder.RegisterService(&service);
  builder.RegisterService(&larder_v1);
  builder.RegisterService(&materialization_v1);
  builder.RegisterService(&health);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return Fail(absl::StrCat("cannot listen on ", config.listen_address,
                             " (address in use, or not a valid host:port)"));
  }
  health.SetServing(true);
  serving.MarkServing();
  const std::string host = config.listen_address.substr(0, config.listen_address.rfind(':'));
  // Tests and scripts read this line to learn the port when --addr asks for port 0.
  std::cout << "larder: serving feast.registry.RegistryServer on " << host << ":" << port
            << " (database " << (*store)->backend_name() << ", schema version "
            << schema->current_version << ")" << std::endl;

  // The HTTP listener (Feast's REST API, probes, /metrics) serves through the same service
  // layer as gRPC; it starts once gRPC is up so /readyz never reports a half-started server.
  http::RestCaller rest_caller(feast_service, registry);
  http::Router http_routes;
  http::AddFeastRestApi(http_routes, rest_caller);
  // Larder's own history and change feed (the web UI's History tab and Changes page).
  http::RestCaller larder_rest_caller(larder_service, registry);
  http::AddLarderRestApi(http_routes, larder_rest_caller);
  // Materialization jobs: list, show, plan and cancel (workers lease over gRPC).
  http::RestCaller materialization_rest_caller(materialization_service, registry);
  http::AddMaterializationRestApi(http_routes, materialization_rest_caller);
  const std::string ui_dir = config.ui_dir.empty() ? LARDER_UI_DEFAULT_DIR : config.ui_dir;
  std::optional<http::StaticFiles> ui = http::StaticFiles::Open(ui_dir);
  if (!ui.has_value() && !config.ui_dir.empty()) {
    return Fail(absl::StrCat("--ui-dir ", config.ui_dir, " is not a folder"));
  }
  http::AddUiRoutes(http_routes, rest_caller, ui.has_value() ? &*ui : nullptr);
  std::unique_ptr<http::HttpServer> http_server;
  std::shared_ptr<http::TlsCertificates> http_tls;
  if (!config.http_address.empty()) {
    http::HttpServer::Options http_options;
    if (tls_files != nullptr) {
      // The same files as the gRPC listener: one certificate for both ports.
      http_tls = std::make_shared<http::TlsCertificates>(tls_files);
      http_options.tls = http_tls;
    }
    http_options.address = config.http_address;
    http_options.cors_origins = config.http_cors_origins;
    http_options.ready = [&serving] { return serving.ready(); };
    http_options.metrics_text = [&metrics] { return metrics.RenderPrometheusText(); };
    http_server = std::make_unique<http::HttpServer>(std::move(http_options), http_routes);
    if (absl::Status started = http_server->Start(); !started.ok()) {
      server->Shutdown();
      return Fail(started.message());
    }
    const std::string http_host = config.http_address.substr(0, config.http_address.rfind(':'));
    std::cout << "larder: HTTP listening on " << (http_host.empty() ? "0.0.0.0" : http_host) << ":"
              << http_server->port() << (http_tls != nullptr ? " with TLS" : "")
              << " (REST API under /api/v1, /metrics, /healthz)" << std::endl;
  }

  // Other replicas' writes reach this replica's snapshot through the change log.
  if (config.cache_poll_ms > 0) follower.Start();

  // Housekeeping: discards what clients staged (commit=false) and will never commit (their
  // connection closed, or they went idle past the timeout), and applies history retention of
  // the change log and of finished materialization jobs.
  absl::Notification stopping;
  std::thread housekeeping([&] {
    absl::Time next_compaction = absl::Now();
    absl::Time next_job_sweep = absl::Now();
    while (!stopping.WaitForNotificationWithTimeout(absl::Seconds(2))) {
      if (config.materialization_job_retention > absl::ZeroDuration() &&
          absl::Now() >= next_job_sweep) {
        const absl::Time started = absl::Now();
        next_job_sweep = started + absl::Seconds(config.materialization_job_sweep_interval_s);
        absl::StatusOr<int64_t> swept =
            job_retention.Sweep(clock.Now() - config.materialization_job_retention);
        if (!swept.ok()) {
          std::cerr << "larder: materialization job retention failed (will retry): "
                    << swept.status().message() << std::endl;
        } else if (*swept > 0) {
          std::cout << "larder: removed " << *swept << " materialization jobs finished over "
                    << absl::FormatDuration(config.materialization_job_retention) << " ago (in "
                    << absl::FormatDuration(absl::Now() - started) << ")" << std::endl;
        }
      }
      if (config.history_retention > absl::ZeroDuration() && absl::Now() >= next_compaction) {
        next_compaction = absl::Now() + absl::Seconds(config.history_compact_interval_s);
        absl::StatusOr<registry::Registry::Compaction> compacted =
            registry.CompactHistory(clock.Now() - config.history_retention);
        if (!compacted.ok()) {
          std::cerr << "larder: history compaction failed (will retry): "
                    << compacted.status().message() << std::endl;
        } else if (compacted->removed > 0) {
          std::cout << "larder: history compacted through revision " << compacted->horizon << " ("
                    << compacted->removed << " entries removed)" << std::endl;
        }
      }
      if (staged_writes.sessions() == 0) continue;
      const absl::Time now = absl::Now();  // before the connections are listed
      std::optional<std::set<std::string>> open = grpc_edge::OpenConnectionPeers();
      std::function<bool(absl::string_view)> connection_open;
      if (open.has_value()) {
        connection_open = [&](absl::string_view peer) {
          return open->count(std::string(peer)) > 0;
        };
      }
      staged_writes.Expire(now, connection_open);
    }
  });

  const int signal_number = WaitForTerminationSignal(signals, logger, config, [&tls_files] {
    // The reloader logs what it loaded, or why it kept the previous certificate.
    if (tls_files != nullptr) tls_files->Reload("SIGHUP").IgnoreError();
  });
  std::cout << "larder: received signal " << signal_number << ", shutting down" << std::endl;
  // Drain: report NOT_SERVING (health, readiness) but keep answering, so load balancers and
  // clients move away before calls are refused. A second signal cuts the wait short; SIGINT
  // (someone at a terminal) skips it.
  serving.StartDraining();
  health.SetServing(false);
  const int drain_seconds = signal_number == SIGINT ? 0 : config.drain_seconds;
  logger.Log(observability::LogLevel::kInfo, "draining",
             {{"signal", signal_number}, {"drain_seconds", drain_seconds}});
  if (drain_seconds > 0) WaitForSecondSignal(signals, absl::Seconds(drain_seconds));
  // Then: new calls and watch streams are answered UNAVAILABLE (clients retry, or resume from
  // their last revision, elsewhere; the follower's wake delivers the news to every stream), the
  // listener closes, and calls already running get the grace period to finish.
  serving.BeginStopping();
  follower.Wake();
  if (http_server != nullptr) http_server->Stop();
  health.Shutdown();
  logger.Log(observability::LogLevel::kInfo, "stopping",
             {{"shutdown_grace_seconds", config.shutdown_grace_seconds}});
  server->Shutdown(std::chrono::system_clock::now() +
                   std::chrono::seconds(config.shutdown_grace_seconds));
  server->Wait();
  stopping.Notify();
  housekeeping.join();
  follower.Stop();
  store->reset();
  logger.Log(observability::LogLevel::kInfo, "stopped");
  std::cout << "larder: stopped" << std::endl;
  return 0;
}

}  // namespace
}  // namespace larder

int main(int argc, char** argv) {
#ifdef NDEBUG
  // Debian's abseil checks every mutex acquisition (gRPC's own included) for lock-order cycles,
  // abseil's debug default; that costs release builds 10-15 % of read throughput.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  // Block termination signals before any thread exists so all threads inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<larder::ServerConfig> config = larder::ParseServerConfig(
      args, [](const char* name) -> const char* { return std::getenv(name); });
  if (!config.ok()) {
    std::cerr << "larder: " << config.status().message() << "\n\n" << larder::UsageText();
    return 2;
  }
  switch (config->command) {
    case larder::Command::kHelp:
      std::cout << larder::UsageText();
      return 0;
    case larder::Command::kMigrate:
      return larder::Migrate(*config);
    case larder::Command::kServe:
      return larder::Serve(*config, signals);
  }
  return 2;
}
