#pragma once

#include "storage/connection.h"
#include "storage/dialect.h"

namespace larder::storage {

// The statements of the materialization ledger in one dialect (see MaterializationJobRow and
// MaterializationTaskRow for the columns). Built once per store, then read-only.
struct MaterializationStatements {
  explicit MaterializationStatements(const Dialect& dialect);

  // Job columns in MaterializationJobRow order: job_id, project, request_id, state, created,
  // finished, task_count, succeeded_count, version, proto.
  Statement job_insert;          // the 10 columns
  Statement job_update;          // state, finished, task_count, succeeded, version, proto, job_id
  Statement job_get;             // (job_id)
  Statement job_get_for_update;  // (job_id)
  Statement job_by_request;      // (request_id)
  Statement jobs_list;           // (limit)
  Statement jobs_list_project;   // (project, limit)
  // Task columns in MaterializationTaskRow order (20 of them).
  Statement task_insert;              // the 20 columns
  Statement task_update;              // every column but task_id, job_id, index, project, view and
                                      // range (state .. last_error: 12), then task_id
  Statement task_get;                 // (task_id)
  Statement task_get_for_update;      // (task_id)
  Statement tasks_of_job;             // (job_id)
  Statement tasks_of_job_for_update;  // (job_id)
  Statement tasks_active_of_view;     // (project, view)
  // Leasable tasks, each kind by its own index in order (idx_larder_mat_tasks_lease_order,
  // idx_larder_mat_tasks_expiry), locked, skipping rows other transactions hold where possible.
  Statement tasks_pending_due;    // (now, limit): pending, due, by (not_before, job, index)
  Statement tasks_lease_expired;  // (now, limit): leased with an expired lease, by expiry
};

}  // namespace larder::storage
