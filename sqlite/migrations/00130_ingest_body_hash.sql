-- +goose Up
-- body_hash is the SHA-256 of an accepted request's body (hex), for a
-- source whose signature covers no timestamp (hookline.Received.BodyHash):
-- the same body within the window is a duplicate, whatever its delivery id.
-- NULL: not de-duplicated on its body.
ALTER TABLE ingest_log ADD COLUMN body_hash TEXT;
CREATE INDEX ingest_log_body_hash ON ingest_log (source_id, body_hash) WHERE body_hash IS NOT NULL;

-- +goose Down
DROP INDEX ingest_log_body_hash;
ALTER TABLE ingest_log DROP COLUMN body_hash;
