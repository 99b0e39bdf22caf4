-- +goose Up
-- How Hookline authenticates itself to endpoints, beyond the current signing
-- secret. Every column is NULL for the endpoints made before it, which keep
-- working as they did: an HMAC secret, no previous secret, no credentials.
--   secret_kind       the kind of secret: 0 (or NULL) HMAC, 1 ed25519
--   previous_secrets  sealed: the secrets a rotation replaced, with their expiry
--   url_sealed        sealed: the URL with its Basic credentials, when it has
--                     any; url then holds it with the credentials redacted
--   mtls              sealed: the client certificate, its key and the CA bundle
--   oauth             sealed: the OAuth 2.0 client, its secret included
ALTER TABLE endpoints ADD COLUMN secret_kind INTEGER;
ALTER TABLE endpoints ADD COLUMN previous_secrets BLOB;
ALTER TABLE endpoints ADD COLUMN url_sealed BLOB;
ALTER TABLE endpoints ADD COLUMN mtls BLOB;
ALTER TABLE endpoints ADD COLUMN oauth BLOB;

-- +goose Down
ALTER TABLE endpoints DROP COLUMN oauth;
ALTER TABLE endpoints DROP COLUMN mtls;
ALTER TABLE endpoints DROP COLUMN url_sealed;
ALTER TABLE endpoints DROP COLUMN previous_secrets;
ALTER TABLE endpoints DROP COLUMN secret_kind;
