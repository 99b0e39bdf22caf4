-- +goose Up
-- Every statement may run again (IF NOT EXISTS): a test that makes a
-- database of an earlier version forgets the versions after it.
-- background_tasks holds the work an API call hands to a runner (recover,
-- replays, expunging an application's payloads): what it was asked
-- (params), where it stands (cursor), what it shows (data), and the lease
-- of the runner working on it. Runners claim the oldest running task whose
-- lease is free (background_tasks_claim); the retention sweep deletes a
-- task that ended once expires_at has passed.
CREATE TABLE IF NOT EXISTS background_tasks (
    id          TEXT    NOT NULL PRIMARY KEY,
    app_id      TEXT    NOT NULL,
    task        TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    params      TEXT    NOT NULL,
    cursor      TEXT    NOT NULL DEFAULT '',
    data        TEXT    NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    expires_at  INTEGER
);
CREATE INDEX IF NOT EXISTS background_tasks_app ON background_tasks (app_id, id);
CREATE INDEX IF NOT EXISTS background_tasks_claim ON background_tasks (id) WHERE status = 'running';
CREATE INDEX IF NOT EXISTS background_tasks_expires ON background_tasks (expires_at) WHERE expires_at IS NOT NULL;

-- ingest_log_created finds what the inbound gateway received before the
-- retention (Store.Prune). Entries are written in the order of their
-- times, so each lands at the end of the index.
CREATE INDEX IF NOT EXISTS ingest_log_created ON ingest_log (created_at);

-- +goose Down
DROP INDEX IF EXISTS ingest_log_created;
DROP TABLE IF EXISTS background_tasks;
