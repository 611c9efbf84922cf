-- SQLite commits one writer at a time anyway, so Larder numbers changes at commit there and
-- leaves this table empty; it exists so every backend has the same schema.
-- Change-log entries that writers have committed but the sequencer has not yet numbered. A write
-- transaction inserts its entry here instead of bumping larder_revision, so independent writes
-- commit in parallel (and share WAL flushes); a short serialized step (storage/sql_sequencer.cc,
-- under the larder_revision row lock) moves committed rows into larder_changes in `seq` order with
-- the next revisions. Readers only read larder_changes. See docs/consistency.md.
CREATE TABLE larder_unnumbered_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id VARCHAR(255) NOT NULL,
  object_kind VARCHAR(50) NOT NULL,
  object_name VARCHAR(255) NOT NULL,
  operation VARCHAR(16) NOT NULL,
  object_version BIGINT NOT NULL,
  actor VARCHAR(255) NOT NULL,
  changed_at_micros BIGINT NOT NULL,
  object_proto BLOB NULL,
  request_id VARCHAR(64) NULL,
  -- The project's Feast last_updated_timestamp the writer asked for (StampProject), which the
  -- numbering step writes so that writers of one project do not queue for its feast_metadata row.
  stamp_seconds BIGINT NULL
);
CREATE INDEX idx_larder_unnumbered_request ON larder_unnumbered_changes (request_id);
-- A second row, reserved as the gate MySQL would need before its writers could be sequenced (an
-- ApplyBatch with an expected revision must hold off unnumbered writes; docs/consistency.md).
INSERT INTO larder_revision (id, revision) VALUES (2, 0);
