-- +goose Up
-- One row that Store.CheckWrite rewrites to learn whether the database can
-- take writes (a health check): each node at most once a second.
CREATE TABLE write_check (
    id         integer     NOT NULL PRIMARY KEY CHECK (id = 1),
    checked_at timestamptz NOT NULL
);
INSERT INTO write_check (id, checked_at) VALUES (1, 'epoch');

-- +goose Down
DROP TABLE write_check;
