-- +goose Up
-- attempts_created finds the attempts of the last hour, which the operator's
-- dashboard counts (Store.CountAttempts). Attempts are written in the order
-- of their times, so each new entry lands at the end of the index.
CREATE INDEX attempts_created ON attempts (created_at);

-- +goose Down
DROP INDEX attempts_created;
