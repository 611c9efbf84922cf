#include "storage/statements.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace larder::storage {
namespace {

// "p1, p2, ..., pn" in the dialect's placeholder style, starting at `first`.
std::string Placeholders(const Dialect& d, int count, int first = 1) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    out += d.Placeholder(first + i);
  }
  return out;
}

KindStatements BuildKind(const Dialect& d, const KindTable& t) {
  const std::string prefix = absl::StrCat(t.kind_name, ".");
  const bool is_project = t.kind == ObjectKind::kProject;
  // Projects are keyed by project_id alone (Feast also stores the name in project_name).
  const std::string key = is_project ? absl::StrCat("project_id = ", d.Placeholder(1))
                                     : absl::StrCat(t.name_column, " = ", d.Placeholder(1),
                                                    " AND project_id = ", d.Placeholder(2));
  // Columns read back, in ObjectRow order: name, project, proto, last_updated, version.
  const std::string columns = absl::StrCat(t.name_column, ", project_id, ", t.proto_column,
                                           ", last_updated_timestamp, larder_version");
  const std::string from = absl::StrCat(" FROM ", t.table);

  KindStatements s;
  // get(name[, project])
  s.get = {prefix + "get", absl::StrCat("SELECT ", columns, from, " WHERE ", key)};
  s.get_for_update = {prefix + "get_for_update", absl::StrCat(s.get.sql, d.for_update_suffix)};
  s.get_for_share = {prefix + "get_for_share", absl::StrCat(s.get.sql, d.for_share_suffix)};
  // list(project) / list_since(project, seconds); projects list everything.
  if (is_project) {
    s.list = {prefix + "list", absl::StrCat("SELECT ", columns, from, " ORDER BY project_id",
                                            d.byte_order_collation)};
    s.list_since = {prefix + "list_since",
                    absl::StrCat("SELECT ", columns, from, " WHERE last_updated_timestamp >= ",
                                 d.Placeholder(1), " ORDER BY project_id", d.byte_order_collation)};
  } else {
    s.list = {prefix + "list",
              absl::StrCat("SELECT ", columns, from, " WHERE project_id = ", d.Placeholder(1),
                           " ORDER BY ", t.name_column, d.byte_order_collation)};
    s.list_since = {prefix + "list_since",
                    absl::StrCat("SELECT ", columns, from, " WHERE project_id = ", d.Placeholder(1),
                                 " AND last_updated_timestamp >= ", d.Placeholder(2), " ORDER BY ",
                                 t.name_column, d.byte_order_collation)};
  }
  // insert(name, project, last_updated, proto, version)
  if (is_project) {
    s.insert = {prefix + "insert",
                absl::StrCat("INSERT INTO projects (project_id, project_name, "
                             "last_updated_timestamp, project_proto, larder_version) VALUES (",
                             Placeholders(d, 5), ")")};
  } else {
    s.insert = {prefix + "insert",
                absl::StrCat("INSERT INTO ", t.table, " (", t.name_column,
                             ", project_id, last_updated_timestamp, ", t.proto_column,
                             ", larder_version) VALUES (", Placeholders(d, 5), ")")};
  }
  // update(proto, last_updated, version, name[, project])
  const std::string update_key = is_project ? absl::StrCat("project_id = ", d.Placeholder(4))
                                            : absl::StrCat(t.name_column, " = ", d.Placeholder(4),
                                                           " AND project_id = ", d.Placeholder(5));
  s.update = {prefix + "update",
              absl::StrCat("UPDATE ", t.table, " SET ", t.proto_column, " = ", d.Placeholder(1),
                           ", last_updated_timestamp = ", d.Placeholder(2),
                           ", larder_version = ", d.Placeholder(3), " WHERE ", update_key)};
  // remove(name[, project])
  s.remove = {prefix + "remove", absl::StrCat("DELETE", from, " WHERE ", key)};
  // remove_project_rows(project)
  s.remove_project_rows = {prefix + "remove_project_rows",
                           absl::StrCat("DELETE", from, " WHERE project_id = ", d.Placeholder(1))};
  return s;
}

}  // namespace

