-- The client's request id on each change-log row, so a write retried after an ambiguous failure
-- (the connection dropped around COMMIT) is recognised as already done instead of applied twice.
ALTER TABLE larder_changes ADD COLUMN request_id VARCHAR(64) NULL;
CREATE INDEX idx_larder_changes_request ON larder_changes (request_id);
