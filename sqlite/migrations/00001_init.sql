-- Hookline's schema. Times are Unix microseconds (UTC). Lists of names and
-- string maps are JSON text; NULL stands for a nil list or map.
--
-- No foreign keys: the one writer keeps the references, and deletes cascade
-- in code, which keeps every insert on the hot path free of reference checks.

-- +goose Up
CREATE TABLE applications (
    id            TEXT    NOT NULL PRIMARY KEY,
    uid           TEXT    UNIQUE,
    name          TEXT    NOT NULL,
    throttle_rate INTEGER,
    metadata      TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE event_types (
    name         TEXT    NOT NULL PRIMARY KEY,
    description  TEXT    NOT NULL,
    archived     INTEGER NOT NULL DEFAULT 0,
    deprecated   INTEGER NOT NULL DEFAULT 0,
    feature_flag TEXT,
    schemas      TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE endpoints (
    id            TEXT    NOT NULL PRIMARY KEY,
    app_id        TEXT    NOT NULL,
    uid           TEXT,
    url           TEXT    NOT NULL,
    description   TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    event_types   TEXT,
    channels      TEXT,
    throttle_rate INTEGER,
    metadata      TEXT,
    headers       TEXT,
    secret        BLOB    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX endpoints_app ON endpoints (app_id, id);
CREATE UNIQUE INDEX endpoints_uid ON endpoints (app_id, uid) WHERE uid IS NOT NULL;

-- Messages and deliveries are keyed by an integer the writer assigns (seq):
-- the queue refers to rows by it, so a claim reads a delivery and its
-- message with two integer lookups. The public ids are unique per app.
CREATE TABLE messages (
    seq        INTEGER PRIMARY KEY,
    id         TEXT    NOT NULL,
    app_id     TEXT    NOT NULL,
    event_type TEXT    NOT NULL,
    event_id   TEXT,
    channels   TEXT,
    tags       TEXT,
    payload    BLOB,
    created_at INTEGER NOT NULL,
    deliver_at INTEGER,
    expires_at INTEGER
);
CREATE UNIQUE INDEX messages_app_id ON messages (app_id, id);
CREATE UNIQUE INDEX messages_event_id ON messages (app_id, event_id) WHERE event_id IS NOT NULL;

-- deliveries is the queue. due_at is when the row can next be claimed: the
-- next attempt of a pending delivery, the lease end of a sending one; NULL
-- once it succeeded or failed, and while its endpoint is disabled. The
-- partial index on it holds only the live queue, so ClaimDue and NextDue are
-- short range scans. A delivery's id carries its seq (see deliveryID).
-- There is no index by message: a message's deliveries are found through
-- its application's endpoints, which spares every delivery an index entry.
CREATE TABLE deliveries (
    seq             INTEGER PRIMARY KEY,
    id              TEXT    NOT NULL,
    app_id          TEXT    NOT NULL,
    msg_seq         INTEGER NOT NULL,
    message_id      TEXT    NOT NULL,
    endpoint_id     TEXT    NOT NULL,
    status          INTEGER NOT NULL,
    trigger_type    INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    due_at          INTEGER,
    lease_owner     TEXT,
    lease_until     INTEGER,
    msg_created_at  INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX deliveries_endpoint ON deliveries (endpoint_id, message_id);
CREATE INDEX deliveries_due ON deliveries (due_at) WHERE due_at IS NOT NULL;

CREATE TABLE attempts (
    id          TEXT    NOT NULL,
    app_id      TEXT    NOT NULL,
    message_id  TEXT    NOT NULL,
    endpoint_id TEXT    NOT NULL,
    delivery_id TEXT    NOT NULL,
    url         TEXT    NOT NULL,
    status      INTEGER NOT NULL,
    status_code INTEGER NOT NULL,
    response    TEXT    NOT NULL,
    duration_ms INTEGER NOT NULL,
    trigger_type INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX attempts_message ON attempts (message_id, id);
CREATE INDEX attempts_endpoint ON attempts (endpoint_id, id);

CREATE TABLE tokens (
    id         TEXT    NOT NULL PRIMARY KEY,
    hash       BLOB    NOT NULL UNIQUE,
    app_id     TEXT    NOT NULL DEFAULT '',
    expires_at INTEGER,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE idempotency_keys (
    key         TEXT    NOT NULL PRIMARY KEY,
    status_code INTEGER NOT NULL,
    body        BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
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
