// The job retention part of the Store contract (FinishedMaterializationJobs,
// DeleteFinishedMaterializationJob), run against SQLite, PostgreSQL and MariaDB: only finished
// jobs that finished before the cut-off are found, oldest first; a delete takes the job's tasks
// with it and leaves any job that is not finished, and every other job's tasks, alone.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/storage/store_fixture.h"

namespace larder::testing {
namespace {

using storage::MaterializationJobRow;
using storage::MaterializationTaskRow;
using storage::Transaction;

MaterializationJobRow Job(const std::string& id, const std::string& state, int64_t finished) {
  MaterializationJobRow job;
  job.job_id = id;
  job.project = "p";
  job.state = state;
  job.created_at_micros = 1;
  job.finished_at_micros = finished;
  job.task_count = 2;
  job.version = 1;
  job.proto = "job";
  return job;
}

MaterializationTaskRow Task(const std::string& job_id, int index) {
  MaterializationTaskRow task;
  task.task_id = job_id + "-" + std::to_string(index);
  task.job_id = job_id;
  task.task_index = index;
  task.project = "p";
  task.view_kind = "feature_view";
  task.view_name = "fv";
  task.start_micros = index * 10;
  task.end_micros = index * 10 + 10;
  task.state = "succeeded";
  task.version = 1;
  return task;
}

std::vector<std::string> Ids(const std::vector<MaterializationJobRow>& jobs) {
  std::vector<std::string> ids;
  for (const auto& job : jobs) ids.push_back(job.job_id);
  return ids;
}

void FinishedJobsAndTheirRemoval(ScratchDatabase& db) {
  auto store = OpenMigratedStore(db);
  // The running job carries a finished_at to show that the state, not the time, decides; a
  // finished_at of 0 means "never finished" whatever the state says.
  const std::vector<MaterializationJobRow> jobs = {
      Job("old-ok", "succeeded", 100),     Job("old-failed", "failed", 200),
      Job("old-cancel", "cancelled", 300), Job("new-ok", "succeeded", 5000),
      Job("running", "running", 150),      Job("pending", "pending", 0),
      Job("zero", "succeeded", 0)};
  MustWrite(*store, [&](Transaction& tx) -> absl::Status {
    for (const auto& job : jobs) {
      if (absl::Status s = tx.InsertMaterializationJob(job); !s.ok()) return s;
      for (int i = 0; i < 2; ++i) {
        if (absl::Status s = tx.InsertMaterializationTask(Task(job.job_id, i)); !s.ok()) return s;
      }
    }
    return absl::OkStatus();
  });

  MustRead(*store, [&](Transaction& tx) -> absl::Status {
    auto found = tx.FinishedMaterializationJobs(1000, 10);
    if (!found.ok()) return found.status();
    CHECK(Ids(*found) == std::vector<std::string>{"old-ok", "old-failed", "old-cancel"});
    CHECK((*found)[1].state == "failed");
    CHECK((*found)[1].finished_at_micros == 200);
    CHECK((*found)[1].task_count == 2);
    CHECK((*found)[1].proto == "job");
    auto limited = tx.FinishedMaterializationJobs(1000, 2);
    if (!limited.ok()) return limited.status();
    CHECK(Ids(*limited) == std::vector<std::string>{"old-ok", "old-failed"});
    auto none = tx.FinishedMaterializationJobs(100, 10);  // strictly before the cut-off
    if (!none.ok()) return none.status();
    CHECK(none->empty());
    return absl::OkStatus();
  });

  MustWrite(*store, [&](Transaction& tx) -> absl::Status {
    for (const char* id : {"old-ok", "running", "pending", "nobody"}) {
      auto deleted = tx.DeleteFinishedMaterializationJob(id);
      if (!deleted.ok()) return deleted.status();
      CHECK(*deleted == (std::string(id) == "old-ok"));
    }
    return absl::OkStatus();
  });
  MustRead(*store, [&](Transaction& tx) -> absl::Status {
    auto gone = tx.GetMaterializationJob("old-ok");
    if (!gone.ok()) return gone.status();
    CHECK_FALSE(gone->has_value());
    auto gone_tasks = tx.ListMaterializationTasks("old-ok");
    if (!gone_tasks.ok()) return gone_tasks.status();
    CHECK(gone_tasks->empty());
    for (const char* id : {"running", "pending", "old-failed", "new-ok"}) {
      auto kept = tx.GetMaterializationJob(id);
      if (!kept.ok()) return kept.status();
      CHECK(kept->has_value());
      auto tasks = tx.ListMaterializationTasks(id);
      if (!tasks.ok()) return tasks.status();
      CHECK(tasks->size() == 2);
    }
    return absl::OkStatus();
  });
}
LARDER_BACKEND_TEST(
    "materialization ledger: finished jobs are found by age and removed with "
    "their tasks, unfinished ones never",
    FinishedJobsAndTheirRemoval)

}  // namespace
}  // namespace larder::testing
