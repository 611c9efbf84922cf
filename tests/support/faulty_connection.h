#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "storage/connection.h"

namespace larder::testing {

// Shared switchboard for FaultyConnection: counts Execute calls across every wrapped connection
// and fails the one whose 1-based number is `fail_at` with `failure` (0 = never). With
// `only_statement` set (before the store is used), only that statement id's calls count, so a
// test can fail e.g. the first "versions.insert" without knowing what runs before it.
struct FaultPlan {
  std::atomic<int> calls{0};
  std::atomic<int> fail_at{0};
  absl::Status failure = absl::AbortedError("injected fault");
  std::atomic<int> injected{0};
  std::string only_statement;
};

// Wraps a real connection and injects the planned failure (LevelDB's ErrorEnv idea), to test
// rollback and retry against a real database. Not thread-safe, like any Connection.
class FaultyConnection : public storage::Connection {
 public:
  // `plan` is shared by every connection of one store and must outlive them.
  FaultyConnection(std::unique_ptr<storage::Connection> inner, FaultPlan& plan)
      : inner_(std::move(inner)), plan_(plan) {}

 private:
  absl::Status BeginImpl(storage::TxMode mode) override { return inner_->Begin(mode); }
  absl::Status CommitImpl() override { return inner_->Commit(); }
  absl::Status RollbackImpl() override {
    inner_->Rollback();
    return absl::OkStatus();
  }
  absl::StatusOr<storage::SqlResult> ExecuteImpl(
      const storage::Statement& statement,
      absl::Span<const storage::SqlParam> params) override {
    if (!plan_.only_statement.empty() && statement.id != plan_.only_statement) {
      return inner_->Execute(statement, params);
    }
    const int call = ++plan_.calls;
    if (call == plan_.fail_at.load()) {
      ++plan_.injected;
      if (absl::IsUnavailable(plan_.failure)) MarkBroken();
      return plan_.failure;
    }
    return inner_->Execute(statement, params);
  }
  absl::Status ExecuteScriptImpl(absl::string_view sql) override {
    return inner_->ExecuteScript(sql);
  }

  std::unique_ptr<storage::Connection> inner_;
  FaultPlan& plan_;
};

}  // namespace larder::testing
