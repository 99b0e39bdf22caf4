-- +goose Up
-- Every statement may run again (IF NOT EXISTS): a test that makes a
-- database of an earlier version forgets the versions after it.
-- background_tasks holds the work an API call hands to a runner (recover,
-- replays, expunging an application's payloads): what it was asked
-- (params), where it stands (cursor), what it shows (data), and the lease
-- of the runner working on it. Runners of every node claim the oldest
-- running task whose lease is free (FOR UPDATE SKIP LOCKED on
-- background_tasks_claim); the retention sweep deletes a task that ended
-- once expires_at has passed.
CREATE TABLE IF NOT EXISTS background_tasks (
    id          text COLLATE "C" NOT NULL PRIMARY KEY,
    app_id      text COLLATE "C" NOT NULL,
    task        text        NOT NULL,
    status      text        NOT NULL,
    params      jsonb       NOT NULL,
    cursor      text        NOT NULL DEFAULT '',
    data        jsonb       NOT NULL,
    lease_owner text,
    lease_until timestamptz,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    expires_at  timestamptz
);
CREATE INDEX IF NOT EXISTS background_tasks_app ON background_tasks (app_id, id);
CREATE INDEX IF NOT EXISTS background_tasks_claim ON background_tasks (id) WHERE status = 'running';
CREATE INDEX IF NOT EXISTS background_tasks_expires ON background_tasks (expires_at) WHERE expires_at IS NOT NULL;

-- ingest_log_created finds what the inbound gateway received before the
-- retention (Store.Prune). Building it blocks the writes of the log while
-- it reads the table: on a large one, migrate (hookline migrate) at a
-- quiet time.
CREATE INDEX IF NOT EXISTS ingest_log_created ON ingest_log (created_at);

-- +goose Down
DROP INDEX IF EXISTS ingest_log_created;
DROP TABLE IF EXISTS background_tasks;
