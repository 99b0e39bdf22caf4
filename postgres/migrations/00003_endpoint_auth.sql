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
ALTER TABLE endpoints
    ADD COLUMN secret_kind      smallint,
    ADD COLUMN previous_secrets bytea,
    ADD COLUMN url_sealed       bytea,
    ADD COLUMN mtls             bytea,
    ADD COLUMN oauth            bytea;

-- +goose Down
ALTER TABLE endpoints
    DROP COLUMN oauth,
    DROP COLUMN mtls,
    DROP COLUMN url_sealed,
    DROP COLUMN previous_secrets,
    DROP COLUMN secret_kind;
