#include "server/service/call_runner.h"

#include <utility>

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

absl::StatusOr<Reply> CallRunner::Run(
    const CallContext& context, CallStats::Counters& counters,
    absl::FunctionRef<absl::StatusOr<Reply>(const Call&)> operation) const {
  counters.calls.fetch_add(1, std::memory_order_relaxed);
  auto failed = [&](absl::Status status) -> absl::StatusOr<Reply> {
    counters.errors.fetch_add(1, std::memory_order_relaxed);
    return status;
  };
  // The client has given up: doing the work would only load the database.
  if (context.cancelled && context.cancelled()) {
    return failed(absl::CancelledError("call cancelled or deadline exceeded"));
  }
  Call call;
  call.context = &context;
  call.write.request_id = context.request_id.substr(0, 64);
  if (authenticator_ != nullptr) {
    absl::StatusOr<auth::User> user = authenticator_->Authenticate(context.authorization);
    if (!user.ok()) return failed(user.status());
    call.write.actor = user->username;
    call.access = registry::Access(registry_, *std::move(user), default_project_);
  }
  // Writes check permissions inside their own transaction through this pointer; it lives as
  // long as `call`, i.e. for the whole operation.
  if (call.access.user() != nullptr) call.write.access = &call.access;
  absl::StatusOr<Reply> reply = operation(std::as_const(call));
  if (!reply.ok()) counters.errors.fetch_add(1, std::memory_order_relaxed);
  return reply;
}

}  // namespace larder::service
