-- +goose Up
-- Custom headers are sealed like the other secrets of an endpoint:
--   headers_sealed  sealed: the custom headers, a JSON object
--   headers         in clear: those of the endpoints written before, until a
--                   store opened with the master key seals them (it then
--                   writes NULL here)
-- sealed_format has one row. legacy is true while the database may hold
-- secrets in the forms earlier versions wrote (in clear, or sealed without
-- being bound to their row), which a store then still reads; a store opened
-- with the master key seals them all again, bound to their row, and sets it
-- to false (hookline.UpgradeSeals); a store without a key sets it to true
-- when it writes secrets (in clear).
ALTER TABLE endpoints ADD COLUMN headers_sealed bytea;
CREATE TABLE sealed_format (
    id     integer NOT NULL PRIMARY KEY CHECK (id = 1),
    legacy boolean NOT NULL
);
INSERT INTO sealed_format (id, legacy) VALUES (1, true);

-- +goose Down
DROP TABLE sealed_format;
ALTER TABLE endpoints DROP COLUMN headers_sealed;
