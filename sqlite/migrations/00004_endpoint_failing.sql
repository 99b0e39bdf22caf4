-- +goose Up
-- failing_since is when the endpoint's attempts started failing without a
-- success since (MarkFailing, ClearFailing): it survives restarts, so that
-- an endpoint failing for days is disabled however often the process
-- restarted. The endpoint's other reads do not select it.
ALTER TABLE endpoints ADD COLUMN failing_since INTEGER;

-- +goose Down
ALTER TABLE endpoints DROP COLUMN failing_since;
