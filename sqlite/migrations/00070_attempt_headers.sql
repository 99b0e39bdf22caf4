-- +goose Up
-- sent_headers holds the headers an attempt's request carried
-- (hookline.SentHeaders: a JSON object, credentials' values null); NULL for
-- the attempts logged before, and those that sent no request.
ALTER TABLE attempts ADD COLUMN sent_headers TEXT;

-- +goose Down
ALTER TABLE attempts DROP COLUMN sent_headers;
