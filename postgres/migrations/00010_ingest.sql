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
    id                     text COLLATE "C" NOT NULL PRIMARY KEY,
    uid                    text COLLATE "C" UNIQUE,
    app_id                 text COLLATE "C" NOT NULL,
    name                   text        NOT NULL,
    type                   text        NOT NULL,
    config                 bytea       NOT NULL,
    token                  bytea       NOT NULL,
    token_hash             bytea       NOT NULL UNIQUE,
    previous_token_hash    bytea,
    previous_token_expires timestamptz,
    metadata               jsonb,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL
);
CREATE INDEX ingest_sources_previous_token ON ingest_sources (previous_token_hash) WHERE previous_token_hash IS NOT NULL;

-- What each source received: accepted, duplicate or refused, from where,
-- and the message it became (message_id, a message of the source's
-- application). headers are JSON, without credentials.
CREATE TABLE ingest_log (
    id          text COLLATE "C" NOT NULL PRIMARY KEY,
    source_id   text COLLATE "C" NOT NULL,
    remote_addr text        NOT NULL,
    status_code integer     NOT NULL,
    outcome     text        NOT NULL,
    reason      text        NOT NULL,
    headers     jsonb,
    delivery_id text,
    message_id  text COLLATE "C",
    created_at  timestamptz NOT NULL
);
CREATE INDEX ingest_log_source ON ingest_log (source_id, id);

-- A received request is a message whose body is not always JSON: its
-- content type and the headers forwarded with it (JSON), NULL for the
-- messages applications send.
ALTER TABLE messages ADD COLUMN content_type text;
ALTER TABLE messages ADD COLUMN headers jsonb;

-- +goose Down
ALTER TABLE messages DROP COLUMN headers;
ALTER TABLE messages DROP COLUMN content_type;
DROP TABLE ingest_log;
DROP TABLE ingest_sources;
