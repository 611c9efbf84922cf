// `feast apply` (staged commit=false writes closed by one commit) against a replica killed with
// kill -9 at every point of the apply: while the writes are being staged, after they are all
// staged, during the commit call and just after its reply. After each kill the replica is
// started again at the same address; the apply must then be in the registry whole or not at
// all, and whole when its commit was acknowledged. Beside it, writers commit single objects and
// (with more than one replica) a second client runs staged applies on another replica: none of
// their acknowledged writes may be lost, and the change log must stay dense.
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "tests/stress/torture_context.h"

namespace larder::torture {
namespace {

namespace reg = ::feast::registry;
using storage::ChangeRecord;

constexpr int kEntities = 6;
constexpr int kViews = 6;

// A Feast client on a connection of its own to one replica, without retries: Larder keys the
// staging session by connection, and gRPC otherwise shares one connection between the
// channels of a process.
class FeastConnection {
 public:
  explicit FeastConnection(const std::string& address) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    stub_ = reg::RegistryServer::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  }

  template <typename Request, typename Response>
  grpc::Status Call(grpc::Status (reg::RegistryServer::Stub::*method)(grpc::ClientContext*,
                                                                      const Request&, Response*),
                    const Request& request, Response* response = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    Response ignored;
    return (stub_.get()->*method)(&context, request, response != nullptr ? response : &ignored);
  }

 private:
  std::unique_ptr<reg::RegistryServer::Stub> stub_;
};

// One apply as `feast apply` sends it: the project and every object with commit=false, then
// the closing commit (UpdateInfra(commit=true) as the CLI sends, or Commit as
// FeatureStore.apply does).
class StagedApply {
 public:
  StagedApply(std::string project, bool cli) : project_(std::move(project)), cli_(cli) {}

  int steps() const { return 1 + kEntities + kViews; }

  // Sends staging call `i` (0 <= i < steps()).
  grpc::Status Stage(FeastConnection& c, int i) const {
    if (i == 0) {
      reg::ApplyProjectRequest r;
      r.mutable_project()->mutable_spec()->set_name(project_);
      r.set_commit(false);
      return c.Call(&reg::RegistryServer::Stub::ApplyProject, r);
    }
    if (i <= kEntities) {
      reg::ApplyEntityRequest r;
      r.set_project(project_);
      r.set_commit(false);
      auto* spec = r.mutable_entity()->mutable_spec();
      spec->set_name(absl::StrCat("e", i - 1));
      spec->set_join_key(absl::StrCat("e", i - 1, "_id"));
      spec->set_description(project_);
      return c.Call(&reg::RegistryServer::Stub::ApplyEntity, r);
    }
    reg::ApplyFeatureViewRequest r;
    r.set_project(project_);
    r.set_commit(false);
    auto* spec = r.mutable_feature_view()->mutable_spec();
    spec->set_name(absl::StrCat("fv", i - 1 - kEntities));
    spec->add_entities("e0");
    spec->add_features()->set_name("f");
    spec->set_description(project_);
    return c.Call(&reg::RegistryServer::Stub::ApplyFeatureView, r);
  }

  grpc::Status Commit(FeastConnection& c) const {
    if (cli_) {
      reg::UpdateInfraRequest r;
      r.set_project(project_);
      r.set_commit(true);
      return c.Call(&reg::RegistryServer::Stub::UpdateInfra, r);
    }
    return c.Call(&reg::RegistryServer::Stub::Commit, google::protobuf::Empty());
  }

  // Stages every object; false at the first failed call.
  bool StageAll(FeastConnection& c) const {
    for (int i = 0; i < steps(); ++i) {
      if (!Stage(c, i).ok()) return false;
    }
    return true;
  }

  const std::string& project() const { return project_; }

 private:
  std::string project_;
  bool cli_;
};

// How many of `project`'s entities and feature views the replica at `address` serves (read
// through the API, uncached, on a new connection: a channel to a replica that was just killed
// may still be waiting out its reconnect backoff); -1 when the reads fail.
int ObjectsServed(const std::string& address, const std::string& project) {
  FeastConnection c(address);
  reg::ListEntitiesRequest entities;
  entities.set_project(project);
  reg::ListEntitiesResponse entity_list;
  const grpc::Status s = c.Call(&reg::RegistryServer::Stub::ListEntities, entities, &entity_list);
  reg::ListFeatureViewsRequest views;
  views.set_project(project);
  reg::ListFeatureViewsResponse view_list;
  const grpc::Status t = c.Call(&reg::RegistryServer::Stub::ListFeatureViews, views, &view_list);
  // A project that was never created has nothing in it.
  if (s.error_code() == grpc::StatusCode::NOT_FOUND &&
      t.error_code() == grpc::StatusCode::NOT_FOUND) {
    return 0;
  }
  if (!s.ok() || !t.ok()) return -1;
  return entity_list.entities_size() + view_list.feature_views_size();
}

// Every change-log row, oldest first (read from the database).
std::vector<ChangeRecord> WholeLog(storage::Store& store) {
  std::vector<ChangeRecord> out;
  store
      .Run(storage::TxMode::kReadOnly,
           [&](storage::Transaction& tx) {
             auto changes = tx.ListChanges(0, 100'000'000);
             if (!changes.ok()) return changes.status();
             out = *std::move(changes);
             return absl::OkStatus();
           })
      .IgnoreError();
  return out;
}

int ReadPid(const std::string& path) {
  std::ifstream in(path);
  int pid = 0;
  in >> pid;
  return pid;
}

}  // namespace

