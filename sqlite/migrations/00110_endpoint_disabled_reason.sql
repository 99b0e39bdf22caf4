-- +goose Up
-- disabled_reason and disabled_at say why and since when a disabled
-- endpoint is: 'manual' (the API), 'gone' (it answered 410 Gone) or
-- 'failing' (its attempts failed for too long); both NULL while it is
-- enabled. Endpoints disabled before this version have neither: why is not
-- known. deleted_endpoints keeps them with what the API shows.
ALTER TABLE endpoints ADD COLUMN disabled_reason TEXT;
ALTER TABLE endpoints ADD COLUMN disabled_at INTEGER;
ALTER TABLE deleted_endpoints ADD COLUMN disabled_reason TEXT;
ALTER TABLE deleted_endpoints ADD COLUMN disabled_at INTEGER;

-- +goose Down
ALTER TABLE deleted_endpoints DROP COLUMN disabled_at;
ALTER TABLE deleted_endpoints DROP COLUMN disabled_reason;
ALTER TABLE endpoints DROP COLUMN disabled_at;
ALTER TABLE endpoints DROP COLUMN disabled_reason;
