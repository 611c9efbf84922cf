-- Request ids of writes that committed without a change-log entry of their own: when concurrent
-- materialization appends to one view are merged into one transaction (CoalescedAppends), the
-- group logs one change, so the other callers' request ids are kept here, and a retried call is
-- still recognised as done (Transaction::RequestCommitted reads both places).
CREATE TABLE larder_requests (
  request_id VARCHAR(64) NOT NULL PRIMARY KEY,
  recorded_micros BIGINT NOT NULL
);
