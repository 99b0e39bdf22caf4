-- +goose Up
-- deleted_endpoints keeps what the API shows of a deleted endpoint (no
-- secret, headers or credentials), so that it stays in the destinations of
-- the messages sent to it while their deliveries last. Cleanup removes a
-- row once no delivery refers to it.
CREATE TABLE deleted_endpoints (
    id            text COLLATE "C" NOT NULL PRIMARY KEY,
    app_id        text COLLATE "C" NOT NULL,
    uid           text,
    url           text        NOT NULL,
    description   text        NOT NULL,
    disabled      boolean     NOT NULL,
    event_types   text[],
    channels      text[],
    throttle_rate integer,
    metadata      jsonb,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    deleted_at    timestamptz NOT NULL
);
CREATE INDEX deleted_endpoints_app ON deleted_endpoints (app_id, id);

-- +goose Down
DROP TABLE deleted_endpoints;
