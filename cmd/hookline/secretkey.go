package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/hookline/hookline"
)

// loadSecretKey returns the master key that encrypts endpoint secrets at
// rest, from the first of: HOOKLINE_SECRET_KEY (base64), the file
// --secret-key-file names, or — for a SQLite database — the file beside it
// (<db>.key), which is generated on first start with a warning. It returns
// nil (no encryption) only for a database that is not a file and when no key
// was given.
func loadSecretKey(cfg *serveConfig, logger *slog.Logger) ([]byte, error) {
	if cfg.SecretKey != "" {
		return decodeSecretKey(cfg.SecretKey, "$HOOKLINE_SECRET_KEY")
	}
	if cfg.SecretKeyFile != "" {
		data, err := os.ReadFile(cfg.SecretKeyFile)
		if err != nil {
			return nil, fmt.Errorf("secret key: %w", err)
		}
		return decodeSecretKey(string(data), cfg.SecretKeyFile)
	}
	if isPostgresURL(cfg.DB) {
		logger.Warn("no --secret-key-file or HOOKLINE_SECRET_KEY: endpoint secrets are stored unencrypted")
		return nil, nil
	}
	path := cfg.DB + ".key"
	data, err := os.ReadFile(path)
	if err == nil {
		return decodeSecretKey(string(data), path)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	key := make([]byte, hookline.SecretKeyLen)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("secret key: %w", err)
	}
	logger.Warn("generated a master key for endpoint secrets beside the database; back it up with the database, "+
		"without it the secrets cannot be read (or give one with --secret-key-file)", "path", path)
	return key, nil
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
