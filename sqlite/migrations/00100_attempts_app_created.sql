-- +goose Up
-- attempts_app_created finds an application's attempts of a range of time,
-- which its statistics count (Store.AppAttemptStats): the status and the
-- message id are in it, so that counting reads the index and the messages,
-- never the attempts' rows with their response bodies.
CREATE INDEX IF NOT EXISTS attempts_app_created ON attempts (app_id, created_at, status, message_id);

-- +goose Down
DROP INDEX IF EXISTS attempts_app_created;
