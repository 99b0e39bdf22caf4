-- +goose Up
-- feature_flags are the feature flags an application's token was given
-- (hookline.Token.FeatureFlags), a JSON array: the token sees an event type
-- that has a feature flag only when the flag is among them. NULL: none.
ALTER TABLE tokens ADD COLUMN feature_flags TEXT;

-- +goose Down
ALTER TABLE tokens DROP COLUMN feature_flags;
