#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "storage/connection.h"

namespace larder::testing {

// Shared switchboard for FaultyConnection: counts Execute calls and commits across every wrapped
// connection and fails the one whose 1-based number is `fail_at` with `failure` (0 = never).
// With `only_statement` set (before the store is used), only that statement id's calls count,
// so a test can fail e.g. the first "versions.insert" without knowing what runs before it; the
// id kCommit selects commits (Commit and CommitWith).
struct FaultPlan {
  static constexpr const char* kCommit = "commit";

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
  absl::Status CommitImpl() override {
    if (FailsNow(FaultPlan::kCommit)) return Inject();
    return inner_->Commit();
  }
  // The backend's own CommitWith (PostgreSQL and MySQL send the final statements and COMMIT in
  // one round trip). A fault planned here runs the final statements, then fails instead of
  // committing: whatever they wrote must then be rolled back, not committed.
  absl::Status CommitWithImpl(absl::Span<const FinalStatement> statements) override {
    if (!FailsNow(FaultPlan::kCommit)) return inner_->CommitWith(statements);
    for (const FinalStatement& final_statement : statements) {
      absl::StatusOr<storage::SqlResult> result =
          inner_->Execute(*final_statement.statement, final_statement.params);
      if (!result.ok()) return result.status();
    }
    return Inject();
  }
  absl::Status RollbackImpl() override {
    inner_->Rollback();
    return absl::OkStatus();
  }
  absl::StatusOr<storage::SqlResult> ExecuteImpl(
      const storage::Statement& statement, absl::Span<const storage::SqlParam> params) override {
    if (FailsNow(statement.id)) return Inject();
    return inner_->Execute(statement, params);
  }
  absl::Status ExecuteScriptImpl(absl::string_view sql) override {
    return inner_->ExecuteScript(sql);
  }

  // Counts the call (when the plan counts calls with this id) and says whether it is to fail.
  bool FailsNow(absl::string_view id) {
    if (!plan_.only_statement.empty() && id != plan_.only_statement) return false;
    return ++plan_.calls == plan_.fail_at.load();
  }
  absl::Status Inject() {
    ++plan_.injected;
    if (absl::IsUnavailable(plan_.failure)) MarkBroken();
    return plan_.failure;
  }

  std::unique_ptr<storage::Connection> inner_;
  FaultPlan& plan_;
};

}  // namespace larder::testing