ScenarioResult StagedApplyKill(const TortureConfig& config) {
  ScenarioResult result = NewResult("staged_apply_kill", config);
  if (config.victim_pid_file.empty() || config.victim_restart_command.empty()) {
    result.violations = 1;
    result.notes = "needs --victim-pid-file and --victim-restart-command";
    return result;
  }
  auto verifier = VerifierOrFail(config, result);
  if (verifier == nullptr) return result;
  const std::string victim = config.addresses[0];
  const std::string prefix = absl::StrCat("sk", config.run_id);
  std::string problem;
  auto note = [&](const std::string& what) {
    ++result.violations;
    if (problem.empty()) problem = what;
  };
  // Reads go to a replica that is not killed, where there is one.
  const std::string reader = config.addresses.size() > 1 ? config.addresses[1] : victim;

  // Two applies without a kill (one closed as the CLI does, one as FeatureStore.apply does):
  // what a whole apply serves and logs, and how long a commit takes (the window the kills
  // during the commit aim at).
  double commit_ms = 0;
  std::map<bool, long> whole_changes;  // closed as the CLI does -> changes logged
  for (const bool cli : {true, false}) {
    FeastConnection c(victim);
    StagedApply apply(absl::StrCat(prefix, cli ? "_whole_cli" : "_whole_api"), cli);
    if (!apply.StageAll(c)) {
      result.violations = 1;
      result.notes = "staging without a kill failed";
      return result;
    }
    const auto t0 = std::chrono::steady_clock::now();
    if (!apply.Commit(c).ok()) {
      result.violations = 1;
      result.notes = "an apply without a kill failed";
      return result;
    }
    commit_ms = std::max(commit_ms, MillisSince(t0));
    const int served = ObjectsServed(reader, apply.project());
    if (served != kEntities + kViews) {
      note(absl::StrCat("a whole apply serves ", served, " objects"));
    }
    for (const ChangeRecord& change : WholeLog(*verifier)) {
      whole_changes[cli] += change.project == apply.project();
    }
  }

  // Bystanders: single committed writes through any replica, and staged applies on a replica
  // that is not killed.
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::set<std::string> acked_writes;
  // project -> {closed as the CLI does, commit acknowledged}
  std::map<std::string, std::pair<bool, bool>> bystander_applies;
  const std::string single_project = prefix + "_single";
  std::vector<std::thread> bystanders;
  Latencies latencies;
  for (int w = 0; w < config.writers; ++w) {
    bystanders.emplace_back([&, w] {
      auto client = ClientFor(config, w + 1);
      for (int i = 0; !stop.load(); ++i) {
        const std::string name = absl::StrCat("w", w, "_", i);
        feast::core::Entity e;
        e.mutable_spec()->set_name(name);
        e.mutable_spec()->set_join_key(name + "_id");
        const auto t0 = std::chrono::steady_clock::now();
        if (client->ApplyEntity(single_project, e).ok()) {
          latencies.Add(MillisSince(t0));
          std::lock_guard<std::mutex> lock(mu);
          acked_writes.insert(name);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
  }
  if (config.addresses.size() > 1) {
    bystanders.emplace_back([&] {
      for (int i = 0; !stop.load(); ++i) {
        FeastConnection c(config.addresses[1 + i % (config.addresses.size() - 1)]);
        const bool cli = i % 2 == 0;
        StagedApply apply(absl::StrCat(prefix, "_by", i), cli);
        const bool ok = apply.StageAll(c) && apply.Commit(c).ok();
        std::lock_guard<std::mutex> lock(mu);
        bystander_applies[apply.project()] = {cli, ok};
      }
    });
  }

  // The killed applies. Modes: 0 while staging, 1 all staged but no commit, 2 during the commit
  // (a delay spread over the commit's duration), 3 right after the commit's reply.
  std::mt19937 random(std::random_device{}());
  struct Killed {
    bool cli;
    bool before_commit;  // killed before the commit was sent
    bool acknowledged;   // the commit answered OK before the kill
  };
  std::map<std::string, Killed> killed_applies;
  long during_committed = 0, during_not = 0;
  for (int round = 0; round < config.calls; ++round) {
    const int mode = round % 4;
    const bool cli = round % 2 == 1;
    StagedApply apply(absl::StrCat(prefix, "_k", round), cli);
    FeastConnection c(victim);
    const int pid = ReadPid(config.victim_pid_file);
    if (pid <= 0) {
      note("no victim pid");
      break;
    }
    bool acknowledged = false;
    if (mode == 0) {
      const int half = apply.steps() / 2;
      for (int i = 0; i < half; ++i) (void)apply.Stage(c, i);
      ::kill(pid, SIGKILL);
      for (int i = half; i < apply.steps(); ++i) {
        if (!apply.Stage(c, i).ok()) break;  // the client sees the server gone and gives up
      }
    } else if (mode == 1) {
      apply.StageAll(c);
      ::kill(pid, SIGKILL);
    } else if (mode == 2) {
      if (apply.StageAll(c)) {
        std::uniform_real_distribution<double> delay_ms(0, 1.5 * commit_ms);
        const auto delay = std::chrono::microseconds(static_cast<long>(1000 * delay_ms(random)));
        auto commit = std::async(std::launch::async, [&] { return apply.Commit(c); });
        std::this_thread::sleep_for(delay);
        ::kill(pid, SIGKILL);
        acknowledged = commit.get().ok();
        ++(acknowledged ? during_committed : during_not);
      } else {
        ::kill(pid, SIGKILL);
      }
    } else {
      acknowledged = apply.StageAll(c) && apply.Commit(c).ok();
      ::kill(pid, SIGKILL);
    }
    killed_applies[apply.project()] = {cli, mode <= 1, acknowledged};
    if (mode == 3 && !acknowledged) note(absl::StrCat("round ", round, ": commit failed"));
    if (std::system(
            ("(" + config.victim_restart_command + ") </dev/null >/dev/null 2>&1").c_str()) != 0) {
      note(absl::StrCat("round ", round, ": the restart failed"));
      break;
    }
    // Before a commit nothing may survive; what it committed must be whole.
    const int served = ObjectsServed(reader, apply.project());
    if (served != 0 && served != kEntities + kViews) {
      note(absl::StrCat("round ", round, " (mode ", mode, "): ", served, " of ", kEntities + kViews,
                        " objects"));
    } else if (mode <= 1 && served != 0) {
      note(absl::StrCat("round ", round, ": an apply killed before its commit is there"));
    } else if (acknowledged && served == 0) {
      note(absl::StrCat("round ", round, ": an acknowledged apply is missing"));
    }
  }
  stop = true;
  for (auto& t : bystanders) t.join();

  // Afterwards, from the database: every apply's changes whole, in one unbroken run of
  // revisions; the bystanders' acknowledged writes each logged once; the log dense.
  std::vector<ChangeRecord> log = WholeLog(*verifier);
  std::map<std::string, std::vector<int64_t>> revisions_of;
  std::map<std::string, int> single_logged;
  for (size_t i = 0; i < log.size(); ++i) {
    if (i > 0 && log[i].revision != log[i - 1].revision + 1) {
      note(absl::StrCat("change log gap after revision ", log[i - 1].revision));
    }
    if (log[i].project == single_project) {
      if (log[i].kind == storage::ObjectKind::kEntity) ++single_logged[log[i].name];
    } else if (log[i].project.rfind(prefix + "_", 0) == 0) {
      revisions_of[log[i].project].push_back(log[i].revision);
    }
  }
  // An apply's changes: none or all of them. PostgreSQL numbers the log after the commit
  // (docs/consistency.md), so writes committing at the same moment can take revisions between
  // an apply's; they become visible together all the same. Counted, not a violation.
  long interleaved = 0;
  auto check_apply = [&](const std::string& project, bool cli, bool acknowledged) {
    const std::vector<int64_t>& revisions = revisions_of[project];
    const long n = static_cast<long>(revisions.size());
    if (n != 0 && n != whole_changes[cli]) {
      note(absl::StrCat(project, ": ", n, " of ", whole_changes[cli], " changes logged"));
    } else if (n != 0 && revisions.back() - revisions.front() + 1 != n) {
      ++interleaved;
    }
    if (acknowledged) {
      ++result.acknowledged;
      ++(n == whole_changes[cli] ? result.present : result.lost);
    }
    return n != 0;
  };
  long killed_committed = 0;
  for (const auto& [project, killed] : killed_applies) {
    const bool logged = check_apply(project, killed.cli, killed.acknowledged);
    if (logged && killed.before_commit) note(project + ": killed before its commit, yet logged");
    killed_committed += logged;
  }
  long bystanders_committed = 0;
  for (const auto& [project, outcome] : bystander_applies) {
    check_apply(project, outcome.first, outcome.second);
    bystanders_committed += outcome.second;
  }
  for (const std::string& name : acked_writes) {
    ++result.acknowledged;
    const int n = single_logged.count(name) ? single_logged[name] : 0;
    ++(n == 0 ? result.lost : result.present);
    if (n > 1) result.duplicated += n - 1;
  }
  latencies.FillPercentiles(result);
  result.notes = absl::StrCat(
      killed_applies.size(), " applies killed (", killed_committed,
      " committed; during the commit ", during_committed, " acknowledged, ", during_not, " not), ",
      bystander_applies.size(), " bystander applies (", bystanders_committed, " acknowledged), ",
      acked_writes.size(), " single writes; ", interleaved,
      " applies interleaved with other writes in revision order; commit ",
      static_cast<long>(commit_ms), " ms", problem.empty() ? "" : "; ", problem);
  return result;
}

}  // namespace larder::torture
