-- +goose Up
-- deleted_endpoints keeps what the API shows of a deleted endpoint (no
-- secret, headers or credentials), so that it stays in the destinations of
-- the messages sent to it while their deliveries last. Cleanup removes a
-- row once no delivery refers to it.
CREATE TABLE deleted_endpoints (
    id            TEXT    NOT NULL PRIMARY KEY,
    app_id        TEXT    NOT NULL,
    uid           TEXT,
    url           TEXT    NOT NULL,
    description   TEXT    NOT NULL,
    disabled      INTEGER NOT NULL,
    event_types   TEXT,
    channels      TEXT,
    throttle_rate INTEGER,
    metadata      TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    deleted_at    INTEGER NOT NULL
);
CREATE INDEX deleted_endpoints_app ON deleted_endpoints (app_id, id);

-- +goose Down
DROP TABLE deleted_endpoints;
