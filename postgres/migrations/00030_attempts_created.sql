-- +goose Up
-- attempts_created finds the attempts of the last hour, which the operator's
-- dashboard counts (Store.CountAttempts). Building it blocks the writes of
-- attempts while it reads the table: on a large one, migrate (hookline
-- migrate) at a quiet time.
CREATE INDEX attempts_created ON attempts (created_at);

-- +goose Down
DROP INDEX attempts_created;
