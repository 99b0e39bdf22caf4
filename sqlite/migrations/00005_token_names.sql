-- +goose Up
-- name says what an admin token is for (hookline token --name); last_used_at
-- is when it last authenticated a request, recorded at most once a minute
-- (hookline.TokenUseInterval), NULL when never.
ALTER TABLE tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN last_used_at INTEGER;

-- +goose Down
ALTER TABLE tokens DROP COLUMN last_used_at;
ALTER TABLE tokens DROP COLUMN name;
