// Concurrent apply runs, apply/delete races, project create/delete races, and readers beside
// writers. Final states are checked through the API and the change log (read from the database).
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/stress/torture_context.h"

namespace larder::torture {
namespace {

using storage::ChangeOp;
using storage::ChangeRecord;
using storage::ObjectKind;

feast::core::Entity Entity(const std::string& name, const std::string& description) {
  feast::core::Entity e;
  e.mutable_spec()->set_name(name);
  e.mutable_spec()->set_join_key(name + "_id");
  e.mutable_spec()->set_description(description);
  return e;
}

std::string DescriptionOf(const std::string& proto) {
  feast::core::Entity e;
  return e.ParseFromString(proto) ? e.spec().description() : "";
}

// All change-log entries of `project` (and the total revision sequence, for gap checks).
std::vector<ChangeRecord> ChangesOf(storage::Store& store, const std::string& project,
                                    std::vector<int64_t>* all_revisions = nullptr) {
  std::vector<ChangeRecord> out;
  store
      .Run(storage::TxMode::kReadOnly,
           [&](storage::Transaction& tx) {
             out.clear();
             auto changes = tx.ListChanges(0, 100'000'000);
             if (!changes.ok()) return changes.status();
             for (auto& c : *changes) {
               if (all_revisions != nullptr) all_revisions->push_back(c.revision);
               if (c.project == project) out.push_back(std::move(c));
             }
             return absl::OkStatus();
           })
      .IgnoreError();
  return out;
}

// Polls the change log while writers run and counts revisions that arrive out of order or
// after a gap a reader would already have skipped.
class GapWatcher {
 public:
  explicit GapWatcher(storage::Store& store) : store_(store) {
    store_
        .Run(storage::TxMode::kReadOnly,
             [&](storage::Transaction& tx) {
               auto revision = tx.CurrentRevision();
               if (revision.ok()) last_ = *revision;
               return revision.status();
             })
        .IgnoreError();
    thread_ = std::thread([this] {
      while (!stop_) {
        Poll();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      Poll();
    });
  }
  // Stops and returns the number of gaps seen.
  long Finish() {
    stop_ = true;
    thread_.join();
    return gaps_;
  }

 private:
  void Poll() {
    store_
        .Run(storage::TxMode::kReadOnly,
             [&](storage::Transaction& tx) {
               auto changes = tx.ListChanges(last_, 10'000);
               if (!changes.ok()) return changes.status();
               for (const auto& c : *changes) {
                 if (c.revision != last_ + 1) ++gaps_;
                 last_ = c.revision;
               }
               return absl::OkStatus();
             })
        .IgnoreError();
  }

  storage::Store& store_;
  int64_t last_ = 0;
  long gaps_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Checks one object's change history: versions go 1, 2, 3... within each life (a delete ends
// a life; the next create starts at 1 again). Returns the number of breaks.
long VersionBreaks(const std::vector<ChangeRecord>& history) {
  long breaks = 0;
  int64_t expected = 1;
  for (const ChangeRecord& c : history) {
    if (c.object_version != expected) ++breaks;
    expected = c.op == ChangeOp::kDelete ? 1 : c.object_version + 1;
  }
  return breaks;
}

}  // namespace

ScenarioResult OverlappingApplyRuns(const TortureConfig& config) {
  ScenarioResult result = NewResult("overlapping_apply_runs", config);
  const std::string project = absl::StrCat("torture_", config.run_id, "_apply");
  auto verifier = VerifierOrFail(config, result);
  if (verifier == nullptr) return result;
  constexpr int kNames = 10;
  const int iterations = std::max(1, config.calls / kNames);
  std::mutex mu;
  std::map<std::string, std::set<std::string>> acknowledged;  // name -> descriptions
  Latencies latencies;
  GapWatcher gaps(*verifier);
  RunStorm(config, config.writers, [&](int run) {
    auto client = ClientFor(config, run);
    for (int i = 0; i < iterations; ++i) {
      for (int n = 0; n < kNames; ++n) {
        const std::string name = absl::StrCat("e", n);
        const std::string description = absl::StrCat("run ", run, " iteration ", i);
        const auto t0 = std::chrono::steady_clock::now();
        absl::Status status = client->ApplyEntity(project, Entity(name, description));
        latencies.Add(MillisSince(t0));
        if (status.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          acknowledged[name].insert(description);
        }
      }
    }
  });
  const long gap_count = gaps.Finish();
  std::vector<int64_t> revisions;
  std::vector<ChangeRecord> changes = ChangesOf(*verifier, project, &revisions);
  std::map<std::string, std::vector<ChangeRecord>> by_name;
  for (const ChangeRecord& c : changes) {
    if (c.kind == ObjectKind::kEntity) by_name[c.name].push_back(c);
  }
  auto client = ClientFor(config, 0);
  for (auto& [name, descriptions] : acknowledged) {
    result.acknowledged += descriptions.size();
    std::map<std::string, int> logged;
    for (const ChangeRecord& c : by_name[name]) logged[DescriptionOf(c.proto)]++;
    for (const std::string& d : descriptions) {
      const int count = logged.count(d) ? logged[d] : 0;
      if (count == 0) result.lost++;
      if (count > 1) result.duplicated += count - 1;
      if (count >= 1) result.present++;
    }
    result.violations += VersionBreaks(by_name[name]);
    // The stored object is the last logged write.
    absl::StatusOr<feast::core::Entity> stored = client->GetEntity(project, name);
    if (!stored.ok() || by_name[name].empty() ||
        stored->spec().description() != DescriptionOf(by_name[name].back().proto)) {
      result.violations++;
    }
  }
  for (size_t i = 1; i < revisions.size(); ++i) {
    if (revisions[i] != revisions[i - 1] + 1) result.violations++;
  }
  result.violations += gap_count;
  latencies.FillPercentiles(result);
  result.notes = absl::StrCat(config.writers, " runs x ", iterations * kNames, " applies; ",
                              gap_count, " reader gaps");
  return result;
}

ScenarioResult ApplyDeleteRaces(const TortureConfig& config) {
  ScenarioResult result = NewResult("apply_delete_races", config);
  const std::string project = absl::StrCat("torture_", config.run_id, "_applydelete");
  auto verifier = VerifierOrFail(config, result);
  if (verifier == nullptr) return result;
  constexpr int kNames = 4;
  std::mutex mu;
  std::map<std::string, std::set<std::string>> acknowledged;
  Latencies latencies;
  RunStorm(config, config.writers, [&](int worker) {
    auto client = ClientFor(config, worker);
    std::mt19937 rng(static_cast<uint32_t>(worker) * 7919u + 1u);
    for (int i = 0; i < config.calls; ++i) {
      const std::string name = absl::StrCat("e", rng() % kNames);
      const auto t0 = std::chrono::steady_clock::now();
      if (rng() % 3 == 0) {
        feast::registry::DeleteEntityRequest request;
        request.set_project(project);
        request.set_name(name);
        request.set_commit(true);  // a commit=false write would be staged (atomic feast apply)
        google::protobuf::Empty empty;
        client
            ->Call(&feast::registry::RegistryServer::Stub::DeleteEntity, request, &empty,
                   client::Idempotency::kIdempotent)
            .IgnoreError();  // NOT_FOUND is a normal outcome of the race
      } else {
        const std::string description = absl::StrCat("worker ", worker, " op ", i);
        if (client->ApplyEntity(project, Entity(name, description)).ok()) {
          std::lock_guard<std::mutex> lock(mu);
          acknowledged[name].insert(description);
        }
      }
      latencies.Add(MillisSince(t0));
    }
  });
  std::map<std::string, std::vector<ChangeRecord>> by_name;
  for (const ChangeRecord& c : ChangesOf(*verifier, project)) {
    if (c.kind == ObjectKind::kEntity) by_name[c.name].push_back(c);
  }
  auto client = ClientFor(config, 0);
  for (int n = 0; n < kNames; ++n) {
    const std::string name = absl::StrCat("e", n);
    std::map<std::string, int> logged;
    for (const ChangeRecord& c : by_name[name]) {
      if (c.op != ChangeOp::kDelete) logged[DescriptionOf(c.proto)]++;
    }
    for (const std::string& d : acknowledged[name]) {
      result.acknowledged++;
      const int count = logged.count(d) ? logged[d] : 0;
      if (count == 0) result.lost++;
      if (count > 1) result.duplicated += count - 1;
      if (count >= 1) result.present++;
    }
    result.violations += VersionBreaks(by_name[name]);
    // The final state is what the last logged change says.
    absl::StatusOr<feast::core::Entity> stored = client->GetEntity(project, name);
    const bool should_exist =
        !by_name[name].empty() && by_name[name].back().op != ChangeOp::kDelete;
    if (stored.ok() != should_exist) result.violations++;
    if (stored.ok() && should_exist &&
        stored->spec().description() != DescriptionOf(by_name[name].back().proto)) {
      result.violations++;
    }
  }
  latencies.FillPercentiles(result);
  result.notes =
      absl::StrCat(config.writers, "x", config.calls, " random apply/delete on ", kNames, " names");
  return result;
}

ScenarioResult ProjectRaces(const TortureConfig& config) {
  ScenarioResult result = NewResult("project_races", config);
  auto verifier = VerifierOrFail(config, result);
  if (verifier == nullptr) return result;
  Latencies latencies;
  // (a) Feast issue #5977: every worker's first write lands in the same brand-new project.
  const std::string fresh = absl::StrCat("torture_", config.run_id, "_init");
  std::atomic<long> acked{0};
  RunStorm(config, config.writers, [&](int worker) {
    auto client = ClientFor(config, worker);
    const auto t0 = std::chrono::steady_clock::now();
    if (client->ApplyEntity(fresh, Entity(absl::StrCat("e", worker), "first")).ok()) ++acked;
    latencies.Add(MillisSince(t0));
  });
  result.acknowledged += acked;
  auto client = ClientFor(config, 0);
  for (int w = 0; w < config.writers; ++w) {
    if (client->GetEntity(fresh, absl::StrCat("e", w)).ok()) {
      result.present++;
    } else {
      result.lost++;
    }
  }
  long project_creates = 0;
  for (const ChangeRecord& c : ChangesOf(*verifier, fresh)) {
    if (c.kind == ObjectKind::kProject && c.op == ChangeOp::kCreate) ++project_creates;
  }
  if (project_creates != 1) result.duplicated += std::abs(project_creates - 1);

  // (b) Writers into a project while another worker deletes and re-creates it.
  const std::string churned = absl::StrCat("torture_", config.run_id, "_churn");
  RunStorm(config, config.writers, [&](int worker) {
    auto c = ClientFor(config, worker);
    for (int i = 0; i < config.calls / 2 + 1; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      if (worker == 0 && i % 3 == 0) {
        feast::registry::DeleteProjectRequest request;
        request.set_name(churned);
        request.set_commit(true);
        google::protobuf::Empty empty;
        c->Call(&feast::registry::RegistryServer::Stub::DeleteProject, request, &empty,
                client::Idempotency::kIdempotent)
            .IgnoreError();
      } else {
        c->ApplyEntity(churned, Entity(absl::StrCat("e", worker), absl::StrCat("i", i)))
            .IgnoreError();
      }
      latencies.Add(MillisSince(t0));
    }
  });
  // No object may outlive its project, and every project has its UUID.
  verifier
      ->Run(storage::TxMode::kReadOnly,
            [&](storage::Transaction& tx) {
              auto project = tx.GetObject(ObjectKind::kProject, churned, churned);
              auto entities = tx.ListObjects(ObjectKind::kEntity, churned);
              auto uuid = tx.GetMetadata(churned, "project_uuid");
              if (!project.ok() || !entities.ok() || !uuid.ok()) {
                result.violations++;
                return absl::OkStatus();
              }
              if (!project->has_value() && !entities->empty()) result.violations++;  // orphans
              if (project->has_value() && !uuid->has_value()) result.violations++;
              return absl::OkStatus();
            })
      .IgnoreError();
  // (c) A deleted project can be re-created at once.
  feast::registry::DeleteProjectRequest request;
  request.set_name(fresh);
  request.set_commit(true);
  google::protobuf::Empty empty;
  if (!client
           ->Call(&feast::registry::RegistryServer::Stub::DeleteProject, request, &empty,
                  client::Idempotency::kIdempotent)
           .ok() ||
      !client->ApplyEntity(fresh, Entity("again", "recreated")).ok() ||
      !client->GetEntity(fresh, "again").ok()) {
    result.violations++;
  }
  latencies.FillPercentiles(result);
  result.notes =
      absl::StrCat("init race: ", project_creates, " project create(s); churn + re-create");
  return result;
}

ScenarioResult ReadersBesideWriters(const TortureConfig& config) {
  ScenarioResult result = NewResult("readers_beside_writers", config);
  const std::string project = absl::StrCat("torture_", config.run_id, "_readers");
  const int writers = std::max(1, config.writers / 2);
  std::atomic<long> acked{0}, present{0}, stale_own{0}, backwards{0};
  std::atomic<bool> writing{true};
  std::atomic<int> writers_left{writers};
  Latencies latencies;
  auto seq_of = [](const absl::StatusOr<feast::core::Entity>& e) -> int64_t {
    int64_t seq = -1;
    if (e.ok() && !absl::SimpleAtoi(e->spec().description(), &seq)) seq = -1;
    return seq;
  };
  RunStorm(config, config.writers, [&](int worker) {
    // Sticky: read-your-writes is promised on the replica that acknowledged the write.
    auto client = ClientFor(config, worker, /*sticky=*/true);
    if (worker < writers) {
      const std::string name = absl::StrCat("w", worker);
      for (int i = 1; i <= config.calls; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        if (!client->ApplyEntity(project, Entity(name, absl::StrCat(i))).ok()) continue;
        latencies.Add(MillisSince(t0));
        ++acked;
        const int64_t fresh = seq_of(client->GetEntity(project, name, /*allow_cache=*/false));
        const int64_t cached = seq_of(client->GetEntity(project, name, /*allow_cache=*/true));
        if (fresh >= i && cached >= i) {
          ++present;
        } else {
          ++stale_own;
        }
      }
      if (--writers_left == 0) writing = false;
      return;
    }
    // Readers on (possibly) other replicas: what they see of each writer never goes back.
    std::map<std::string, int64_t> last_seen;
    while (writing) {
      for (int w = 0; w < writers; ++w) {
        const std::string name = absl::StrCat("w", w);
        for (bool cache : {false, true}) {
          const int64_t seq = seq_of(client->GetEntity(project, name, cache));
          const std::string key = absl::StrCat(name, cache);
          if (seq >= 0 && seq < last_seen[key]) ++backwards;
          last_seen[key] = std::max(last_seen[key], seq);
        }
      }
    }
  });
  result.acknowledged = acked;
  result.present = present;
  result.lost = stale_own;  // an acknowledged write its own replica did not show
  result.violations = backwards;
  latencies.FillPercentiles(result);
  result.notes = absl::StrCat(writers, " writers, ", config.writers - writers,
                              " readers; lost = read-your-writes misses, viol = reads going back");
  return result;
}

}  // namespace larder::torture
