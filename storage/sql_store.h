#pragma once

#include <memory>
#include "absl/strings/string_view.h"

#include "storage/connection_pool.h"
#include "storage/dialect.h"
#include "storage/retry_policy.h"
#include "storage/statements.h"
#include "storage/store.h"

namespace larder::storage {

// The one Store implementation over SQL: every backend shares this code and differs only in its
// Dialect and Connection. Thread-safe.
class SqlStore : public Store {
 public:
  SqlStore(const Dialect& dialect, std::unique_ptr<ConnectionPool> pool, RetryPolicy retry);

  absl::Status Run(TxMode mode, absl::FunctionRef<absl::Status(Transaction&)> body) override;
  absl::string_view backend_name() const override { return dialect_.backend; }

  ConnectionPool& pool() { return *pool_; }
  const Dialect& dialect() const { return dialect_; }

 private:
  absl::Status RunOnce(TxMode mode, absl::FunctionRef<absl::Status(Transaction&)> body);

  const Dialect dialect_;
  const Statements statements_;
  const std::unique_ptr<ConnectionPool> pool_;
  const RetryPolicy retry_;
};

}  // namespace larder::storage
