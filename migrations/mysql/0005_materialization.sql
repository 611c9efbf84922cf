-- The materialization ledger (larder.v1.Materialization): jobs planned by
-- PlanMaterialization and their tasks (one feature view x [start, end) each), leased to workers
-- and closed in the transaction that appends the range to the view's materialization_intervals.
-- Kept after the job ends, as history.
CREATE TABLE larder_materialization_jobs (
  job_id VARCHAR(64) NOT NULL,
  project_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  request_id VARCHAR(255) NULL,
  state VARCHAR(16) NOT NULL,
  created_at_micros BIGINT NOT NULL,
  finished_at_micros BIGINT NOT NULL,
  task_count BIGINT NOT NULL,
  succeeded_count BIGINT NOT NULL,
  job_version BIGINT NOT NULL,
  job_proto LONGBLOB NOT NULL,
  PRIMARY KEY (job_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- A plan's request id makes it idempotent (NULL for plans without one).
CREATE UNIQUE INDEX idx_larder_mat_jobs_request ON larder_materialization_jobs (request_id);
CREATE INDEX idx_larder_mat_jobs_project ON larder_materialization_jobs (project_id, created_at_micros);

CREATE TABLE larder_materialization_tasks (
  task_id VARCHAR(64) NOT NULL,
  job_id VARCHAR(64) NOT NULL,
  task_index INTEGER NOT NULL,
  project_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  view_kind VARCHAR(50) NOT NULL,
  view_name VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  start_micros BIGINT NOT NULL,
  end_micros BIGINT NOT NULL,
  state VARCHAR(16) NOT NULL,
  attempts INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  worker VARCHAR(255) NOT NULL,
  lease_id VARCHAR(64) NOT NULL,
  lease_expires_micros BIGINT NOT NULL,
  not_before_micros BIGINT NOT NULL,
  leased_at_micros BIGINT NOT NULL,
  finished_at_micros BIGINT NOT NULL,
  updated_at_micros BIGINT NOT NULL,
  task_version BIGINT NOT NULL,
  last_error TEXT NULL,
  PRIMARY KEY (task_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE INDEX idx_larder_mat_tasks_job ON larder_materialization_tasks (job_id, task_index);
-- What LeaseTasks scans: pending tasks by due time, leased ones by expiry.
CREATE INDEX idx_larder_mat_tasks_due ON larder_materialization_tasks (state, not_before_micros);
CREATE INDEX idx_larder_mat_tasks_expiry ON larder_materialization_tasks (state, lease_expires_micros);
-- What planning checks for ranges in flight.
CREATE INDEX idx_larder_mat_tasks_view ON larder_materialization_tasks (project_id, view_name, state);
