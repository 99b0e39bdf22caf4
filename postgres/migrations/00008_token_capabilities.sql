-- +goose Up
-- capabilities is what an application's token may do in it
-- (hookline.Token.Capabilities), the Svix API's names ('ViewBase',
-- 'CreateAttempts'...). NULL, as every token made before it has, grants the
-- whole application; an empty array grants nothing.
ALTER TABLE tokens ADD COLUMN capabilities text[];

-- +goose Down
ALTER TABLE tokens DROP COLUMN capabilities;
