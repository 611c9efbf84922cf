// larder.v1 batches and the change feed under load: conflicting batches with expected versions,
// a reader polling during a storm of 50-object batches, and watchers following the change feed
// across replicas while the chaos command kills a replica or restarts the database. Every check
// reads the outcome back through the API (ListChanges, Proto, WatchChanges).
#include <array>
#include <future>
#include <map>
#include <mutex>
#include <set>

#include "absl/strings/str_cat.h"
#include "tests/stress/torture_context.h"

namespace larder::torture {
namespace {

feast::core::Entity TaggedEntity(const std::string& name, const std::string& tag) {
  feast::core::Entity e;
  e.mutable_spec()->set_name(name);
  e.mutable_spec()->set_join_key(name + "_id");
  e.mutable_spec()->set_description(tag);
  return e;
}

std::string TagOf(const larder::v1::Change& change) {
  feast::core::Entity e;
  return e.ParseFromString(change.object()) ? e.spec().description() : "";
}

// Every change of `project` after `after`, in revision order, read page by page through the API.
absl::StatusOr<std::vector<larder::v1::Change>> AllChanges(client::RegistryClient& client,
                                                           const std::string& project,
                                                           int64_t after = 0) {
  std::vector<larder::v1::Change> out;
  for (;;) {
    larder::v1::ListChangesRequest request;
    request.set_project(project);
    request.set_after_revision(after);
    request.set_limit(10000);
    auto page = client.ListChanges(request);
    if (!page.ok()) return page.status();
    for (const auto& c : page->changes()) out.push_back(c);
    if (page->changes().empty() || page->next_after_revision() <= after) return out;
    after = page->next_after_revision();
  }
}

// A batch of `names` tagged `tag`, each upsert expecting `expected` (when given).
larder::v1::ApplyBatchRequest TaggedBatch(const std::string& project,
                                          const std::vector<std::string>& names,
                                          const std::string& tag,
                                          const std::vector<int64_t>* expected = nullptr) {
  larder::v1::ApplyBatchRequest request;
  request.set_project(project);
  for (size_t i = 0; i < names.size(); ++i) {
    larder::v1::Upsert* upsert = request.add_upserts();
    *upsert->mutable_entity() = TaggedEntity(names[i], tag);
    if (expected != nullptr) upsert->set_expected_version((*expected)[i]);
  }
  return request;
}

// Checks that every batch tag in `changes` appears for all `batch_size` objects in one unbroken
// run of the project's log, or not at all. Returns tag -> count; counts breaks in `violations`.
std::map<std::string, long> CheckWholeBatches(const std::vector<larder::v1::Change>& log,
                                              size_t batch_size, long& violations,
                                              std::string& first_problem) {
  // Only the entities: the first batch of a project also creates the project.
  std::vector<larder::v1::Change> changes;
  for (const auto& c : log) {
    if (c.kind() == "entity") changes.push_back(c);
  }
  std::map<std::string, long> count;
  std::map<std::string, std::pair<size_t, size_t>> span;  // first and last index in the log
  for (size_t i = 0; i < changes.size(); ++i) {
    const std::string tag = TagOf(changes[i]);
    if (count[tag]++ == 0) span[tag].first = i;
    span[tag].second = i;
  }
  for (const auto& [tag, n] : count) {
    const bool whole = static_cast<size_t>(n) == batch_size;
    const bool unbroken = span[tag].second - span[tag].first + 1 == static_cast<size_t>(n);
    if (!whole || !unbroken) {
      ++violations;
      if (first_problem.empty()) {
        first_problem = absl::StrCat("batch ", tag, ": ", n, " of ", batch_size, " objects",
                                     unbroken ? "" : ", interleaved with other changes");
      }
    }
  }
  return count;
}

}  // namespace

// Pairs of pipelines: each round both sides of a pair send a batch over the same 10 objects
// with the same expected versions at the same moment. Exactly one must commit, the other must be
// refused with all 10 objects listed as conflicts, and the log must hold the winner's batch whole
// and nothing of the loser's.
ScenarioResult ConflictingBatches(const TortureConfig& config) {
  ScenarioResult result = NewResult("conflicting_batches", config);
  constexpr size_t kObjects = 10;
  const int pairs = std::max(1, config.writers / 2);
  std::mutex mu;
  long rounds_total = 0, unknown = 0, short_lists = 0;
  std::set<std::string> won, refused;
  std::vector<std::string> projects;
  Latencies latencies;
  std::string problem;
  auto note = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(mu);
    ++result.violations;
    if (problem.empty()) problem = what;
  };
  RunStorm(config, pairs, [&](int p) {
    const std::string project = absl::StrCat("cb", p, "_", config.run_id);
    {
      std::lock_guard<std::mutex> lock(mu);
      projects.push_back(project);
    }
    std::vector<std::string> names;
    for (size_t i = 0; i < kObjects; ++i) names.push_back(absl::StrCat("e", i));
    auto side_a = ClientFor(config, 2 * p), side_b = ClientFor(config, 2 * p + 1);
    std::vector<int64_t> versions(kObjects, 0);  // 0: must not exist yet
    for (int round = 0; round < config.calls; ++round) {
      auto send = [&](client::RegistryClient* c, int side) {
        const auto start = std::chrono::steady_clock::now();
        auto response = c->ApplyBatch(
            TaggedBatch(project, names, absl::StrCat(project, "/r", round, "s", side), &versions));
        latencies.Add(MillisSince(start));
        return response;
      };
      auto a = std::async(std::launch::async, send, side_a.get(), 0);
      auto b = std::async(std::launch::async, send, side_b.get(), 1);
      std::array<absl::StatusOr<larder::v1::ApplyBatchResponse>, 2> out = {a.get(), b.get()};
      int committed = 0, conflicted = 0, unsure = 0;
      for (int side = 0; side < 2; ++side) {
        const std::string tag = absl::StrCat(project, "/r", round, "s", side);
        if (out[side].ok()) {
          ++committed;
          std::lock_guard<std::mutex> lock(mu);
          won.insert(tag);
          for (size_t i = 0; i < kObjects; ++i) {
            versions[i] = out[side]->results(static_cast<int>(i)).new_version();
          }
        } else if (auto conflicts = client::VersionConflictsOf(out[side].status())) {
          ++conflicted;
          std::lock_guard<std::mutex> lock(mu);
          refused.insert(tag);
          // Nothing of a refused batch is applied (checked in the log below), and the refusal
          // lists every object: the winner changed them all.
          if (static_cast<size_t>(conflicts->conflicts_size()) != kObjects) {
            ++short_lists;
            ++result.violations;
            if (problem.empty()) {
              problem = absl::StrCat("pair ", p, " round ", round, ": a refusal lists ",
                                     conflicts->conflicts_size(), " of ", kObjects, " conflicts");
            }
          }
        } else {
          ++unsure;  // e.g. UNAVAILABLE during chaos: the log decides
        }
      }
      if (committed > 1) note(absl::StrCat("both sides of pair ", p, " round ", round, " commit"));
      if (unsure == 0 && committed == 0) {
        note(absl::StrCat("neither side of pair ", p, " round ", round, " committed"));
      }
      if (unsure > 0) {
        // Outcome unknown: learn the current versions from the log before the next round.
        {
          std::lock_guard<std::mutex> lock(mu);
          unknown += unsure;
        }
        auto changes = AllChanges(*side_a, project);
        if (changes.ok()) {
          for (const auto& c : *changes) {
            for (size_t i = 0; i < kObjects; ++i) {
              if (c.name() == names[i]) versions[i] = c.object_version();
            }
          }
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      ++rounds_total;
    }
  });
  // The log: every batch whole or absent; every acknowledged winner whole; no refused batch.
  auto reader = ClientFor(config, 0);
  for (const std::string& project : projects) {
    auto changes = AllChanges(*reader, project);
    if (!changes.ok()) {
      ++result.violations;
      problem = "cannot read the change log: " + std::string(changes.status().message());
      continue;
    }
    std::map<std::string, long> count =
        CheckWholeBatches(*changes, kObjects, result.violations, problem);
    for (const auto& [tag, n] : count) {
      if (refused.count(tag) != 0) note("refused batch " + tag + " is in the log");
      if (n > static_cast<long>(kObjects)) ++result.duplicated;
    }
    for (const std::string& tag : won) {
      if (tag.rfind(project + "/", 0) != 0) continue;
      if (count.count(tag) != 0) {
        ++result.present;
      } else {
        ++result.lost;
      }
    }
  }
  result.acknowledged = static_cast<long>(won.size());
  latencies.FillPercentiles(result);
  result.notes =
      absl::StrCat(pairs, " pairs x ", config.calls, " rounds of 2 x ", kObjects,
                   "-object batches; ", won.size(), " committed, ", refused.size(), " refused (",
                   short_lists, " listing fewer than all ", kObjects, " conflicts), ", unknown,
                   " unknown", problem.empty() ? "" : "; ", problem);
  return result;
}

// Writers replace the same 50 objects with 50-object batches while readers poll the whole
// registry: every read must show all 50 objects from one batch.
ScenarioResult ReaderDuringBatches(const TortureConfig& config) {
  ScenarioResult result = NewResult("reader_during_batches", config);
  constexpr size_t kObjects = 50;
  const std::string project = "rb_" + config.run_id;
  std::vector<std::string> names;
  for (size_t i = 0; i < kObjects; ++i) names.push_back(absl::StrCat("e", i));
  auto setup = ClientFor(config, 0);
  if (!setup->ApplyBatch(TaggedBatch(project, names, "setup")).ok()) {
    result.violations = 1;
    result.notes = "setup batch failed";
    return result;
  }
  std::mutex mu;
  std::set<std::string> acked;
  std::atomic<bool> done{false};
  std::atomic<long> reads{0}, partial{0}, read_errors{0};
  std::string problem;
  Latencies latencies;
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      auto client = ClientFor(config, r + 1);
      while (!done.load()) {
        auto registry = client->Proto();
        if (!registry.ok()) {
          ++read_errors;
          continue;
        }
        std::map<std::string, long> tags;
        long seen = 0;
        for (const auto& e : registry->entities()) {
          if (e.spec().project() != project) continue;
          ++seen;
          ++tags[e.spec().description()];
        }
        ++reads;
        if (seen != static_cast<long>(kObjects) || tags.size() != 1) {
          ++partial;
          std::lock_guard<std::mutex> lock(mu);
          if (problem.empty()) {
            problem = absl::StrCat("a read saw ", seen, " objects from ", tags.size(), " batches");
          }
        }
      }
    });
  }
  RunStorm(config, config.writers, [&](int w) {
    auto client = ClientFor(config, w);
    for (int c = 0; c < config.calls; ++c) {
      const std::string tag = absl::StrCat("w", w, "c", c);
      const auto start = std::chrono::steady_clock::now();
      if (client->ApplyBatch(TaggedBatch(project, names, tag)).ok()) {
        latencies.Add(MillisSince(start));
        std::lock_guard<std::mutex> lock(mu);
        acked.insert(tag);
      }
    }
  });
  done = true;
  for (auto& t : readers) t.join();
  auto changes = AllChanges(*setup, project);
  if (!changes.ok()) {
    result.violations = 1;
    result.notes = "cannot read the change log";
    return result;
  }
  std::map<std::string, long> count =
      CheckWholeBatches(*changes, kObjects, result.violations, problem);
  result.acknowledged = static_cast<long>(acked.size());
  for (const std::string& tag : acked) {
    if (count.count(tag) != 0) {
      ++result.present;
    } else {
      ++result.lost;
    }
  }
  result.violations += partial.load();
  latencies.FillPercentiles(result);
  result.notes = absl::StrCat(acked.size(), " batches of ", kObjects, " objects; ", reads.load(),
                              " reads, ", partial.load(), " partial, ", read_errors.load(),
                              " read errors", problem.empty() ? "" : "; ", problem);
  return result;
}

