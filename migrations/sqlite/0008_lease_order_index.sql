-- LeaseTasks takes the oldest due pending tasks in (not_before_micros, job_id, task_index) order.
-- With only (state, not_before_micros) indexed, the database read every due task and sorted them
-- to return a few; with the whole order in the index it reads the first rows and stops, so a lease
-- costs what it returns, not the size of the backlog. The old index is a prefix of this one.
-- Expired leases are taken by their own query, on idx_larder_mat_tasks_expiry.
CREATE INDEX idx_larder_mat_tasks_lease_order
  ON larder_materialization_tasks (state, not_before_micros, job_id, task_index);
DROP INDEX idx_larder_mat_tasks_due;
