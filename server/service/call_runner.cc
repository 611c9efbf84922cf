#include "server/service/call_runner.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/time/clock.h"

namespace larder::service {

CallStats::Counters& CallStats::Register(const std::string& method) {
  std::unique_ptr<Counters>& counters = counters_[method];
  if (counters == nullptr) counters = std::make_unique<Counters>();
  return *counters;
}

const CallStats::Counters* CallStats::Find(const std::string& method) const {
  auto it = counters_.find(method);
  return it == counters_.end() ? nullptr : it->second.get();
}

void CallStats::ForEach(
    const std::function<void(const std::string& method, const Counters&)>& visit) const {
  for (const auto& [method, counters] : counters_) visit(method, *counters);
}

namespace {

// Codes that say the server (or its database) failed rather than the request being wrong.
bool ServerFault(absl::StatusCode code) {
  return code == absl::StatusCode::kInternal || code == absl::StatusCode::kUnknown ||
         code == absl::StatusCode::kDataLoss;
}

}  // namespace

absl::StatusOr<Reply> CallRunner::Run(
    const CallContext& context, CallStats::Counters& counters, absl::string_view project,
    absl::FunctionRef<absl::StatusOr<Reply>(const Call&)> operation) const {
  const absl::Time start = absl::Now();
  CallStats::FrontEndCounters& mine = counters.of(context.front_end);
  mine.calls.fetch_add(1, std::memory_order_relaxed);
  mine.in_flight.fetch_add(1, std::memory_order_relaxed);
  std::string actor = context.transport_identity;
  // Every way out of the call passes here: counted and logged once.
  auto finish = [&](absl::StatusOr<Reply> reply) -> absl::StatusOr<Reply> {
    const absl::Duration latency = absl::Now() - start;
    const absl::Status& status = reply.status();
    const auto code = static_cast<size_t>(status.code());
    if (code < mine.finished_by_code.size()) {
      mine.finished_by_code[code].fetch_add(1, std::memory_order_relaxed);
    }
    mine.latency.Record(latency);
    mine.in_flight.fetch_sub(1, std::memory_order_relaxed);
    LogCall(context, project, actor, status, latency, /*stream=*/false);
    return reply;
  };
  // The server is shutting down: the client should take the call to another replica.
  if (options_.serving != nullptr && options_.serving->stopping()) {
    return finish(absl::UnavailableError("server shutting down; retry on another replica"));
  }
  // The client has given up: doing the work would only load the database.
  if (context.cancelled && context.cancelled()) {
    return finish(absl::CancelledError("call cancelled or deadline exceeded"));
  }
  Call call;
  call.context = &context;
  call.write.request_id = context.request_id.substr(0, 64);
  call.write.actor = context.transport_identity;
  if (authenticator_ != nullptr) {
    auth::User user;
    if (context.authorization.empty() && !context.transport_identity.empty()) {
      // A verified client certificate and no token: the certificate's subject is the caller
      // (docs/auth.md); it holds no roles, so only permissions open to every caller admit it.
      user.username = context.transport_identity;
    } else {
      absl::StatusOr<auth::User> verified = authenticator_->Authenticate(context.authorization);
      if (!verified.ok()) return finish(verified.status());
      user = *std::move(verified);
    }
    call.write.actor = user.username;
    actor = user.username;
    call.access = registry::Access(registry_, std::move(user), default_project_);
  }
  // Writes check permissions inside their own transaction through this pointer; it lives as
  // long as `call`, i.e. for the whole operation.
  if (call.access.user() != nullptr) call.write.access = &call.access;
  return finish(operation(std::as_const(call)));
}

void CallRunner::StreamStarted(const CallContext& context, CallStats::Counters& counters) const {
  counters.of(context.front_end).open_streams.fetch_add(1, std::memory_order_relaxed);
}

void CallRunner::StreamEnded(const CallContext& context, CallStats::Counters& counters,
                             absl::string_view project, const absl::Status& status,
                             absl::Duration duration) const {
  counters.of(context.front_end).open_streams.fetch_sub(1, std::memory_order_relaxed);
  LogCall(context, project, context.transport_identity, status, duration, /*stream=*/true);
}

void CallRunner::LogCall(const CallContext& context, absl::string_view project,
                         absl::string_view actor, const absl::Status& status,
                         absl::Duration latency, bool stream) const {
  const observability::Logger* logger = options_.logger;
  if (logger == nullptr) return;
  const bool slow = !stream && !context.stream_read && latency >= options_.slow_call;
  observability::LogLevel level = observability::LogLevel::kInfo;
  if (context.stream_read) {
    level = observability::LogLevel::kDebug;
  } else if (ServerFault(status.code())) {
    level = observability::LogLevel::kError;
  } else if (slow || status.code() == absl::StatusCode::kUnavailable) {
    level = observability::LogLevel::kWarning;
  }
  if (!logger->enabled(level)) return;
  const std::string code = absl::StatusCodeToString(status.code());
  const double latency_ms = absl::ToDoubleMilliseconds(latency);
  // The status message is what the client was told (never database text: the service layer
  // keeps that out of statuses), so it is safe to log.
  logger->Log(level, stream ? "stream" : "call",
              {{"method", context.method},
               {"front_end", FrontEndName(context.front_end)},
               {"project", project},
               {"code", code},
               {"error", status.message()},
               {"latency_ms", latency_ms},
               {"request_id", context.request_id},
               {"actor", actor},
               {"peer", context.peer},
               {"slow", slow}});
}

}  // namespace larder::service