Statements::Statements(const Dialect& d) : materialization(d), materialization_retention(d) {
  for (const KindTable& t : AllKindTables()) {
    per_kind[static_cast<size_t>(t.kind)] = BuildKind(d, t);
  }
  const std::string p1 = d.Placeholder(1), p2 = d.Placeholder(2);

  // metadata_get(project, key)
  metadata_get = {"metadata.get", absl::StrCat("SELECT metadata_value FROM feast_metadata WHERE "
                                               "project_id = ",
                                               p1, " AND metadata_key = ", p2)};
  // metadata_list(project)
  metadata_list = {"metadata.list",
                   absl::StrCat("SELECT metadata_key, metadata_value FROM feast_metadata WHERE "
                                "project_id = ",
                                p1, " ORDER BY metadata_key")};
  // metadata_put / metadata_insert_if_absent(project, key, value, seconds)
  const std::string metadata_insert = absl::StrCat(
      " INTO feast_metadata (project_id, metadata_key, metadata_value, "
      "last_updated_timestamp) VALUES (",
      Placeholders(d, 4), ")");
  metadata_put = {"metadata.put",
                  absl::StrCat("INSERT", metadata_insert, " ", d.metadata_upsert_suffix)};
  metadata_insert_if_absent = {"metadata.insert_if_absent",
                               absl::StrCat(d.metadata_insert_ignore_prefix, metadata_insert, " ",
                                            d.metadata_insert_ignore_suffix)};
  // metadata_remove_project(project)
  metadata_remove_project = {"metadata.remove_project",
                             absl::StrCat("DELETE FROM feast_metadata WHERE project_id = ", p1)};

  // versions_list(project, view)
  versions_list = {"versions.list",
                   absl::StrCat("SELECT feature_view_name, project_id, version_number, "
                                "feature_view_type, feature_view_proto, created_timestamp, "
                                "description, version_id FROM feature_view_version_history "
                                "WHERE project_id = ",
                                p1, " AND feature_view_name = ", p2, " ORDER BY version_number")};
  // versions_list_project(project): every view's, by name then number.
  versions_list_project = {"versions.list_project",
                           absl::StrCat("SELECT feature_view_name, project_id, version_number, "
                                        "feature_view_type, feature_view_proto, created_timestamp, "
                                        "description, version_id FROM feature_view_version_history "
                                        "WHERE project_id = ",
                                        p1, " ORDER BY feature_view_name, version_number")};
  // versions_insert(view, project, number, type, proto, created, description, version_id)
  versions_insert = {"versions.insert",
                     absl::StrCat("INSERT INTO feature_view_version_history (feature_view_name, "
                                  "project_id, version_number, feature_view_type, "
                                  "feature_view_proto, created_timestamp, description, "
                                  "version_id) VALUES (",
                                  Placeholders(d, 8), ")")};
  // versions_remove(project, view)
  versions_remove = {"versions.remove",
                     absl::StrCat("DELETE FROM feature_view_version_history WHERE project_id = ",
                                  p1, " AND feature_view_name = ", p2)};
  versions_remove_project = {
      "versions.remove_project",
      absl::StrCat("DELETE FROM feature_view_version_history WHERE project_id = ", p1)};

  // revision_bump(count): the single counter row serializes committers only from this
  // statement to COMMIT, which is what makes revisions follow commit order.
  bump_returns_revision = d.update_returning;
  revision_bump = {"revision.bump",
                   absl::StrCat("UPDATE larder_revision SET revision = revision + ", p1,
                                " WHERE id = 1", d.update_returning ? " RETURNING revision" : "")};
  revision_read = {"revision.read", "SELECT revision FROM larder_revision WHERE id = 1"};
  revision_lock = {"revision.lock", absl::StrCat(revision_read.sql, d.for_update_suffix)};
  // change_insert(revision, project, kind, name, op, version, actor, micros, proto, request)
  change_insert = {"change.insert",
                   absl::StrCat("INSERT INTO larder_changes (revision, project_id, object_kind, "
                                "object_name, operation, object_version, actor, changed_at_micros,"
                                " object_proto, request_id) VALUES (",
                                Placeholders(d, 10), ")")};
  const std::string change_columns =
      "INSERT INTO larder_changes (revision, project_id, object_kind, object_name, operation, "
      "object_version, actor, changed_at_micros, object_proto, request_id) VALUES (";
  // change_insert_single(project, kind, name, op, version, actor, micros, proto, request)
  switch (d.single_change) {
    case Dialect::SingleChange::kOneStatement:
      change_insert_single = {
          "change.insert_single",
          absl::StrCat("WITH bumped AS (UPDATE larder_revision SET revision = revision + 1 "
                       "WHERE id = 1 RETURNING revision) ",
                       change_columns, "(SELECT revision FROM bumped), ", Placeholders(d, 9),
                       ") RETURNING revision")};
      break;
    case Dialect::SingleChange::kLastInsertId:
      revision_bump_single = {
          "revision.bump_single",
          "UPDATE larder_revision SET revision = LAST_INSERT_ID(revision + 1) WHERE id = 1"};
      change_insert_single = {
          "change.insert_single",
          absl::StrCat(change_columns, "LAST_INSERT_ID(), ", Placeholders(d, 9), ")")};
      break;
    case Dialect::SingleChange::kBumpThenInsert:
      break;
  }
  // change_by_request(request_id, request_id, request_id): logged with a change of its own
  // (numbered or not yet), or merged into another caller's (larder_requests)
  change_by_request = {
      "change.by_request",
      absl::StrCat("SELECT revision FROM larder_changes WHERE request_id = ", p1,
                   " UNION ALL SELECT 0 FROM larder_requests WHERE request_id = ", p2,
                   " UNION ALL SELECT 0 FROM larder_unnumbered_changes WHERE request_id = ",
                   d.Placeholder(3))};

  // Sequenced revisions (Dialect::sequenced_revisions; storage/sql_sequencer.h).
  sequenced = d.sequenced_revisions;
  // unnumbered_insert(project, kind, name, op, version, actor, micros, proto, request, stamp)
  unnumbered_insert = {
      "unnumbered.insert",
      absl::StrCat("INSERT INTO larder_unnumbered_changes (project_id, object_kind, object_name, "
                   "operation, object_version, actor, changed_at_micros, object_proto, "
                   "request_id, stamp_seconds) VALUES (",
                   Placeholders(d, 10), ")")};
  // unnumbered_claim(): every committed entry, locked, in the order they are to be numbered.
  unnumbered_claim = {
      "unnumbered.claim",
      absl::StrCat("SELECT seq, project_id, object_kind, operation, stamp_seconds FROM "
                   "larder_unnumbered_changes ORDER BY seq",
                   d.for_update_suffix)};
  unnumbered_peek = {"unnumbered.peek", "SELECT seq FROM larder_unnumbered_changes LIMIT 1"};
  const std::string in_list =
      absl::StrCat(d.seq_in_list_prefix, d.Placeholder(2), d.seq_in_list_suffix);
  // unnumbered_number(base, seq list): the listed entries become revisions base+1, base+2, ...
  // in seq order.
  unnumbered_number = {
      "unnumbered.number",
      absl::StrCat("INSERT INTO larder_changes (revision, project_id, object_kind, object_name, "
                   "operation, object_version, actor, changed_at_micros, object_proto, "
                   "request_id) SELECT ",
                   p1,
                   " + ROW_NUMBER() OVER (ORDER BY seq), project_id, object_kind, object_name, "
                   "operation, object_version, actor, changed_at_micros, object_proto, "
                   "request_id FROM larder_unnumbered_changes WHERE ",
                   in_list)};
  // unnumbered_remove(seq list)
  unnumbered_remove = {"unnumbered.remove",
                       absl::StrCat("DELETE FROM larder_unnumbered_changes WHERE ",
                                    d.seq_in_list_prefix, p1, d.seq_in_list_suffix)};
  // revision_set(revision)
  revision_set = {"revision.set",
                  absl::StrCat("UPDATE larder_revision SET revision = ", p1, " WHERE id = 1")};
  gate_exclusive = {"gate.exclusive", std::string(d.exclusive_gate_sql)};
  // request_insert(request_id, micros)
  request_insert = {
      "request.insert",
      absl::StrCat("INSERT INTO larder_requests (request_id, recorded_micros) VALUES (", p1, ", ",
                   p2, ")")};
  // changes_after(revision, limit): each row also carries the compaction horizon, so a reader
  // asking for a compacted revision learns it without another round trip.
  changes_after = {
      "change.after",
      absl::StrCat("SELECT revision, project_id, object_kind, object_name, "
                   "operation, object_version, actor, changed_at_micros, "
                   "object_proto, request_id, (SELECT compacted_through FROM "
                   "larder_revision WHERE id = 1) FROM larder_changes WHERE revision > ",
                   p1, " ORDER BY revision LIMIT ", p2)};
  // changes_through(after, through, limit): the compacted part of the log, gaps and all.
  changes_through = {
      "change.through",
      absl::StrCat("SELECT revision, project_id, object_kind, object_name, "
                   "operation, object_version, actor, changed_at_micros, "
                   "object_proto, request_id FROM larder_changes WHERE revision > ",
                   p1, " AND revision <= ", p2, " ORDER BY revision LIMIT ", d.Placeholder(3))};
  horizon_read = {"horizon.read", "SELECT compacted_through FROM larder_revision WHERE id = 1"};
  // horizon_advance(through)
  horizon_advance = {
      "horizon.advance",
      absl::StrCat("UPDATE larder_revision SET compacted_through = ", p1, " WHERE id = 1")};
  // compaction_scan(through): what compaction decides on (no object bytes).
  compaction_scan = {"change.compaction_scan",
                     absl::StrCat("SELECT revision, project_id, object_kind, object_name, "
                                  "operation FROM larder_changes WHERE revision <= ",
                                  p1, " ORDER BY revision")};
  // changes_remove_range(first, last)
  changes_remove_range = {
      "change.remove_range",
      absl::StrCat("DELETE FROM larder_changes WHERE revision >= ", p1, " AND revision <= ", p2)};
  // last_revision_before(micros)
  last_revision_before = {"change.last_before",
                          absl::StrCat("SELECT MAX(revision) FROM larder_changes WHERE "
                                       "changed_at_micros < ",
                                       p1)};
  // changes_of_object(project, kind, name, after revision, limit): one object's history, served
  // by idx_larder_changes_object.
  changes_of_object = {
      "change.of_object",
      absl::StrCat("SELECT revision, project_id, object_kind, object_name, operation, "
                   "object_version, actor, changed_at_micros, object_proto, request_id "
                   "FROM larder_changes WHERE project_id = ",
                   p1, " AND object_kind = ", p2, " AND object_name = ", d.Placeholder(3),
                   " AND revision > ", d.Placeholder(4), " ORDER BY revision LIMIT ",
                   d.Placeholder(5))};
  change_notify = {"change.notify", std::string(d.change_notify_sql)};

  const std::string p3 = d.Placeholder(3);
  // owner_insert(project, kind, name, owner); owner_remove(project, kind, name)
  owner_insert = {"owner.insert",
                  absl::StrCat("INSERT INTO larder_owners (project_id, object_kind, object_name, "
                               "owner) VALUES (",
                               Placeholders(d, 4), ")")};
  owner_remove = {"owner.remove",
                  absl::StrCat("DELETE FROM larder_owners WHERE project_id = ", p1,
                               " AND object_kind = ", p2, " AND object_name = ", p3)};
  owner_remove_project = {"owner.remove_project",
                          absl::StrCat("DELETE FROM larder_owners WHERE project_id = ", p1)};
  // owned_by(project, owner)
  owned_by = {"owner.list",
              absl::StrCat("SELECT object_kind, object_name FROM larder_owners WHERE project_id = ",
                           p1, " AND owner = ", p2, " ORDER BY object_kind, object_name")};
}

}  // namespace larder::storage