// One watcher per replica (failing over to the others) follows the project's change feed while
// writers commit batches and the chaos command kills a replica or restarts the database. Each
// watcher must deliver exactly the project's change log: every change once, in revision order.
ScenarioResult WatchersAcrossReplicas(const TortureConfig& config) {
  ScenarioResult result = NewResult("watchers_across_replicas", config);
  constexpr size_t kObjects = 5;
  const std::string project = "wr_" + config.run_id;
  auto probe = ClientFor(config, 0);
  auto info = probe->GetServerInfo();
  if (!info.ok()) {
    result.violations = 1;
    result.notes = "GetServerInfo failed";
    return result;
  }
  const int64_t start_revision = info->current_revision();
  const int watchers = static_cast<int>(std::max<size_t>(3, config.addresses.size()));
  std::vector<std::vector<int64_t>> delivered(watchers);
  std::atomic<int64_t> target{-1};
  const auto deadline_after_writes = std::chrono::seconds(60);
  std::atomic<bool> writes_done{false};
  std::chrono::steady_clock::time_point writes_end;
  std::vector<absl::Status> watch_status(watchers);
  std::vector<std::thread> threads;
  for (int w = 0; w < watchers; ++w) {
    threads.emplace_back([&, w] {
      auto client = ClientFor(config, w);
      larder::v1::WatchChangesRequest request;
      request.set_after_revision(start_revision);
      request.set_project(project);
      request.set_heartbeat_seconds(1);
      watch_status[w] = client->Watch(
          request,
          [&](const larder::v1::Change& c) {
            delivered[w].push_back(c.revision());
            const int64_t t = target.load();
            return t < 0 || c.revision() < t;
          },
          [&] {
            // Checked after every event (heartbeats included): a watcher that delivered the
            // last change before the target was known stops at its next heartbeat instead of
            // waiting out the deadline.
            const int64_t t = target.load();
            if (t >= 0 && !delivered[w].empty() && delivered[w].back() >= t) return true;
            return writes_done.load() &&
                   std::chrono::steady_clock::now() - writes_end > deadline_after_writes;
          });
    });
  }
  std::mutex mu;
  long acked = 0;
  Latencies latencies;
  RunStorm(config, config.writers, [&](int w) {
    auto client = ClientFor(config, w);
    std::vector<std::string> names;
    for (size_t i = 0; i < kObjects; ++i) names.push_back(absl::StrCat("w", w, "e", i));
    for (int c = 0; c < config.calls; ++c) {
      const auto start = std::chrono::steady_clock::now();
      if (client->ApplyBatch(TaggedBatch(project, names, absl::StrCat("w", w, "c", c))).ok()) {
        latencies.Add(MillisSince(start));
        std::lock_guard<std::mutex> lock(mu);
        ++acked;
      }
    }
  });
  auto log = AllChanges(*probe, project, start_revision);
  if (!log.ok() || log->empty()) {
    result.violations = 1;
    result.notes = "cannot read the change log";
    target = 0;
  } else {
    target = log->back().revision();
  }
  writes_end = std::chrono::steady_clock::now();
  writes_done = true;
  for (auto& t : threads) t.join();
  if (!log.ok() || log->empty()) return result;
  std::vector<int64_t> expected;
  for (const auto& c : *log) expected.push_back(c.revision());
  long out_of_order = 0;
  for (int w = 0; w < watchers; ++w) {
    std::map<int64_t, int> seen;
    for (size_t i = 0; i < delivered[w].size(); ++i) {
      if (++seen[delivered[w][i]] > 1) ++result.duplicated;
      if (i > 0 && delivered[w][i] <= delivered[w][i - 1]) ++out_of_order;
    }
    for (int64_t r : expected) {
      if (seen.count(r) != 0) {
        ++result.present;
      } else {
        ++result.lost;
      }
    }
  }
  result.acknowledged = static_cast<long>(expected.size()) * watchers;
  result.violations += out_of_order;
  latencies.FillPercentiles(result);
  result.notes =
      absl::StrCat(watchers, " watchers; ", acked, " batches acknowledged, ", expected.size(),
                   " changes in the log, each to be delivered to every "
                   "watcher; ",
                   out_of_order, " out of order");
  return result;
}

}  // namespace larder::torture
