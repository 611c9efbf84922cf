#include "storage/sql_transaction.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "storage/change_compaction.h"

namespace larder::storage {
namespace {

absl::StatusOr<int64_t> ToInt(const SqlCell& cell) {
  int64_t value = 0;
  if (!cell.has_value()) return 0;  // rows written by Feast may leave Larder's columns NULL
  if (!absl::SimpleAtoi(*cell, &value)) {
    return absl::InternalError("database returned a malformed integer");
  }
  return value;
}

std::string ToText(const SqlCell& cell) { return cell.value_or(""); }

// Columns: name, project, proto, last_updated, version (see statements.cc).
absl::StatusOr<ObjectRow> ToObjectRow(const std::vector<SqlCell>& cells) {
  ObjectRow row;
  row.name = ToText(cells[0]);
  row.project = ToText(cells[1]);
  row.proto = ToText(cells[2]);
  absl::StatusOr<int64_t> updated = ToInt(cells[3]);
  if (!updated.ok()) return updated.status();
  absl::StatusOr<int64_t> version = ToInt(cells[4]);
  if (!version.ok()) return version.status();
  row.last_updated_seconds = *updated;
  row.version = *version;
  return row;
}

}  // namespace

absl::string_view ChangeOpName(ChangeOp op) {
  switch (op) {
    case ChangeOp::kCreate:
      return "create";
    case ChangeOp::kUpdate:
      return "update";
    case ChangeOp::kDelete:
      return "delete";
  }
  return "unknown";
}

absl::StatusOr<std::optional<ObjectRow>> SqlTransaction::GetObject(ObjectKind kind,
                                                                   absl::string_view project,
                                                                   absl::string_view name,
                                                                   Lock lock) {
  const KindStatements& s = statements_.of(kind);
  const Statement& statement = lock == Lock::kForUpdate ? s.get_for_update
                               : lock == Lock::kShared  ? s.get_for_share
                                                        : s.get;
  absl::StatusOr<SqlResult> result = kind == ObjectKind::kProject
                                         ? Exec(statement, {SqlParam(name)})
                                         : Exec(statement, {SqlParam(name), SqlParam(project)});
  if (!result.ok()) return result.status();
  if (result->rows.empty()) return std::nullopt;
  absl::StatusOr<ObjectRow> row = ToObjectRow(result->rows.front());
  if (!row.ok()) return row.status();
  return std::optional<ObjectRow>(*std::move(row));
}

absl::StatusOr<std::vector<ObjectRow>> SqlTransaction::ListObjects(
    ObjectKind kind, absl::string_view project, std::optional<int64_t> updated_since_seconds) {
  const KindStatements& s = statements_.of(kind);
  std::vector<SqlParam> params;
  if (kind != ObjectKind::kProject) params.emplace_back(project);
  if (updated_since_seconds.has_value()) params.emplace_back(*updated_since_seconds);
  absl::StatusOr<SqlResult> result =
      Exec(updated_since_seconds.has_value() ? s.list_since : s.list, params);
  if (!result.ok()) return result.status();
  std::vector<ObjectRow> rows;
  rows.reserve(result->rows.size());
  for (const auto& cells : result->rows) {
    absl::StatusOr<ObjectRow> row = ToObjectRow(cells);
    if (!row.ok()) return row.status();
    rows.push_back(*std::move(row));
  }
  return rows;
}

absl::Status SqlTransaction::InsertObject(ObjectKind kind, const ObjectRow& row) {
  // Projects store their name in both project_id and project_name.
  const absl::string_view second = kind == ObjectKind::kProject ? row.name : row.project;
  return Exec(statements_.of(kind).insert,
              {SqlParam(row.name), SqlParam(second), SqlParam(row.last_updated_seconds),
               SqlParam(Blob{row.proto}), SqlParam(row.version)})
      .status();
}

absl::Status SqlTransaction::UpdateObject(ObjectKind kind, const ObjectRow& row) {
  std::vector<SqlParam> params = {SqlParam(Blob{row.proto}), SqlParam(row.last_updated_seconds),
                                  SqlParam(row.version), SqlParam(row.name)};
  if (kind != ObjectKind::kProject) params.emplace_back(row.project);
  absl::StatusOr<SqlResult> result = Exec(statements_.of(kind).update, params);
  if (!result.ok()) return result.status();
  if (result->affected_rows == 0) {
    return absl::NotFoundError(absl::StrCat(TableOf(kind).kind_name, " row to update is gone"));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> SqlTransaction::DeleteObject(ObjectKind kind, absl::string_view project,
                                                  absl::string_view name) {
  const Statement& statement = statements_.of(kind).remove;
  absl::StatusOr<SqlResult> result = kind == ObjectKind::kProject
                                         ? Exec(statement, {SqlParam(name)})
                                         : Exec(statement, {SqlParam(name), SqlParam(project)});
  if (!result.ok()) return result.status();
  if (result->affected_rows == 0) return false;
  if (kind != ObjectKind::kProject) {
    // Its owner record goes with it, so a later object of that name starts unowned.
    absl::Status owner =
        Exec(statements_.owner_remove,
             {SqlParam(project), SqlParam(TableOf(kind).kind_name), SqlParam(name)})
            .status();
    if (!owner.ok()) return owner;
  }
  return true;
}

absl::Status SqlTransaction::SetOwner(ObjectKind kind, absl::string_view project,
                                      absl::string_view name, absl::string_view owner) {
  const absl::string_view kind_name = TableOf(kind).kind_name;
  absl::Status removed =
      Exec(statements_.owner_remove, {SqlParam(project), SqlParam(kind_name), SqlParam(name)})
          .status();
  if (!removed.ok()) return removed;
  return Exec(statements_.owner_insert,
              {SqlParam(project), SqlParam(kind_name), SqlParam(name), SqlParam(owner)})
      .status();
}

absl::StatusOr<std::vector<std::pair<ObjectKind, std::string>>> SqlTransaction::ListOwned(
    absl::string_view project, absl::string_view owner) {
  absl::StatusOr<SqlResult> result =
      Exec(statements_.owned_by, {SqlParam(project), SqlParam(owner)});
  if (!result.ok()) return result.status();
  std::vector<std::pair<ObjectKind, std::string>> owned;
  for (const std::vector<SqlCell>& row : result->rows) {
    std::optional<ObjectKind> kind = KindFromName(ToText(row[0]));
    if (!kind.has_value()) return absl::InternalError("larder_owners holds an unknown kind");
    owned.emplace_back(*kind, ToText(row[1]));
  }
  return owned;
}

absl::StatusOr<std::optional<std::string>> SqlTransaction::GetMetadata(absl::string_view project,
                                                                       absl::string_view key) {
  if (absl::Status s = FlushMetadata(); !s.ok()) return s;
  absl::StatusOr<SqlResult> result =
      Exec(statements_.metadata_get, {SqlParam(project), SqlParam(key)});
  if (!result.ok()) return result.status();
  if (result->rows.empty()) return std::nullopt;
  return std::optional<std::string>(ToText(result->rows.front()[0]));
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> SqlTransaction::ListMetadata(
    absl::string_view project) {
  if (absl::Status s = FlushMetadata(); !s.ok()) return s;
  absl::StatusOr<SqlResult> result = Exec(statements_.metadata_list, {SqlParam(project)});
  if (!result.ok()) return result.status();
  std::vector<std::pair<std::string, std::string>> entries;
  for (const auto& cells : result->rows) entries.emplace_back(ToText(cells[0]), ToText(cells[1]));
  return entries;
}

absl::Status SqlTransaction::PutMetadata(absl::string_view project, absl::string_view key,
                                         absl::string_view value, int64_t now_seconds) {
  // Every write stamps its project's last_updated_timestamp; the row lock that takes is held to
  // COMMIT and serializes the project's writers, so it is sent with the commit (Commit()).
  pending_metadata_.push_back(
      {std::string(project), std::string(key), std::string(value), now_seconds});
  return absl::OkStatus();
}

absl::Status SqlTransaction::StampProject(absl::string_view project, int64_t now_seconds) {
  if (!statements_.sequenced) return Transaction::StampProject(project, now_seconds);
  // Decided at Commit(): written there unless the numbering step will stamp the project.
  int64_t& stamp = stamps_[project];
  stamp = std::max(stamp, now_seconds);
  return absl::OkStatus();
}

absl::Status SqlTransaction::FlushMetadata() {
  for (const MetadataPut& put : pending_metadata_) {
    absl::Status status =
        Exec(statements_.metadata_put, {SqlParam(put.project), SqlParam(put.key),
                                        SqlParam(put.value), SqlParam(put.now_seconds)})
            .status();
    if (!status.ok()) return status;
  }
  pending_metadata_.clear();
  return absl::OkStatus();
}

absl::StatusOr<bool> SqlTransaction::InsertMetadataIfAbsent(absl::string_view project,
                                                            absl::string_view key,
                                                            absl::string_view value,
                                                            int64_t now_seconds) {
  if (absl::Status s = FlushMetadata(); !s.ok()) return s;
  absl::StatusOr<SqlResult> result =
      Exec(statements_.metadata_insert_if_absent,
           {SqlParam(project), SqlParam(key), SqlParam(value), SqlParam(now_seconds)});
  if (!result.ok()) return result.status();
  return result->affected_rows > 0;
}

absl::StatusOr<std::vector<VersionRecord>> SqlTransaction::ListVersions(
    absl::string_view project, absl::string_view view_name) {
  absl::StatusOr<SqlResult> result =
      view_name.empty() ? Exec(statements_.versions_list_project, {SqlParam(project)})
                        : Exec(statements_.versions_list, {SqlParam(project), SqlParam(view_name)});
  if (!result.ok()) return result.status();
  std::vector<VersionRecord> records;
  for (const auto& cells : result->rows) {
    VersionRecord r;
    r.view_name = ToText(cells[0]);
    r.project = ToText(cells[1]);
    absl::StatusOr<int64_t> number = ToInt(cells[2]);
    if (!number.ok()) return number.status();
    r.version_number = static_cast<int32_t>(*number);
    r.view_type = ToText(cells[3]);
    r.proto = ToText(cells[4]);
    absl::StatusOr<int64_t> created = ToInt(cells[5]);
    if (!created.ok()) return created.status();
    r.created_seconds = *created;
    r.description = ToText(cells[6]);
    r.version_id = ToText(cells[7]);
    records.push_back(std::move(r));
  }
  return records;
}

absl::Status SqlTransaction::InsertVersion(const VersionRecord& r) {
  return Exec(statements_.versions_insert,
              {SqlParam(r.view_name), SqlParam(r.project),
               SqlParam(static_cast<int64_t>(r.version_number)), SqlParam(r.view_type),
               SqlParam(Blob{r.proto}), SqlParam(r.created_seconds), SqlParam(r.description),
               SqlParam(r.version_id)})
      .status();
}

absl::Status SqlTransaction::DeleteVersions(absl::string_view project,
                                            absl::string_view view_name) {
  return Exec(statements_.versions_remove, {SqlParam(project), SqlParam(view_name)}).status();
}

absl::StatusOr<bool> SqlTransaction::DeleteProjectCascade(absl::string_view project) {
  if (absl::Status s = FlushMetadata(); !s.ok()) return s;
  for (const KindTable& t : AllKindTables()) {
    if (t.kind == ObjectKind::kProject) continue;
    absl::Status status =
        Exec(statements_.of(t.kind).remove_project_rows, {SqlParam(project)}).status();
    if (!status.ok()) return status;
  }
  for (const Statement* statement :
       {&statements_.versions_remove_project, &statements_.metadata_remove_project,
        &statements_.owner_remove_project}) {
    absl::Status status = Exec(*statement, {SqlParam(project)}).status();
    if (!status.ok()) return status;
  }
  return DeleteObject(ObjectKind::kProject, project, project);
}

namespace {
// One larder_changes row, as selected by changes_after and changes_of_object.
absl::StatusOr<ChangeRecord> ChangeFromCells(const std::vector<SqlCell>& cells) {
  ChangeRecord c;
  absl::StatusOr<int64_t> revision = ToInt(cells[0]);
  absl::StatusOr<int64_t> version = ToInt(cells[5]);
  absl::StatusOr<int64_t> micros = ToInt(cells[7]);
  if (!revision.ok() || !version.ok() || !micros.ok()) {
    return absl::InternalError("database returned a malformed change-log row");
  }
  c.revision = *revision;
  c.project = ToText(cells[1]);
  std::optional<ObjectKind> kind = KindFromName(ToText(cells[2]));
  if (!kind.has_value()) return absl::InternalError("change log names an unknown kind");
  c.kind = *kind;
  c.name = ToText(cells[3]);
  const std::string op = ToText(cells[4]);
  c.op =
      op == "create" ? ChangeOp::kCreate : (op == "update" ? ChangeOp::kUpdate : ChangeOp::kDelete);
  c.object_version = *version;
  c.actor = ToText(cells[6]);
  c.changed_at_micros = *micros;
  c.proto = ToText(cells[8]);
  c.request_id = ToText(cells[9]);
  return c;
}
}  // namespace

absl::StatusOr<std::vector<ChangeRecord>> SqlTransaction::ListChanges(int64_t after_revision,
                                                                      int limit) {
  absl::StatusOr<SqlResult> result =
      Exec(statements_.changes_after, {SqlParam(after_revision), SqlParam(int64_t{limit})});
  if (!result.ok()) return result.status();
  std::vector<ChangeRecord> changes;
  if (!result->rows.empty()) {
    absl::StatusOr<int64_t> horizon = ToInt(result->rows.front()[10]);
    if (!horizon.ok()) return horizon.status();
    if (after_revision < *horizon) return ChangesCompacted(after_revision, *horizon);
  }
  for (const auto& cells : result->rows) {
    absl::StatusOr<ChangeRecord> c = ChangeFromCells(cells);
    if (!c.ok()) return c.status();
    if (c->revision != after_revision + 1 + static_cast<int64_t>(changes.size())) break;  // a gap
    changes.push_back(*std::move(c));
  }
  return changes;
}

absl::StatusOr<int64_t> SqlTransaction::CompactedThrough() {
  absl::StatusOr<SqlResult> result = Exec(statements_.horizon_read, {});
  if (!result.ok()) return result.status();
  if (result->rows.empty()) return absl::InternalError("revision counter row is missing");
  return ToInt(result->rows.front()[0]);
}

absl::StatusOr<int64_t> SqlTransaction::CompactChanges(int64_t through) {
  absl::StatusOr<int64_t> horizon = CompactedThrough();
  if (!horizon.ok()) return horizon.status();
  absl::StatusOr<int64_t> current = CurrentRevision();
  if (!current.ok()) return current.status();
  through = std::min(through, *current);
  if (through <= *horizon) return 0;
  absl::StatusOr<SqlResult> scanned = Exec(statements_.compaction_scan, {SqlParam(through)});
  if (!scanned.ok()) return scanned.status();
  std::vector<CompactionEntry> entries;
  entries.reserve(scanned->rows.size());
  for (const auto& cells : scanned->rows) {
    absl::StatusOr<int64_t> revision = ToInt(cells[0]);
    if (!revision.ok()) return revision.status();
    entries.push_back({*revision, ToText(cells[1]), ToText(cells[2]), ToText(cells[3]),
                       ToText(cells[4]) == ChangeOpName(ChangeOp::kDelete)});
  }
  int64_t removed = 0;
  for (const auto& [first, last] : RevisionRunsToCompact(entries)) {
    absl::StatusOr<SqlResult> deleted =
        Exec(statements_.changes_remove_range, {SqlParam(first), SqlParam(last)});
    if (!deleted.ok()) return deleted.status();
    removed += deleted->affected_rows;
  }
  absl::Status advanced = Exec(statements_.horizon_advance, {SqlParam(through)}).status();
  if (!advanced.ok()) return advanced;
  return removed;
}

absl::StatusOr<std::vector<ChangeRecord>> SqlTransaction::ListChangesThrough(int64_t after,
                                                                             int64_t through,
                                                                             int limit) {
  absl::StatusOr<SqlResult> result = Exec(
      statements_.changes_through, {SqlParam(after), SqlParam(through), SqlParam(int64_t{limit})});
  if (!result.ok()) return result.status();
  std::vector<ChangeRecord> changes;
  for (const auto& cells : result->rows) {
    absl::StatusOr<ChangeRecord> c = ChangeFromCells(cells);
    if (!c.ok()) return c.status();
    changes.push_back(*std::move(c));
  }
  return changes;
}

absl::StatusOr<int64_t> SqlTransaction::LastRevisionBefore(int64_t micros) {
  absl::StatusOr<SqlResult> result = Exec(statements_.last_revision_before, {SqlParam(micros)});
  if (!result.ok()) return result.status();
  if (result->rows.empty() || !result->rows.front()[0].has_value()) return 0;
  return ToInt(result->rows.front()[0]);
}

absl::StatusOr<std::vector<ChangeRecord>> SqlTransaction::ListObjectChanges(
    ObjectKind kind, absl::string_view project, absl::string_view name, int64_t after_revision,
    int limit) {
  absl::StatusOr<SqlResult> result =
      Exec(statements_.changes_of_object,
           {SqlParam(project), SqlParam(TableOf(kind).kind_name), SqlParam(name),
            SqlParam(after_revision), SqlParam(int64_t{limit})});
  if (!result.ok()) return result.status();
  std::vector<ChangeRecord> changes;
  for (const auto& cells : result->rows) {
    absl::StatusOr<ChangeRecord> c = ChangeFromCells(cells);
    if (!c.ok()) return c.status();
    changes.push_back(*std::move(c));
  }
  return changes;
}

absl::StatusOr<bool> SqlTransaction::RequestCommitted(absl::string_view request_id) {
  absl::StatusOr<SqlResult> result =
      Exec(statements_.change_by_request,
           {SqlParam(request_id), SqlParam(request_id), SqlParam(request_id)});
  if (!result.ok()) return result.status();
  return !result->rows.empty();
}

absl::StatusOr<int64_t> SqlTransaction::CurrentRevision() {
  absl::StatusOr<SqlResult> result = Exec(statements_.revision_read, {});
  if (!result.ok()) return result.status();
  if (result->rows.empty()) return absl::InternalError("revision counter row is missing");
  return ToInt(result->rows.front()[0]);
}

absl::Status SqlTransaction::LockCounter() {
  absl::StatusOr<SqlResult> result = Exec(statements_.revision_lock, {});
  if (!result.ok()) return result.status();
  if (result->rows.empty()) return absl::InternalError("revision counter row is missing");
  absl::StatusOr<int64_t> revision = ToInt(result->rows.front()[0]);
  if (!revision.ok()) return revision.status();
  counter_ = *revision;
  return absl::OkStatus();
}

absl::StatusOr<int64_t> SqlTransaction::LockRevision() {
  if (counter_.has_value()) return *counter_;
  if (absl::Status s = LockCounter(); !s.ok()) return s;
  if (statements_.sequenced) {
    // Holding the counter stops every numbering step, but not writers committing unnumbered
    // entries. The gate waits for those already committing and holds off new ones until this
    // transaction ends; what they committed before is numbered by this transaction. So the
    // answer stays the registry's revision up to this COMMIT, and this transaction's own
    // changes take the next revisions.
    if (absl::Status s = Exec(statements_.gate_exclusive, {}).status(); !s.ok()) return s;
    if (absl::Status s = ClaimUnnumbered(); !s.ok()) return s;
  }
  return *counter_;
}

absl::StatusOr<int64_t> SqlTransaction::NumberUnnumbered() {
  if (absl::Status s = LockCounter(); !s.ok()) return s;
  const int64_t before = *counter_;
  if (absl::Status s = ClaimUnnumbered(); !s.ok()) return s;
  return *counter_ - before;
}

absl::StatusOr<bool> SqlTransaction::AnyUnnumbered() {
  absl::StatusOr<SqlResult> result = Exec(statements_.unnumbered_peek, {});
  if (!result.ok()) return result.status();
  return !result->rows.empty();
}

absl::Status SqlTransaction::ClaimUnnumbered() {
  // Locking reads: what another numbering step is numbering right now (it holds the counter, so
  // none can be) or a writer is still committing is waited for or skipped by the database, never
  // numbered twice; the rows stay locked, so exactly these are moved at commit.
  absl::StatusOr<SqlResult> result = Exec(statements_.unnumbered_claim, {});
  if (!result.ok()) return result.status();
  if (result->rows.empty()) return absl::OkStatus();
  Claimed claimed;
  claimed.base = *counter_;
  const std::string project_kind(TableOf(ObjectKind::kProject).kind_name);
  for (const auto& cells : result->rows) {
    absl::StatusOr<int64_t> seq = ToInt(cells[0]);
    if (!seq.ok()) return absl::InternalError("malformed unnumbered change row");
    absl::StrAppend(&claimed.seq_list, claimed.seq_list.empty() ? "" : ",", *seq);
    const std::string project = ToText(cells[1]);
    // The project's Feast stamp its writer left to this step (StampProject); none for a project
    // whose last change here is its own deletion.
    if (ToText(cells[2]) == project_kind && ToText(cells[3]) == ChangeOpName(ChangeOp::kDelete)) {
      claimed.stamps.erase(project);
      continue;
    }
    if (!cells[4].has_value()) continue;
    absl::StatusOr<int64_t> seconds = ToInt(cells[4]);
    if (!seconds.ok()) return absl::InternalError("malformed unnumbered change row");
    int64_t& stamp = claimed.stamps[project];
    stamp = std::max(stamp, *seconds);
  }
  *counter_ += static_cast<int64_t>(result->rows.size());
  claimed_ = std::move(claimed);
  return absl::OkStatus();
}

void SqlTransaction::QueueStamps(const absl::flat_hash_map<std::string, int64_t>& stamps,
                                 const absl::flat_hash_set<std::string>& skip) {
  for (const auto& [project, seconds] : stamps) {
    if (skip.contains(project)) continue;
    pending_metadata_.push_back(
        {project, std::string(kProjectStampKey), absl::StrCat(seconds), seconds});
  }
}

absl::Status SqlTransaction::Commit() {
  if (counter_.has_value()) return CommitHoldingCounter();
  if (statements_.sequenced && !pending_changes_.empty()) return CommitUnnumbered();
  QueueStamps(stamps_, {});
  return CommitBumping();
}

void SqlTransaction::CommitScript::Add(const Statement& statement, std::vector<SqlParam> params) {
  params_.push_back(std::move(params));  // a deque: earlier elements do not move
  statements_.push_back({&statement, params_.back()});
}

void SqlTransaction::AddQueuedWrites(CommitScript& script) const {
  for (const MetadataPut& put : pending_metadata_) {
    script.Add(statements_.metadata_put, {SqlParam(put.project), SqlParam(put.key),
                                          SqlParam(put.value), SqlParam(put.now_seconds)});
  }
  for (const auto& [request_id, micros] : pending_requests_) {
    script.Add(statements_.request_insert, {SqlParam(request_id), SqlParam(micros)});
  }
}

absl::Status SqlTransaction::Finish(const CommitScript& script) {
  absl::Status status = connection_.CommitWith(script.statements());
  pending_metadata_.clear();
  pending_requests_.clear();
  pending_changes_.clear();
  return status;
}

absl::Status SqlTransaction::CommitHoldingCounter() {
  // This transaction holds the counter (LockRevision or NumberUnnumbered): it knows the
  // revisions, so claimed entries and its own go in with them, and the counter is set once.
  if (claimed_.has_value()) QueueStamps(claimed_->stamps, {});
  QueueStamps(stamps_, {});
  CommitScript script;
  AddQueuedWrites(script);
  if (claimed_.has_value()) {
    script.Add(statements_.unnumbered_number,
               {SqlParam(claimed_->base), SqlParam(claimed_->seq_list)});
    script.Add(statements_.unnumbered_remove, {SqlParam(claimed_->seq_list)});
  }
  int64_t revision = *counter_;
  for (ChangeRecord& c : pending_changes_) {
    c.revision = ++revision;
    script.Add(statements_.change_insert, ChangeParams(c));
  }
  if (claimed_.has_value() || !pending_changes_.empty()) {
    script.Add(statements_.revision_set, {SqlParam(revision)});
    if (!statements_.change_notify.sql.empty()) script.Add(statements_.change_notify, {});
  }
  return Finish(script);
}

absl::Status SqlTransaction::CommitUnnumbered() {
  // No lock shared by all writers from here to COMMIT: the entries go in without revisions
  // (the numbering step gives them theirs), and the projects they change are stamped by that
  // step too, so writers of one project do not queue for its feast_metadata row either.
  absl::flat_hash_set<std::string> changed_projects;
  for (const ChangeRecord& c : pending_changes_) changed_projects.insert(c.project);
  QueueStamps(stamps_, changed_projects);
  CommitScript script;
  AddQueuedWrites(script);
  for (const ChangeRecord& c : pending_changes_) {
    std::vector<SqlParam> params = UnrevisionedChangeParams(c);
    auto stamp = stamps_.find(c.project);
    params.push_back(stamp == stamps_.end() ? SqlParam(nullptr) : SqlParam(stamp->second));
    script.Add(statements_.unnumbered_insert, std::move(params));
  }
  absl::Status status = Finish(script);
  wrote_unnumbered_ = status.ok();
  return status;
}

absl::Status SqlTransaction::CommitBumping() {
  // Everything from here to COMMIT holds the project's feast_metadata row and, once the counter
  // is bumped, the one counter row that every committer needs: the bump locks it until COMMIT,
  // so committers pass one at a time, revision order is commit order and a reader never sees a
  // gap fill in later. So these statements go together, with the COMMIT, in one round trip
  // where the backend can (Connection::CommitWith).
  const int64_t count = static_cast<int64_t>(pending_changes_.size());
  // One change, and a backend with a statement that bumps and inserts it together.
  const bool single_statement = count == 1 && !statements_.change_insert_single.sql.empty();
  if (count > 0 && !single_statement) {
    // Several changes (project deletion), or no such statement: the revisions are read back
    // first, and the metadata puts go ahead of the bump.
    if (absl::Status s = FlushMetadata(); !s.ok()) return s;
    absl::StatusOr<SqlResult> bumped = Exec(statements_.revision_bump, {SqlParam(count)});
    if (!bumped.ok()) return bumped.status();
    absl::StatusOr<int64_t> last = statements_.bump_returns_revision && !bumped->rows.empty()
                                       ? ToInt(bumped->rows[0][0])
                                       : CurrentRevision();
    if (!last.ok()) return last.status();
    int64_t revision = *last - count;
    for (ChangeRecord& c : pending_changes_) c.revision = ++revision;
  }
  CommitScript script;
  AddQueuedWrites(script);
  if (single_statement) {
    if (!statements_.revision_bump_single.sql.empty()) {
      script.Add(statements_.revision_bump_single, {});
    }
    // The statement assigns the revision itself.
    script.Add(statements_.change_insert_single,
               UnrevisionedChangeParams(pending_changes_.front()));
  } else {
    for (const ChangeRecord& c : pending_changes_) {
      script.Add(statements_.change_insert, ChangeParams(c));
    }
  }
  if (count > 0 && !statements_.change_notify.sql.empty()) {
    // Wakes other replicas' snapshots (ChangeListener) in the same round trip as the COMMIT.
    script.Add(statements_.change_notify, {});
  }
  return Finish(script);
}

std::vector<SqlParam> SqlTransaction::ChangeParams(const ChangeRecord& c) {
  std::vector<SqlParam> params = {SqlParam(c.revision)};
  std::vector<SqlParam> rest = UnrevisionedChangeParams(c);
  params.insert(params.end(), rest.begin(), rest.end());
  return params;
}

std::vector<SqlParam> SqlTransaction::UnrevisionedChangeParams(const ChangeRecord& c) {
  return {SqlParam(c.project),
          SqlParam(TableOf(c.kind).kind_name),
          SqlParam(c.name),
          SqlParam(ChangeOpName(c.op)),
          SqlParam(c.object_version),
          SqlParam(c.actor),
          SqlParam(c.changed_at_micros),
          c.op == ChangeOp::kDelete ? SqlParam(nullptr) : SqlParam(Blob{c.proto}),
          c.request_id.empty() ? SqlParam(nullptr) : SqlParam(c.request_id)};
}

}  // namespace larder::storage
