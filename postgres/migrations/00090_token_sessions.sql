-- +goose Up
-- session_id is the session an application's token was created for
-- (hookline.Token.SessionID, app-portal-access's sessionId); '' for none.
-- expire-all picks an application's tokens, all or those of some sessions
-- (tokens_app finds them).
ALTER TABLE tokens ADD COLUMN session_id text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE tokens DROP COLUMN session_id;
