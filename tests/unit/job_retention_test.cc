// JobRetention over the in-memory model store: a sweep removes every job finished before the
// cut-off in batches (more jobs than one batch holds), with their tasks, logs each removal, and
// leaves unfinished and newer jobs alone.
#include "server/coordinator/job_retention.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/model_store.h"

namespace larder::coordinator {
namespace {

class FixedClock : public registry::Clock {
 public:
  absl::Time Now() override { return absl::FromUnixSeconds(1'700'000'000); }
};

storage::MaterializationJobRow Job(const std::string& id, const std::string& state,
                                   int64_t finished) {
  storage::MaterializationJobRow job;
  job.job_id = id;
  job.project = "p";
  job.state = state;
  job.finished_at_micros = finished;
  job.version = 3;
  return job;
}

storage::MaterializationTaskRow Task(const std::string& job_id, int index) {
  storage::MaterializationTaskRow task;
  task.task_id = absl::StrCat(job_id, "/", index);
  task.job_id = job_id;
  task.task_index = index;
  task.project = "p";
  task.state = "succeeded";
  task.version = 2;
  return task;
}

TEST_CASE("A job retention sweep removes old finished jobs in batches, with their tasks",
          "[coordinator]") {
  testing::ModelStore store;
  FixedClock clock;
  registry::Registry registry(store, clock);
  std::vector<storage::MaterializationJobRow> jobs;
  for (int i = 1; i <= 7; ++i) jobs.push_back(Job(absl::StrCat("done", i), "succeeded", i * 100));
  jobs.push_back(Job("running", "running", 0));
  jobs.push_back(Job("cancelled-old", "cancelled", 50));
  REQUIRE(store
              .Run(storage::TxMode::kReadWrite,
                   [&](storage::Transaction& tx) -> absl::Status {
                     for (const auto& job : jobs) {
                       if (absl::Status s = tx.InsertMaterializationJob(job); !s.ok()) return s;
                       for (int t = 0; t < 2; ++t) {
                         if (absl::Status s = tx.InsertMaterializationTask(Task(job.job_id, t));
                             !s.ok()) {
                           return s;
                         }
                       }
                     }
                     return absl::OkStatus();
                   })
              .ok());

  // Batches of two: six jobs finished before 550 (done1..done5 and cancelled-old) take three.
  JobRetention retention(registry, /*batch_size=*/2);
  absl::StatusOr<int64_t> removed = retention.Sweep(absl::FromUnixMicros(550));
  REQUIRE(removed.ok());
  CHECK(*removed == 6);
  absl::StatusOr<int64_t> again = retention.Sweep(absl::FromUnixMicros(550));
  REQUIRE(again.ok());
  CHECK(*again == 0);

  REQUIRE(store
              .Run(storage::TxMode::kReadOnly,
                   [&](storage::Transaction& tx) -> absl::Status {
                     for (const auto& job : jobs) {
                       const bool kept = job.job_id == "running" || job.job_id == "done6" ||
                                         job.job_id == "done7";
                       INFO(job.job_id);
                       auto row = tx.GetMaterializationJob(job.job_id);
                       REQUIRE(row.ok());
                       CHECK(row->has_value() == kept);
                       auto tasks = tx.ListMaterializationTasks(job.job_id);
                       REQUIRE(tasks.ok());
                       CHECK(tasks->size() == (kept ? 2u : 0u));
                     }
                     auto changes = tx.ListChanges(0, 100);
                     REQUIRE(changes.ok());
                     int job_deletes = 0, task_deletes = 0;
                     for (const auto& change : *changes) {
                       CHECK(change.op == storage::ChangeOp::kDelete);
                       CHECK(change.actor == "larder");
                       if (change.kind == storage::ObjectKind::kMaterializationJob) {
                         ++job_deletes;
                         CHECK(change.object_version == 4);
                       } else {
                         ++task_deletes;
                         CHECK(change.kind == storage::ObjectKind::kMaterializationTask);
                         CHECK(change.object_version == 3);
                       }
                     }
                     CHECK(job_deletes == 6);
                     CHECK(task_deletes == 12);
                     return absl::OkStatus();
                   })
              .ok());
}

}  // namespace
}  // namespace larder::coordinator
