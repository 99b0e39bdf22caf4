-- +goose Up
-- attempts_app_created finds an application's attempts of a range of time,
-- which its statistics count (Store.AppAttemptStats): the status and the
-- message id are in it, so that counting can read the index and the
-- messages, not the attempts' rows with their response bodies. Building it
-- blocks the writes of attempts while it reads the table: on a large one,
-- migrate (hookline migrate) at a quiet time.
CREATE INDEX IF NOT EXISTS attempts_app_created ON attempts (app_id, created_at) INCLUDE (status, message_id);

-- +goose Down
DROP INDEX IF EXISTS attempts_app_created;
