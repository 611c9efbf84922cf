#pragma once

#include <cstdint>
#include <string>

namespace larder::storage {

// One row of larder_materialization_jobs. Storage keeps the job's description opaque (`proto`,
// a serialized larder.v1.MaterializationJob without tasks); the columns beside it are what
// queries select on and what concurrent task completions count.
struct MaterializationJobRow {
  std::string job_id;
  std::string project;
  std::string request_id;  // empty: none (stored as NULL)
  std::string state;       // "pending", "running", "succeeded", "failed", "cancelled"
  int64_t created_at_micros = 0;
  int64_t finished_at_micros = 0;  // 0 while the job runs
  int64_t task_count = 0;
  int64_t succeeded_count = 0;
  int64_t version = 0;  // bumped on every update, as the change log's object_version
  std::string proto;
};

// One row of larder_materialization_tasks: feature view x [start, end) of one job.
struct MaterializationTaskRow {
  std::string task_id;
  std::string job_id;
  int32_t task_index = 0;
  std::string project;
  std::string view_kind;  // the ObjectKind name of the view
  std::string view_name;
  int64_t start_micros = 0;
  int64_t end_micros = 0;
  std::string state;  // "pending", "leased", "succeeded", "failed", "cancelled"
  int32_t attempts = 0;
  int32_t max_attempts = 0;
  std::string worker;
  std::string lease_id;
  int64_t lease_expires_micros = 0;
  int64_t not_before_micros = 0;
  int64_t leased_at_micros = 0;
  int64_t finished_at_micros = 0;
  int64_t updated_at_micros = 0;
  int64_t version = 0;
  std::string last_error;
};

}  // namespace larder::storage
