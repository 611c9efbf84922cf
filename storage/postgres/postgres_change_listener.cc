#include "storage/postgres/postgres_change_listener.h"

#include <pqxx/pqxx>

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "storage/postgres/postgres_errors.h"

namespace larder::storage {
namespace {

// The channel of Dialect::change_notify_sql in postgres_connection.cc.
constexpr char kChannel[] = "larder_changes";
// Reconnection back-off: a database outage costs one connection attempt (and one error for the
// caller to log) per delay, not one per poll tick.
constexpr absl::Duration kFirstRetryDelay = absl::Seconds(1);
constexpr absl::Duration kMaxRetryDelay = absl::Seconds(30);

// Registering it makes libpqxx send LISTEN. It does nothing itself: await_notification's count
// of processed notifications is all WaitForChange needs.
class ChannelReceiver : public pqxx::notification_receiver {
 public:
  explicit ChannelReceiver(pqxx::connection_base& connection)
      : pqxx::notification_receiver(connection, kChannel) {}
  void operator()(const std::string&, int) override {}
};

// Not thread-safe (see ChangeListener).
class PostgresChangeListener : public ChangeListener {
 public:
  explicit PostgresChangeListener(DatabaseUrl url) : url_(std::move(url)) {}
  ~PostgresChangeListener() override { Drop(); }

  // Connects and LISTENs. On failure returns UNAVAILABLE and schedules the next attempt.
  absl::Status Connect() {
    absl::Status status;
    try {
      connection_ = std::make_unique<pqxx::connection>(url_.original);
    } catch (const std::exception& e) {
      // libpq's own text never contains the password.
      status =
          absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL at ", url_.Redacted(),
                                              " for change notifications: ", e.what()));
    }
    if (status.ok()) {
      status = Guard("listen for changes", [&] {
        receiver_ = std::make_unique<ChannelReceiver>(*connection_);
        // libpqxx swallows a connection lost during LISTEN: make sure the session survived it.
        backend_pid_ = connection_->backendpid();
        if (!connection_->is_open() || backend_pid_ == 0) throw pqxx::broken_connection();
      });
    }
    if (!status.ok()) {
      Drop();
      next_attempt_ = absl::Now() + retry_delay_;
      retry_delay_ = std::min(2 * retry_delay_, kMaxRetryDelay);
      last_error_ = status;
      return status;
    }
    connected_at_ = absl::Now();
    return absl::OkStatus();
  }

  absl::StatusOr<bool> WaitForChange(absl::Duration timeout) override {
    if (connection_ == nullptr) {
      if (absl::Now() < next_attempt_) {
        return last_error_;  // retried once the back-off has passed
      }
      if (absl::Status status = Connect(); !status.ok()) return status;
      return true;  // changes committed while disconnected were not heard
    }
    int notifications = 0;
    absl::Status status = Guard("wait for changes", [&] {
      const int64_t micros = std::max<int64_t>(0, absl::ToInt64Microseconds(timeout));
      notifications = connection_->await_notification(static_cast<long>(micros / 1'000'000),
                                                      static_cast<long>(micros % 1'000'000));
    });
    if (!status.ok()) {
      // A session killed on its own (idle reaper, pg_terminate_backend, a fail-over) is replaced
      // at once and silently, like a pooled connection; only a database that cannot be reached
      // is reported, and then retried with back-off.
      // A session that dies as soon as it is made gets the back-off instead, so a flapping
      // server is not reconnected to in a tight loop.
      const bool lived = absl::Now() - connected_at_ >= kFirstRetryDelay;
      Drop();
      if (!lived) {
        next_attempt_ = absl::Now() + retry_delay_;
        retry_delay_ = std::min(2 * retry_delay_, kMaxRetryDelay);
        last_error_ = status;
        return status;
      }
      retry_delay_ = kFirstRetryDelay;  // that session was healthy: start the back-off afresh
      if (absl::Status reconnected = Connect(); !reconnected.ok()) return reconnected;
      return true;  // changes committed while reconnecting were not heard
    }
    if (const int pid = connection_->backendpid(); pid != backend_pid_) {
      // libpqxx reconnected (and listens again) by itself: what came in between was not heard.
      backend_pid_ = pid;
      return true;
    }
    return notifications > 0;
  }

 private:
  // Forgets the connection without a round trip: closing it first keeps the receiver's
  // destructor from sending UNLISTEN (the server drops the session's LISTENs with it).
  void Drop() {
    if (connection_ != nullptr) connection_->disconnect();
    receiver_.reset();
    connection_.reset();
    backend_pid_ = 0;
  }

  const DatabaseUrl url_;
  std::unique_ptr<pqxx::connection> connection_;  // null while disconnected
  std::unique_ptr<ChannelReceiver> receiver_;     // registered on connection_; destroyed first
  int backend_pid_ = 0;  // the session that LISTENs, to notice a silent reconnection
  absl::Duration retry_delay_ = kFirstRetryDelay;
  absl::Time next_attempt_ = absl::InfinitePast();
  absl::Time connected_at_ = absl::InfinitePast();
  absl::Status last_error_;  // why connection_ is null, for callers between attempts
};

}  // namespace

std::unique_ptr<ChangeListener> OpenPostgresChangeListener(const DatabaseUrl& url) {
  auto listener = std::make_unique<PostgresChangeListener>(url);
  // A failure is reported by WaitForChange, which retries.
  listener->Connect().IgnoreError();
  return listener;
}

}  // namespace larder::storage
