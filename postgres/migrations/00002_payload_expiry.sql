-- +goose Up
-- The payloads to expunge when their retention ends (Cleanup). Only rows that
-- still have a payload are in it, so expunged messages leave it.
CREATE INDEX messages_expiry ON messages (expires_at) WHERE payload IS NOT NULL AND expires_at IS NOT NULL;

-- +goose Down
DROP INDEX messages_expiry;
