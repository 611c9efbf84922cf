#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "server/observability/logger.h"
#include "server/tls/tls_material.h"

namespace larder::tls {

// Keeps the TLS listeners' certificates current without a restart, and never lets a bad set of
// files take a listener down.
//
// It re-reads the operator's files every `check_interval` and at once on Reload() (SIGHUP).
// Files that load and check (TlsMaterial::Read) become the served material; files that do not
// (a rotation half done, a wrong key, a truncated file) are logged and ignored: the previous
// material stays.
//
// The HTTPS listener asks Current() at every handshake. The gRPC listener cannot be handed key
// material directly (gRPC 1.51's public API has no certificate provider that accepts it), so it
// watches a private copy instead: every accepted set is written to a fresh directory under a
// private (0700) staging directory and swapped in atomically through a symlink, and gRPC's
// file watcher re-reads that copy every kGrpcWatchInterval. Only checked files ever reach it.
//
// Thread-safe.
class TlsReloader {
 public:
  // How often gRPC's watcher re-reads the staged copy: at most this long after a reload, the
  // gRPC listener serves the new certificate.
  static constexpr unsigned kGrpcWatchIntervalSeconds = 1;

  struct Options {
    TlsFiles files;
    absl::Duration check_interval = absl::Seconds(10);
    const observability::Logger* logger = nullptr;  // not owned; must outlive this
  };

  // Reads and checks the files (INVALID_ARGUMENT naming the flag when they do not load, as
  // TlsMaterial::Read), stages them, logs what is served and starts checking for changes.
  // The private staging directory is made under $TMPDIR (else /tmp); FAILED_PRECONDITION when
  // it cannot be.
  static absl::StatusOr<std::unique_ptr<TlsReloader>> Start(Options options);
  // Stops checking and removes the staging directory: destroy the gRPC server first.
  ~TlsReloader();
  TlsReloader(const TlsReloader&) = delete;
  TlsReloader& operator=(const TlsReloader&) = delete;

  // Re-reads the files now (`reason` goes in the log line). OK when the files are served (new
  // or unchanged); otherwise the error, logged, and the previous certificate is still served.
  absl::Status Reload(absl::string_view reason);

  // What the listeners serve now.
  std::shared_ptr<const TlsMaterial> Current() const;

  // The staged copy gRPC's file watcher reads (client_ca empty without mutual TLS).
  const TlsFiles& staged() const { return staged_; }

 private:
  TlsReloader(Options options, std::string staging_dir);
  // Writes `material` as the next generation and points the `current` symlink at it.
  absl::Status Stage(const TlsMaterial& material) ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_);
  absl::Status Check(absl::string_view reason, bool quiet_when_unchanged);
  void LogServed(const TlsMaterial& material, absl::string_view reason) const;

  const Options options_;
  const std::string staging_dir_;
  TlsFiles staged_;

  absl::Mutex reload_mu_;  // one reload at a time
  int generation_ ABSL_GUARDED_BY(reload_mu_) = 0;
  std::string last_error_ ABSL_GUARDED_BY(reload_mu_);  // logged once, not every check

  mutable absl::Mutex current_mu_;
  std::shared_ptr<const TlsMaterial> current_ ABSL_GUARDED_BY(current_mu_);

  absl::Notification stop_;
  std::thread checker_;
};

}  // namespace larder::tls
