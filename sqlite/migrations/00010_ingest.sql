-- +goose Up
-- The inbound gateway (see hookline.Source). A source's ingest endpoints and
-- the requests it accepted are the endpoints and messages of an internal
-- application (app_id); these tables hold the rest.
--   config         sealed: the source's SourceConfig in JSON, secrets and all
--   token          sealed: the secret part of the ingest URL
--   token_hash     SHA-256 of token, which a request is looked up by
--   previous_token_hash, previous_token_expires: the token a rotation
--                  replaced, accepted until then
CREATE TABLE ingest_sources (
    id                     TEXT    NOT NULL PRIMARY KEY,
    uid                    TEXT    UNIQUE,
    app_id                 TEXT    NOT NULL,
    name                   TEXT    NOT NULL,
    type                   TEXT    NOT NULL,
    config                 BLOB    NOT NULL,
    token                  BLOB    NOT NULL,
    token_hash             BLOB    NOT NULL UNIQUE,
    previous_token_hash    BLOB,
    previous_token_expires INTEGER,
    metadata               TEXT,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX ingest_sources_previous_token ON ingest_sources (previous_token_hash) WHERE previous_token_hash IS NOT NULL;

-- What each source received: accepted, duplicate or refused, from where,
-- and the message it became (message_id, a message of the source's
-- application). headers are JSON, without credentials.
CREATE TABLE ingest_log (
    id          TEXT    NOT NULL PRIMARY KEY,
    source_id   TEXT    NOT NULL,
    remote_addr TEXT    NOT NULL,
    status_code INTEGER NOT NULL,
    outcome     TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    headers     TEXT,
    delivery_id TEXT,
    message_id  TEXT,
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX ingest_log_source ON ingest_log (source_id, id);

-- A received request is a message whose body is not always JSON: its
-- content type and the headers forwarded with it (JSON), NULL for the
-- messages applications send.
ALTER TABLE messages ADD COLUMN content_type TEXT;
ALTER TABLE messages ADD COLUMN headers TEXT;

-- +goose Down
ALTER TABLE messages DROP COLUMN headers;
ALTER TABLE messages DROP COLUMN content_type;
DROP TABLE ingest_log;
DROP TABLE ingest_sources;
