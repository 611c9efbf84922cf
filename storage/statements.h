#pragma once

#include <array>

#include "storage/connection.h"
#include "storage/dialect.h"
#include "storage/materialization_retention.h"
#include "storage/materialization_statements.h"
#include "storage/object_kind.h"

namespace larder::storage {

// The statements Larder runs, per object kind, in one dialect.
struct KindStatements {
  Statement get;
  Statement get_for_update;
  Statement get_for_share;
  Statement list;
  Statement list_since;
  Statement insert;
  Statement update;
  Statement remove;
  Statement remove_project_rows;
};

// The full statement table of one dialect, built once per store and then read-only (so
// thread-safe). Parameter order of each statement is documented beside its builder.
struct Statements {
  explicit Statements(const Dialect& dialect);

  const KindStatements& of(ObjectKind kind) const { return per_kind[static_cast<size_t>(kind)]; }

  std::array<KindStatements, kKindCount> per_kind;
  Statement metadata_get;
  Statement metadata_list;
  Statement metadata_put;
  Statement metadata_insert_if_absent;
  Statement metadata_remove_project;
  Statement versions_list;
  Statement versions_list_project;
  Statement versions_insert;
  Statement versions_remove;
  Statement versions_remove_project;
  Statement revision_bump;  // returns the new revision when bump_returns_revision
  bool bump_returns_revision = false;
  Statement revision_read;
  Statement revision_lock;
  Statement change_insert;
  // For a transaction with one change (see Dialect::SingleChange): `revision_bump_single` (MySQL
  // only) then `change_insert_single`, whose parameters are change_insert's without the revision.
  // Empty SQL where the dialect has no such form.
  Statement revision_bump_single;
  Statement change_insert_single;
  Statement changes_after;
  Statement changes_through;
  Statement horizon_read;
  Statement horizon_advance;
  Statement compaction_scan;
  Statement changes_remove_range;
  Statement last_revision_before;
  Statement changes_of_object;  // (project, kind, name, after revision, limit)
  // No parameters; empty sql when the dialect has no notifications (Dialect::change_notify_sql).
  Statement change_notify;
  Statement change_by_request;
  // Sequenced revisions (Dialect::sequenced_revisions): whether writers log unnumbered entries,
  // and the statements of the numbering step. Empty SQL where the dialect has no such step.
  bool sequenced = false;
  Statement unnumbered_insert;
  Statement unnumbered_claim;
  Statement unnumbered_peek;
  Statement unnumbered_number;  // (base revision, seq list)
  Statement unnumbered_remove;  // (seq list)
  Statement revision_set;
  Statement gate_exclusive;
  Statement request_insert;
  Statement owner_insert;
  Statement owner_remove;
  Statement owner_remove_project;
  Statement owned_by;
  MaterializationStatements materialization;
  MaterializationRetentionStatements materialization_retention;
};

}  // namespace larder::storage
