-- Hookline's schema on PostgreSQL. The tables live in the schema the store
-- was opened with (the first entry of its search_path), so that several
-- Hookline installations, or tests, can share one database.
--
-- Times are timestamptz (microseconds). Lists of names are text[] and string
-- maps jsonb; NULL stands for a nil list or map. Payloads are bytea: the exact
-- bytes delivered. Keys are COLLATE "C": identifiers and names sort by their
-- bytes (the id alphabet is in ASCII order), whatever the database's collation.
--
-- No foreign keys: a reference check on every delivery insert would lock the
-- endpoint row (FOR KEY SHARE) in every message transaction. Deletes cascade
-- in code, and ClaimDue drops a delivery whose endpoint is gone.

-- +goose Up
CREATE TABLE applications (
    id            text COLLATE "C" NOT NULL PRIMARY KEY,
    uid           text COLLATE "C" UNIQUE,
    name          text COLLATE "C" NOT NULL,
    throttle_rate integer,
    metadata      jsonb,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE event_types (
    name         text COLLATE "C" NOT NULL PRIMARY KEY,
    description  text        NOT NULL,
    archived     boolean     NOT NULL DEFAULT false,
    deprecated   boolean     NOT NULL DEFAULT false,
    feature_flag text,
    schemas      text,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

CREATE TABLE endpoints (
    id            text COLLATE "C" NOT NULL PRIMARY KEY,
    app_id        text COLLATE "C" NOT NULL,
    uid           text,
    url           text        NOT NULL,
    description   text        NOT NULL,
    disabled      boolean     NOT NULL DEFAULT false,
    event_types   text[],
    channels      text[],
    throttle_rate integer,
    metadata      jsonb,
    headers       jsonb,
    secret        bytea       NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX endpoints_app ON endpoints (app_id, id);
CREATE UNIQUE INDEX endpoints_uid ON endpoints (app_id, uid) WHERE uid IS NOT NULL;

CREATE TABLE messages (
    id         text COLLATE "C" NOT NULL PRIMARY KEY,
    app_id     text COLLATE "C" NOT NULL,
    event_type text        NOT NULL,
    event_id   text,
    channels   text[],
    tags       text[],
    payload    bytea,
    created_at timestamptz NOT NULL,
    deliver_at timestamptz,
    expires_at timestamptz
);
CREATE INDEX messages_app ON messages (app_id, id);
CREATE UNIQUE INDEX messages_event_id ON messages (app_id, event_id) WHERE event_id IS NOT NULL;

-- deliveries is the queue. due_at is when the row can next be claimed: the
-- next attempt of a pending delivery, the lease end of a sending one; NULL
-- once it succeeded or failed, and while its endpoint is disabled (parked).
-- The partial index on it holds only the live queue, so ClaimDue (FOR UPDATE
-- SKIP LOCKED) and NextDue are short range scans of it.
CREATE TABLE deliveries (
    id              text COLLATE "C" NOT NULL PRIMARY KEY,
    app_id          text COLLATE "C" NOT NULL,
    message_id      text COLLATE "C" NOT NULL,
    endpoint_id     text COLLATE "C" NOT NULL,
    status          smallint    NOT NULL,
    trigger_type    smallint    NOT NULL DEFAULT 0,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    due_at          timestamptz,
    lease_owner     text,
    lease_until     timestamptz,
    msg_created_at  timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
) WITH (fillfactor = 90);
CREATE UNIQUE INDEX deliveries_endpoint ON deliveries (endpoint_id, message_id);
CREATE INDEX deliveries_due ON deliveries (due_at) WHERE due_at IS NOT NULL;

CREATE TABLE attempts (
    id           text COLLATE "C" NOT NULL,
    app_id       text COLLATE "C" NOT NULL,
    message_id   text COLLATE "C" NOT NULL,
    endpoint_id  text COLLATE "C" NOT NULL,
    delivery_id  text COLLATE "C" NOT NULL,
    url          text        NOT NULL,
    status       smallint    NOT NULL,
    status_code  integer     NOT NULL,
    response     text        NOT NULL,
    duration_ms  bigint      NOT NULL,
    trigger_type smallint    NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (message_id, id)
);
CREATE INDEX attempts_endpoint ON attempts (endpoint_id, id);

CREATE TABLE tokens (
    id         text COLLATE "C" NOT NULL PRIMARY KEY,
    hash       bytea       NOT NULL UNIQUE,
    app_id     text COLLATE "C" NOT NULL DEFAULT '',
    expires_at timestamptz,
    created_at timestamptz NOT NULL
);
CREATE INDEX tokens_app ON tokens (app_id);

CREATE TABLE idempotency_keys (
    key         text COLLATE "C" NOT NULL PRIMARY KEY,
    status_code integer     NOT NULL,
    body        bytea       NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE tokens;
DROP TABLE attempts;
DROP TABLE deliveries;
DROP TABLE messages;
DROP TABLE endpoints;
DROP TABLE event_types;
DROP TABLE applications;
