-- Larder's additions: a per-object version column (default 0, so Feast's own INSERTs, which
-- name their columns, keep working), the revision counter and the change log.

ALTER TABLE projects ADD COLUMN larder_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE entities ADD COLUMN larder_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE data_sources ADD COLUMN larder_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE feature_views ADD COLUMN larder_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE stream_feature_views ADD COLUMN larder_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE on_demand_feature_views ADD COLUMN larder_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE label_views ADD COLUMN larder_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE feature_services ADD COLUMN larder_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE saved_datasets ADD COLUMN larder_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE validation_references ADD COLUMN larder_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE managed_infra ADD COLUMN larder_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE permissions ADD COLUMN larder_version BIGINT NOT NULL DEFAULT 0;

-- One row; bumped as the last statement of every write transaction (see statements.cc).
CREATE TABLE larder_revision (
  id INTEGER NOT NULL,
  revision BIGINT NOT NULL,
  PRIMARY KEY (id)
);
INSERT INTO larder_revision (id, revision) VALUES (1, 0);

CREATE TABLE larder_changes (
  revision BIGINT NOT NULL,
  project_id VARCHAR(255) NOT NULL,
  object_kind VARCHAR(50) NOT NULL,
  object_name VARCHAR(255) NOT NULL,
  operation VARCHAR(16) NOT NULL,
  object_version BIGINT NOT NULL,
  actor VARCHAR(255) NOT NULL,
  changed_at_micros BIGINT NOT NULL,
  object_proto BLOB NULL,
  PRIMARY KEY (revision)
);
CREATE INDEX idx_larder_changes_object ON larder_changes (project_id, object_kind, object_name);
