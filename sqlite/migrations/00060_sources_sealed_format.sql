-- +goose Up
-- Sources' secrets (ingest_sources.config and token) are sealed like the
-- endpoints' and under the same mark (sealed_format, 00009). Versions before
-- wrote sources in clear without a master key without setting the mark, or
-- sealed them without binding them to their row: a database holding such a
-- source is marked, so that the next store opened with the key seals it
-- bound to its row (hookline.UpgradeSeals). The first byte of a stored
-- secret is its form; 2 is sealed and bound.
UPDATE sealed_format SET legacy = 1 WHERE id = 1 AND EXISTS (
    SELECT 1 FROM ingest_sources WHERE substr(config, 1, 1) <> x'02' OR substr(token, 1, 1) <> x'02'
);

-- +goose Down
-- The mark stays: it only makes a store with the key check every secret
-- and seal those of older forms.
