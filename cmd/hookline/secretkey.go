package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/hookline/hookline"
)

// masterKey is the master key that seals the secrets of endpoints and
// sources at rest, and
// where it comes from.
type masterKey struct {
	// key is nil only on PostgreSQL, with --allow-unencrypted-secrets and
	// no key given.
	key []byte
	// from names where the key comes from ("$HOOKLINE_SECRET_KEY", a file)
	// or, when generated, the file it is for.
	from string
	// generated: no key was given and the database's key file does not
	// exist. key is new; keep writes it to its file, which serve does only
	// once the store turned out to hold no sealed secret (checkNewKey),
	// and before it opens the store with it.
	generated bool
}

// loadSecretKey returns the master key that encrypts secrets at rest, from the first of: HOOKLINE_SECRET_KEY (base64), the file
// --secret-key-file names, or, for a SQLite database, the file beside it
// (<db>.key), or a new key for that file when it does not exist (see
// masterKey.generated). On PostgreSQL without a key it returns a nil key
// if --allow-unencrypted-secrets, else an error.
func loadSecretKey(cfg *serveConfig) (*masterKey, error) {
	if cfg.SecretKey != "" {
		key, err := decodeSecretKey(cfg.SecretKey, "$HOOKLINE_SECRET_KEY")
		return &masterKey{key: key, from: "$HOOKLINE_SECRET_KEY"}, err
	}
	if cfg.SecretKeyFile != "" {
		data, err := os.ReadFile(cfg.SecretKeyFile)
		if err != nil {
			return nil, fmt.Errorf("secret key: %w", err)
		}
		key, err := decodeSecretKey(string(data), cfg.SecretKeyFile)
		return &masterKey{key: key, from: cfg.SecretKeyFile}, err
	}
	if isPostgresURL(cfg.DB) {
		if !cfg.AllowUnencryptedSecrets {
			return nil, errors.New("no master key for the secrets of endpoints and sources: give the same one to every node, in $HOOKLINE_SECRET_KEY " +
				"or with --secret-key-file (`openssl rand -base64 32` makes one), or store them unencrypted with --allow-unencrypted-secrets")
		}
		return &masterKey{}, nil
	}
	path := cfg.DB + ".key"
	data, err := os.ReadFile(path)
	if err == nil {
		key, err := decodeSecretKey(string(data), path)
		return &masterKey{key: key, from: path}, err
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	key := make([]byte, hookline.SecretKeyLen)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return &masterKey{key: key, from: path, generated: true}, nil
}

// checkSecretKey makes sure that k opens the secrets the store holds
// sealed, and says what to do when it does not. A generated key opens none:
// then the key file is missing, and no new key is made.
func checkSecretKey(ctx context.Context, store hookline.SealedSecrets, k *masterKey) error {
	err := store.CheckSecretKey(ctx)
	if err == nil || !errors.Is(err, hookline.ErrSecretKey) {
		return err
	}
	switch {
	case k.generated:
		return fmt.Errorf("the database holds secrets (of endpoints or sources) sealed under a master key, and its key file %s does not exist: "+
			"restore that file, or give the key in $HOOKLINE_SECRET_KEY or with --secret-key-file; no new key is made, "+
			"it would not open them (%w)", k.from, err)
	case k.key == nil:
		return fmt.Errorf("the database holds secrets (of endpoints or sources) sealed under a master key, and none is given: "+
			"give it in $HOOKLINE_SECRET_KEY or with --secret-key-file (%w)", err)
	}
	return fmt.Errorf("the master key from %s does not open the secrets the database holds: give the key they "+
		"were sealed with, in $HOOKLINE_SECRET_KEY, with --secret-key-file or, for SQLite, in <db>.key; during a "+
		"rotation, give the old key in $HOOKLINE_PREVIOUS_SECRET_KEYS too (%w)", k.from, err)
}

// checkNewKey makes sure that the database db, for which k was generated,
// holds no sealed secret (else its key file is missing: checkSecretKey
// says so). It opens the store without a key: a store opened with one may
// seal the secrets it holds in clear at once (hookline.UpgradeSeals), and
// a generated key must be in its file before it seals anything.
func checkNewKey(ctx context.Context, db string, logger *slog.Logger, k *masterKey) error {
	store, err := openStore(ctx, db, logger, openOptions{})
	if err != nil {
		return err
	}
	defer store.Close()
	return checkSecretKey(ctx, store, k)
}

// keep writes a generated key to its file, mode 0600, and warns that it
// must be kept.
func (k *masterKey) keep(logger *slog.Logger) error {
	f, err := os.OpenFile(k.from, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("secret key: %w", err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(k.key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(k.from)
		return fmt.Errorf("secret key: %w", err)
	}
	logger.Warn("generated a master key for secrets beside the database; back it up with the database, "+
		"without it the secrets cannot be read (or give one with --secret-key-file)", "path", k.from)
	return nil
}

// decodeSecretKeys decodes a comma-separated list of base64 keys.
func decodeSecretKeys(list, from string) ([][]byte, error) {
	var keys [][]byte
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		k, err := decodeSecretKey(s, from)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func decodeSecretKey(s, from string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(key) != hookline.SecretKeyLen {
		return nil, fmt.Errorf("secret key from %s: want the base64 of %d random bytes (e.g. `openssl rand -base64 32`)", from, hookline.SecretKeyLen)
	}
	return key, nil
}

// isPostgresURL reports whether dsn names a PostgreSQL database: a URL
// whose scheme is postgres or postgresql, in any case (schemes are
// case-insensitive).
func isPostgresURL(dsn string) bool {
	scheme, _, ok := strings.Cut(dsn, "://")
	return ok && (strings.EqualFold(scheme, "postgres") || strings.EqualFold(scheme, "postgresql"))
}
