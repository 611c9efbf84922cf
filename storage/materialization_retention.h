#pragma once

#include "storage/connection.h"
#include "storage/dialect.h"

namespace larder::storage {

// The statements that remove old finished jobs from the materialization ledger (the job
// retention sweep; sql_materialization_retention.cc). Built once per store, then read-only.
struct MaterializationRetentionStatements {
  explicit MaterializationRetentionStatements(const Dialect& dialect);

  Statement jobs_finished_before;  // (finished before, limit): job columns, oldest first
  Statement job_delete_finished;   // (job_id): only while the job is finished
  Statement tasks_delete_of_job;   // (job_id)
};

}  // namespace larder::storage
