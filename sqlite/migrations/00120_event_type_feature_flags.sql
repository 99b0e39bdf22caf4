-- +goose Up
-- feature_flags are an event type's feature flags (hookline.EventType.
-- FeatureFlags), a JSON array: an application's token sees the event type
-- when it holds any one of them. NULL: none. It replaces feature_flag,
-- which held one; an event type keeps its flag.
ALTER TABLE event_types ADD COLUMN feature_flags TEXT;
UPDATE event_types SET feature_flags = json_array(feature_flag) WHERE feature_flag IS NOT NULL;
ALTER TABLE event_types DROP COLUMN feature_flag;

-- +goose Down
-- An event type keeps its first flag.
ALTER TABLE event_types ADD COLUMN feature_flag TEXT;
UPDATE event_types SET feature_flag = json_extract(feature_flags, '$[0]') WHERE feature_flags IS NOT NULL;
ALTER TABLE event_types DROP COLUMN feature_flags;
