#pragma once

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace larder::storage {

// Everything that differs between SQL backends in the statements Larder issues. A new backend
// needs one of these (in its own directory) and a Connection; the statements themselves are
// built once, in statements.cc, from these pieces.
struct Dialect {
  absl::string_view backend;  // "sqlite", "postgres", "mysql": also the migrations folder name
  // Positional placeholders: "$1, $2" (PostgreSQL) or "?, ?" (SQLite, MySQL).
  bool numbered_placeholders = false;
  // Appended to SELECTs that must lock the rows they read until the end of the transaction.
  absl::string_view for_update_suffix;
  // Appended to SELECTs that take a shared lock (blocking only exclusive lockers).
  absl::string_view for_share_suffix;
  // Appended to SELECTs that lock rows for update but skip rows another transaction holds, so
  // concurrent workers leasing materialization tasks take different ones instead of queueing.
  absl::string_view skip_locked_suffix;
  // Appended to ORDER BY name columns so lists come back in byte order whatever the database's
  // default collation (the snapshot orders by bytes too).
  absl::string_view byte_order_collation;
  // Clause that turns "INSERT INTO feast_metadata (...) VALUES (...)" into an upsert of the
  // value and timestamp columns.
  absl::string_view metadata_upsert_suffix;
  // Clause that turns the same INSERT into "insert unless the key exists", without an error.
  absl::string_view metadata_insert_ignore_prefix;  // replaces "INSERT"
  absl::string_view metadata_insert_ignore_suffix;
  // Whether UPDATE ... RETURNING exists (PostgreSQL, SQLite >= 3.35; not MySQL/MariaDB): the
  // revision bump then reads its result in the same round trip, while the counter is locked.
  bool update_returning = false;
  // How a transaction that logs exactly one change takes its revision, in as few round trips as
  // the database allows while the counter row is locked:
  //   kBumpThenInsert: bump (reading the revision back), then insert the change;
  //   kOneStatement:   bump and insert in one statement (a data-modifying CTE, PostgreSQL);
  //   kLastInsertId:   the bump leaves the revision in LAST_INSERT_ID(), which the insert reads
  //                    (MySQL/MariaDB, which have no UPDATE ... RETURNING).
  enum class SingleChange { kBumpThenInsert, kOneStatement, kLastInsertId };
  SingleChange single_change = SingleChange::kBumpThenInsert;
  // One parameter (a table name); returns one row with the count of such tables (0 or 1) in the
  // current database/schema.
  absl::string_view table_exists_sql;
  // Sent with the COMMIT of every transaction that logs a change, so other replicas waiting on
  // a ChangeListener wake up at once instead of at their next poll. Empty where the database has
  // no notifications (SQLite, MySQL/MariaDB): replicas then only poll.
  absl::string_view change_notify_sql;

  // Revision order without a lock across COMMIT (storage/sql_sequencer.h): write transactions
  // insert their change-log entries unnumbered and commit in parallel; a serialized step numbers
  // committed entries afterwards. Off where the database commits one writer at a time anyway
  // (SQLite), which then numbers at commit under the counter lock.
  bool sequenced_revisions = false;
  // Around one placeholder holding a comma-separated list of `seq` values: a predicate that
  // matches the larder_unnumbered_changes rows in the list.
  absl::string_view seq_in_list_prefix;
  absl::string_view seq_in_list_suffix;
  // What an ApplyBatch with an expected revision runs, after locking the counter, so that no
  // unnumbered write commits between its check and its COMMIT (PostgreSQL: a table lock that
  // conflicts with every writer's INSERT until that writer's COMMIT).
  absl::string_view exclusive_gate_sql;

  std::string Placeholder(int one_based_index) const {
    return numbered_placeholders ? absl::StrCat("$", one_based_index) : std::string("?");
  }
};

}  // namespace larder::storage
