-- +goose Up
-- sent_headers holds the headers an attempt's request carried
-- (hookline.SentHeaders: a JSON object, credentials' values null); NULL for
-- the attempts logged before, and those that sent no request. A nullable
-- column without a default: adding it rewrites nothing.
ALTER TABLE attempts ADD COLUMN sent_headers text;

-- +goose Down
ALTER TABLE attempts DROP COLUMN sent_headers;
