-- +goose Up
-- group_name is the name of an event type's group (hookline.EventType.
-- GroupName), as the Svix API's groupName. NULL: none.
ALTER TABLE event_types ADD COLUMN group_name text;

-- +goose Down
ALTER TABLE event_types DROP COLUMN group_name;
