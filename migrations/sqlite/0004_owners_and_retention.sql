-- Who created an object through a larder.v1 batch that named an owner (ApplyBatchRequest.owner):
-- a prune limited to that owner deletes only the objects it created, so teams can share a
-- project. Rows go with their object (SqlTransaction::DeleteObject, DeleteProjectCascade).
CREATE TABLE larder_owners (
  project_id VARCHAR(255) NOT NULL,
  object_kind VARCHAR(50) NOT NULL,
  object_name VARCHAR(255) NOT NULL,
  owner VARCHAR(255) NOT NULL,
  PRIMARY KEY (project_id, object_kind, object_name)
);
CREATE INDEX idx_larder_owners_owner ON larder_owners (project_id, owner);

-- History retention: change-log entries at or below this revision have been compacted (only
-- each object's last state there is kept), so the log is complete only after it.
ALTER TABLE larder_revision ADD COLUMN compacted_through BIGINT NOT NULL DEFAULT 0;
