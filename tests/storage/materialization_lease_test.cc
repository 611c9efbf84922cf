// LeasableMaterializationTasks on every backend: from a big backlog it returns the oldest due
// tasks in order, takes expired leases again, and two leasers at once never get the same task.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "tests/storage/store_fixture.h"

namespace larder::testing {
namespace {

using storage::MaterializationTaskRow;

constexpr int64_t kNow = 1'800'000'000'000'000;  // microseconds
constexpr int kBacklog = 2000;

MaterializationTaskRow Task(const std::string& job, int index, int64_t not_before) {
  MaterializationTaskRow t;
  t.task_id = absl::StrCat(job, "-", index);
  t.job_id = job;
  t.task_index = index;
  t.project = "demo";
  t.view_kind = "FEATURE_VIEW";
  t.view_name = absl::StrCat("view_", index % 7);
  t.start_micros = index * 1'000'000;
  t.end_micros = t.start_micros + 1'000'000;
  t.state = "pending";
  t.max_attempts = 3;
  t.not_before_micros = not_before;
  t.updated_at_micros = not_before;
  t.version = 1;
  return t;
}

using Key = std::tuple<int64_t, std::string, int32_t>;
Key KeyOf(const MaterializationTaskRow& t) { return {t.not_before_micros, t.job_id, t.task_index}; }

// Leases (as LeaseTasks would) up to `limit` tasks in one transaction, into `got` as read;
// holds the rows for `hold` before writing, after notifying `taken`.
absl::Status TryLease(storage::Store& store, int64_t now, int limit,
                      std::vector<MaterializationTaskRow>& got,
                      absl::Duration hold = absl::ZeroDuration(),
                      absl::Notification* taken = nullptr) {
  return store.Run(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> absl::Status {
    auto leasable = tx.LeasableMaterializationTasks(now, limit);
    if (!leasable.ok()) return leasable.status();
    got = *leasable;
    if (taken != nullptr && !taken->HasBeenNotified()) taken->Notify();
    absl::SleepFor(hold);
    for (MaterializationTaskRow task : *leasable) {
      task.state = "leased";
      task.attempts += 1;
      task.lease_id = absl::StrCat("lease-", task.task_id, "-", task.attempts);
      task.lease_expires_micros = now + 60'000'000;
      task.version += 1;
      if (absl::Status s = tx.UpdateMaterializationTask(task); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
}

std::vector<MaterializationTaskRow> LeaseSome(storage::Store& store, int64_t now, int limit) {
  std::vector<MaterializationTaskRow> got;
  absl::Status status = TryLease(store, now, limit, got);
  INFO(status.ToString());
  REQUIRE(status.ok());
  return got;
}

void LeasesOldestDueFromBigBacklog(ScratchDatabase& db) {
  auto store = OpenMigratedStore(db);
  // Two jobs' tasks, due at shuffled times (many sharing one), some not yet due, some finished.
  std::vector<MaterializationTaskRow> tasks;
  std::mt19937 random(15);
  for (int i = 0; i < kBacklog; ++i) {
    const std::string job = i % 2 == 0 ? "job-b" : "job-a";
    MaterializationTaskRow t = Task(job, i / 2, kNow - 1'000 * (random() % 500));
    if (i % 10 == 3) t.not_before_micros = kNow + 1'000'000;  // not due yet
    if (i % 10 == 7) t.state = "succeeded";
    tasks.push_back(t);
  }
  std::shuffle(tasks.begin(), tasks.end(), random);
  MustWrite(*store, [&](storage::Transaction& tx) -> absl::Status {
    for (const MaterializationTaskRow& t : tasks) {
      if (absl::Status s = tx.InsertMaterializationTask(t); !s.ok()) return s;
    }
    return absl::OkStatus();
  });
  std::vector<Key> expected;
  for (const MaterializationTaskRow& t : tasks) {
    if (t.state == "pending" && t.not_before_micros <= kNow) expected.push_back(KeyOf(t));
  }
  std::sort(expected.begin(), expected.end());

  // Page after page, each the next oldest due tasks, in order, until the backlog is drained.
  std::vector<Key> leased;
  for (int round = 0; round < kBacklog; ++round) {
    std::vector<MaterializationTaskRow> got = LeaseSome(*store, kNow, 25);
    if (got.empty()) break;
    for (const MaterializationTaskRow& t : got) {
      CHECK(t.state == "pending");
      leased.push_back(KeyOf(t));
    }
  }
  CHECK(leased.size() == expected.size());
  CHECK(leased == expected);

  // Once every lease above has expired, those tasks come back (which of them first, among equal
  // expiry times, is the database's choice), still leased as read and in due order.
  const int64_t later = kNow + 90'000'000;  // past every lease above and every not_before
  std::vector<MaterializationTaskRow> again = LeaseSome(*store, later, 10);
  REQUIRE(again.size() == 10);
  std::vector<Key> again_keys;
  for (const MaterializationTaskRow& t : again) again_keys.push_back(KeyOf(t));
  CHECK(std::is_sorted(again_keys.begin(), again_keys.end()));
  for (const MaterializationTaskRow& t : again) {
    INFO(t.task_id);
    CHECK(t.state == "leased");
    CHECK(t.attempts == 1);
    CHECK(t.lease_expires_micros == kNow + 60'000'000);
  }
  // The renewed ones are not leasable a moment later; the rest of the expired ones still are.
  std::vector<MaterializationTaskRow> next = LeaseSome(*store, later + 1, 10'000);
  std::set<std::string> renewed;
  for (const MaterializationTaskRow& t : again) renewed.insert(t.task_id);
  int pending = 0, expired = 0;
  for (const MaterializationTaskRow& t : next) {
    CHECK(renewed.count(t.task_id) == 0);
    (t.state == "pending" ? pending : expired) += 1;
  }
  CHECK(pending == kBacklog / 10);  // the ones that were not due at kNow
  CHECK(expired == static_cast<int>(expected.size()) - 10);
}

void ConcurrentLeasersTakeDifferentTasks(ScratchDatabase& db) {
  auto store = OpenMigratedStore(db);
  MustWrite(*store, [&](storage::Transaction& tx) -> absl::Status {
    for (int i = 0; i < 40; ++i) {
      if (absl::Status s = tx.InsertMaterializationTask(Task("job", i, kNow - i)); !s.ok())
        return s;
    }
    return absl::OkStatus();
  });
  // The first leaser holds its rows for a while; the second starts meanwhile. Where the
  // database skips locked rows it takes others at once; SQLite makes it wait for the first.
  absl::Notification taken;
  std::vector<MaterializationTaskRow> first, second;
  absl::Status held;
  std::thread holder(
      [&] { held = TryLease(*store, kNow, 10, first, absl::Milliseconds(500), &taken); });
  taken.WaitForNotificationWithTimeout(absl::Seconds(30));
  second = LeaseSome(*store, kNow, 10);
  holder.join();
  INFO(held.ToString());
  REQUIRE(held.ok());
  REQUIRE(first.size() == 10);
  REQUIRE(second.size() == 10);
  std::set<std::string> ids;
  for (const auto& t : first) ids.insert(t.task_id);
  for (const auto& t : second) ids.insert(t.task_id);
  CHECK(ids.size() == 20);
  // The first took the oldest ten.
  CHECK(first.front().task_id == "job-39");
  CHECK(first.back().task_id == "job-30");
}

}  // namespace

LARDER_BACKEND_TEST("leasing from a 2000-task backlog returns the oldest due tasks in order",
                    LeasesOldestDueFromBigBacklog)
LARDER_BACKEND_TEST("two leasers at once never take the same materialization task",
                    ConcurrentLeasersTakeDifferentTasks)

}  // namespace larder::testing
