-- +goose Up
-- One row that Store.CheckWrite rewrites to learn whether the database can
-- take writes (a health check), at most once a second.
CREATE TABLE write_check (
    id         INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    checked_at INTEGER NOT NULL
);
INSERT INTO write_check (id, checked_at) VALUES (1, 0);

-- +goose Down
DROP TABLE write_check;
