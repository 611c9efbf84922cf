#include "tests/support/model_store.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "storage/change_compaction.h"

namespace larder::testing {
namespace {

using storage::ObjectKind;
using storage::ObjectRow;

class ModelTransaction : public storage::Transaction {
 public:
  explicit ModelTransaction(ModelStore::State& state) : s_(state) {}

  static bool Finished(absl::string_view state) {
    return state == "succeeded" || state == "failed" || state == "cancelled";
  }

  static std::string Key(ObjectKind kind, absl::string_view project, absl::string_view name) {
    return std::string(kind == ObjectKind::kProject ? name : project);
  }

  absl::StatusOr<std::optional<ObjectRow>> GetObject(ObjectKind kind, absl::string_view project,
                                                     absl::string_view name,
                                                     storage::Lock) override {
    auto it = s_.objects.find({kind, Key(kind, project, name), std::string(name)});
    if (it == s_.objects.end()) return std::optional<ObjectRow>();
    return std::optional<ObjectRow>(it->second);
  }
  absl::StatusOr<std::vector<ObjectRow>> ListObjects(ObjectKind kind, absl::string_view project,
                                                     std::optional<int64_t> since) override {
    std::vector<ObjectRow> rows;
    for (const auto& [key, row] : s_.objects) {
      if (std::get<0>(key) != kind) continue;
      if (kind != ObjectKind::kProject && row.project != project) continue;
      if (since.has_value() && row.last_updated_seconds < *since) continue;
      rows.push_back(row);
    }
    return rows;  // std::map order = by name within (kind, project)
  }
  absl::Status InsertObject(ObjectKind kind, const ObjectRow& row) override {
    ObjectRow stored = row;
    if (kind == ObjectKind::kProject) stored.project = row.name;
    auto [it, inserted] =
        s_.objects.emplace(std::make_tuple(kind, stored.project, stored.name), stored);
    return inserted ? absl::OkStatus() : absl::AlreadyExistsError("duplicate key");
  }
  absl::Status UpdateObject(ObjectKind kind, const ObjectRow& row) override {
    auto it = s_.objects.find({kind, Key(kind, row.project, row.name), row.name});
    if (it == s_.objects.end()) return absl::NotFoundError("row to update is gone");
    it->second.proto = row.proto;
    it->second.last_updated_seconds = row.last_updated_seconds;
    it->second.version = row.version;
    return absl::OkStatus();
  }
  absl::StatusOr<bool> DeleteObject(ObjectKind kind, absl::string_view project,
                                    absl::string_view name) override {
    if (s_.objects.erase({kind, Key(kind, project, name), std::string(name)}) == 0) return false;
    s_.owners.erase({std::string(project), kind, std::string(name)});
    return true;
  }
  absl::Status SetOwner(ObjectKind kind, absl::string_view project, absl::string_view name,
                        absl::string_view owner) override {
    s_.owners[{std::string(project), kind, std::string(name)}] = std::string(owner);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::pair<ObjectKind, std::string>>> ListOwned(
      absl::string_view project, absl::string_view owner) override {
    std::vector<std::pair<ObjectKind, std::string>> out;
    for (const auto& [key, who] : s_.owners) {
      if (std::get<0>(key) == project && who == owner) {
        out.emplace_back(std::get<1>(key), std::get<2>(key));
      }
    }
    return out;
  }
  absl::StatusOr<std::optional<std::string>> GetMetadata(absl::string_view project,
                                                         absl::string_view key) override {
    auto it = s_.metadata.find({std::string(project), std::string(key)});
    if (it == s_.metadata.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ListMetadata(
      absl::string_view project) override {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [key, value] : s_.metadata) {
      if (key.first == project) out.emplace_back(key.second, value);
    }
    return out;
  }
  absl::Status PutMetadata(absl::string_view project, absl::string_view key,
                           absl::string_view value, int64_t) override {
    s_.metadata[{std::string(project), std::string(key)}] = std::string(value);
    return absl::OkStatus();
  }
  absl::StatusOr<bool> InsertMetadataIfAbsent(absl::string_view project, absl::string_view key,
                                              absl::string_view value, int64_t) override {
    return s_.metadata
        .emplace(std::make_pair(std::string(project), std::string(key)), std::string(value))
        .second;
  }
  absl::StatusOr<std::vector<storage::VersionRecord>> ListVersions(
      absl::string_view project, absl::string_view view) override {
    std::vector<storage::VersionRecord> out;
    for (const auto& [key, record] : s_.versions) {
      if (std::get<0>(key) == project && (view.empty() || std::get<1>(key) == view)) {
        out.push_back(record);
      }
    }
    return out;
  }
  absl::Status InsertVersion(const storage::VersionRecord& r) override {
    bool inserted =
        s_.versions.emplace(std::make_tuple(r.project, r.view_name, r.version_number), r).second;
    return inserted ? absl::OkStatus() : absl::AlreadyExistsError("duplicate key");
  }
  absl::Status DeleteVersions(absl::string_view project, absl::string_view view) override {
    std::erase_if(s_.versions, [&](const auto& entry) {
      return std::get<0>(entry.first) == project && std::get<1>(entry.first) == view;
    });
    return absl::OkStatus();
  }
  absl::StatusOr<bool> DeleteProjectCascade(absl::string_view project) override {
    const bool existed =
        s_.objects.count({ObjectKind::kProject, std::string(project), std::string(project)}) > 0;
    std::erase_if(s_.objects, [&](const auto& e) { return e.second.project == project; });
    std::erase_if(s_.metadata, [&](const auto& e) { return e.first.first == project; });
    std::erase_if(s_.versions, [&](const auto& e) { return std::get<0>(e.first) == project; });
    std::erase_if(s_.owners, [&](const auto& e) { return std::get<0>(e.first) == project; });
    return existed;
  }
  absl::Status InsertMaterializationJob(const storage::MaterializationJobRow& job) override {
    for (const auto& [id, other] : s_.jobs) {
      if (!job.request_id.empty() && other.request_id == job.request_id) {
        return absl::AlreadyExistsError("duplicate key");
      }
    }
    return s_.jobs.emplace(job.job_id, job).second ? absl::OkStatus()
                                                   : absl::AlreadyExistsError("duplicate key");
  }
  absl::Status UpdateMaterializationJob(const storage::MaterializationJobRow& job) override {
    auto it = s_.jobs.find(job.job_id);
    if (it == s_.jobs.end()) return absl::NotFoundError("materialization job is gone");
    const auto kept =
        std::make_tuple(it->second.project, it->second.request_id, it->second.created_at_micros);
    it->second = job;
    std::tie(it->second.project, it->second.request_id, it->second.created_at_micros) = kept;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<storage::MaterializationJobRow>> GetMaterializationJob(
      absl::string_view job_id, storage::Lock) override {
    auto it = s_.jobs.find(std::string(job_id));
    if (it == s_.jobs.end()) return std::optional<storage::MaterializationJobRow>();
    return std::optional<storage::MaterializationJobRow>(it->second);
  }
  absl::StatusOr<std::optional<storage::MaterializationJobRow>> FindMaterializationJobByRequest(
      absl::string_view request_id) override {
    for (const auto& [id, job] : s_.jobs) {
      if (job.request_id == request_id) return std::optional<storage::MaterializationJobRow>(job);
    }
    return std::optional<storage::MaterializationJobRow>();
  }
  absl::StatusOr<std::vector<storage::MaterializationJobRow>> ListMaterializationJobs(
      absl::string_view project, int limit) override {
    std::vector<storage::MaterializationJobRow> out;
    for (const auto& [id, job] : s_.jobs) {
      if (project.empty() || job.project == project) out.push_back(job);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.created_at_micros != b.created_at_micros ? a.created_at_micros > b.created_at_micros
                                                        : a.job_id < b.job_id;
    });
    if (static_cast<int>(out.size()) > limit) out.resize(limit);
    return out;
  }
  absl::Status InsertMaterializationTask(const storage::MaterializationTaskRow& task) override {
    return s_.tasks.emplace(task.task_id, task).second ? absl::OkStatus()
                                                       : absl::AlreadyExistsError("duplicate key");
  }
  absl::Status UpdateMaterializationTask(const storage::MaterializationTaskRow& task) override {
    auto it = s_.tasks.find(task.task_id);
    if (it == s_.tasks.end()) return absl::NotFoundError("materialization task is gone");
    storage::MaterializationTaskRow updated = task;
    // Only the mutable columns change, as in the SQL store.
    updated.job_id = it->second.job_id;
    updated.task_index = it->second.task_index;
    updated.project = it->second.project;
    updated.view_kind = it->second.view_kind;
    updated.view_name = it->second.view_name;
    updated.start_micros = it->second.start_micros;
    updated.end_micros = it->second.end_micros;
    it->second = std::move(updated);
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<storage::MaterializationTaskRow>> GetMaterializationTask(
      absl::string_view task_id, storage::Lock) override {
    auto it = s_.tasks.find(std::string(task_id));
    if (it == s_.tasks.end()) return std::optional<storage::MaterializationTaskRow>();
    return std::optional<storage::MaterializationTaskRow>(it->second);
  }
  absl::StatusOr<std::vector<storage::MaterializationTaskRow>> ListMaterializationTasks(
      absl::string_view job_id, storage::Lock) override {
    std::vector<storage::MaterializationTaskRow> out;
    for (const auto& [id, task] : s_.tasks) {
      if (task.job_id == job_id) out.push_back(task);
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.task_index < b.task_index; });
    return out;
  }
  absl::StatusOr<std::vector<storage::MaterializationTaskRow>> ActiveMaterializationTasks(
      absl::string_view project, absl::string_view view) override {
    std::vector<storage::MaterializationTaskRow> out;
    for (const auto& [id, task] : s_.tasks) {
      if (task.project == project && task.view_name == view &&
          (task.state == "pending" || task.state == "leased")) {
        out.push_back(task);
      }
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.start_micros < b.start_micros; });
    return out;
  }
  absl::StatusOr<std::vector<storage::MaterializationTaskRow>> LeasableMaterializationTasks(
      int64_t now, int limit) override {
    std::vector<storage::MaterializationTaskRow> out;
    for (const auto& [id, task] : s_.tasks) {
      if ((task.state == "pending" && task.not_before_micros <= now) ||
          (task.state == "leased" && task.lease_expires_micros <= now)) {
        out.push_back(task);
      }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::tie(a.not_before_micros, a.job_id, a.task_index) <
             std::tie(b.not_before_micros, b.job_id, b.task_index);
    });
    if (static_cast<int>(out.size()) > limit) out.resize(limit);
    return out;
  }
  absl::StatusOr<std::vector<storage::MaterializationJobRow>> FinishedMaterializationJobs(
      int64_t before, int limit) override {
    std::vector<storage::MaterializationJobRow> out;
    for (const auto& [id, job] : s_.jobs) {
      if (Finished(job.state) && job.finished_at_micros > 0 && job.finished_at_micros < before) {
        out.push_back(job);
      }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::tie(a.finished_at_micros, a.job_id) < std::tie(b.finished_at_micros, b.job_id);
    });
    if (static_cast<int>(out.size()) > limit) out.resize(limit);
    return out;
  }
  absl::StatusOr<bool> DeleteFinishedMaterializationJob(absl::string_view job_id) override {
    auto it = s_.jobs.find(std::string(job_id));
    if (it == s_.jobs.end() || !Finished(it->second.state)) return false;
    s_.jobs.erase(it);
    std::erase_if(s_.tasks, [&](const auto& e) { return e.second.job_id == job_id; });
    return true;
  }
  void RecordChange(storage::ChangeRecord change) override {
    pending_.push_back(std::move(change));
  }
  void RecordRequest(std::string request_id, int64_t) override {
    pending_requests_.push_back(std::move(request_id));
  }
  absl::StatusOr<std::vector<storage::ChangeRecord>> ListChanges(int64_t after,
                                                                 int limit) override {
    if (after < s_.compacted_through) return storage::ChangesCompacted(after, s_.compacted_through);
    std::vector<storage::ChangeRecord> out;
    for (const auto& c : s_.changes) {
      if (c.revision > after && static_cast<int>(out.size()) < limit) out.push_back(c);
    }
    return out;
  }
  absl::StatusOr<int64_t> CompactedThrough() override { return s_.compacted_through; }
  absl::StatusOr<int64_t> CompactChanges(int64_t through) override {
    through = std::min(through, s_.revision);
    if (through <= s_.compacted_through) return 0;
    // The model's own reading of retention: the registry at `through` is each object's last
    // change there, unless that change deleted it.
    std::map<std::tuple<storage::ObjectKind, std::string, std::string>, int64_t> last;
    for (const auto& c : s_.changes) {
      if (c.revision <= through) last[{c.kind, c.project, c.name}] = c.revision;
    }
    const size_t before = s_.changes.size();
    std::erase_if(s_.changes, [&](const storage::ChangeRecord& c) {
      return c.revision <= through && (last[{c.kind, c.project, c.name}] != c.revision ||
                                       c.op == storage::ChangeOp::kDelete);
    });
    s_.compacted_through = through;
    return static_cast<int64_t>(before - s_.changes.size());
  }
  absl::StatusOr<std::vector<storage::ChangeRecord>> ListChangesThrough(int64_t after,
                                                                        int64_t through,
                                                                        int limit) override {
    std::vector<storage::ChangeRecord> out;
    for (const auto& c : s_.changes) {
      if (c.revision > after && c.revision <= through && static_cast<int>(out.size()) < limit) {
        out.push_back(c);
      }
    }
    return out;
  }
  absl::StatusOr<int64_t> LastRevisionBefore(int64_t micros) override {
    int64_t revision = 0;
    for (const auto& c : s_.changes) {
      if (c.changed_at_micros < micros) revision = std::max(revision, c.revision);
    }
    return revision;
  }
  absl::StatusOr<std::vector<storage::ChangeRecord>> ListObjectChanges(storage::ObjectKind kind,
                                                                       absl::string_view project,
                                                                       absl::string_view name,
                                                                       int64_t after,
                                                                       int limit) override {
    std::vector<storage::ChangeRecord> out;
    for (const auto& c : s_.changes) {
      if (c.kind == kind && c.project == project && c.name == name && c.revision > after &&
          static_cast<int>(out.size()) < limit) {
        out.push_back(c);
      }
    }
    return out;
  }
  absl::StatusOr<bool> RequestCommitted(absl::string_view request_id) override {
    for (const auto& c : s_.changes) {
      if (c.request_id == request_id) return true;
    }
    return s_.requests.contains(std::string(request_id));
  }
  absl::StatusOr<int64_t> CurrentRevision() override { return s_.revision; }
  // The model runs one transaction at a time, so the counter is always "locked".
  absl::StatusOr<int64_t> LockRevision() override { return CurrentRevision(); }

  void Flush() {
    for (auto& c : pending_) {
      c.revision = ++s_.revision;
      if (c.op == storage::ChangeOp::kDelete) c.proto.clear();
      s_.changes.push_back(std::move(c));
    }
    pending_.clear();
    for (std::string& id : pending_requests_) s_.requests.insert(std::move(id));
    pending_requests_.clear();
  }

 private:
  ModelStore::State& s_;
  std::vector<storage::ChangeRecord> pending_;
  std::vector<std::string> pending_requests_;
};

}  // namespace

absl::Status ModelStore::Run(storage::TxMode mode,
                             absl::FunctionRef<absl::Status(storage::Transaction&)> body) {
  absl::MutexLock lock(&mu_);
  State working = state_;
  ModelTransaction tx(working);
  absl::Status status = body(tx);
  if (!status.ok()) return status;
  if (mode == storage::TxMode::kReadWrite) {
    tx.Flush();
    state_ = std::move(working);
  }
  return absl::OkStatus();
}

}  // namespace larder::testing
