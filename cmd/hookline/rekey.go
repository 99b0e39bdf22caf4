package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
)

const rekeyAbout = `Usage: hookline rekey [flags]

Seals every stored secret again under the current master key, bound to its
row: endpoint signing secrets (and those of their rotations), the Basic
credentials of endpoint URLs, mTLS private keys, OAuth client settings and
custom headers, and the inbound gateway's sources (their configs, which hold
their verification secrets, and their ingest URL tokens). Give the new key as serve takes it (HOOKLINE_SECRET_KEY,
--secret-key-file, or <db>.key for SQLite) and the old ones in
HOOKLINE_PREVIOUS_SECRET_KEYS (comma-separated base64). On SQLite, stop
serve first: rekey then rewrites the database file (VACUUM) and empties its
WAL, so that nothing sealed under an old key is left in them; the file it
writes is in incremental auto-vacuum mode, so that retention gives the
space of what it deletes back (a database made by an older version
switches to it here). On
PostgreSQL, nodes may keep running if they were restarted with the new key
and the old ones.
`

// runRekey runs 'hookline rekey'.
func runRekey(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	f := newEnvFlags("rekey", rekeyAbout, getenv)
	cfg := &serveConfig{}
	f.str(&cfg.DB, "db", "HOOKLINE_DB", "hookline.db", dbUsage)
	f.str(&cfg.SecretKeyFile, "secret-key-file", "HOOKLINE_SECRET_KEY_FILE", "", "file holding the new master key, base64")
	f.variable(&cfg.SecretKey, "HOOKLINE_SECRET_KEY", "the new master key itself, base64; wins over --secret-key-file")
	f.variable(&cfg.PreviousSecretKeys, "HOOKLINE_PREVIOUS_SECRET_KEYS",
		"the keys the secrets are sealed with now, comma-separated base64 (required)")
	if _, err := f.parse(args); err != nil {
		return f.usageExit(err, stdout, stderr)
	}
	if cfg.PreviousSecretKeys == "" {
		fmt.Fprintln(stderr, "hookline rekey: set HOOKLINE_PREVIOUS_SECRET_KEYS to the key (or keys) the secrets are sealed with now")
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	n, err := rekey(ctx, cfg, logger)
	if err != nil {
		if n > 0 {
			fmt.Fprintf(stderr, "hookline rekey: sealed the secrets of %d endpoints and sources under the new key, not of those below\n", n)
		}
		fmt.Fprintln(stderr, "hookline rekey:", err)
		return 1
	}
	fmt.Fprintf(stdout, "sealed the secrets of %d endpoints and sources under the new key: %s\n", n, redactDB(cfg.DB))
	return 0
}

// rekey opens the store with the current and previous keys and seals every
// secret again under the current key (Reseal), those of endpoints and of
// sources. It returns how many of them it wrote.
func rekey(ctx context.Context, cfg *serveConfig, logger *slog.Logger) (int, error) {
	errNoKey := fmt.Errorf("no new master key: set HOOKLINE_SECRET_KEY or --secret-key-file")
	if isPostgresURL(cfg.DB) && cfg.SecretKey == "" && cfg.SecretKeyFile == "" {
		return 0, errNoKey
	}
	mk, err := loadSecretKey(cfg)
	if err != nil {
		return 0, err
	}
	if mk.generated {
		return 0, errNoKey
	}
	previous, err := decodeSecretKeys(cfg.PreviousSecretKeys, "$HOOKLINE_PREVIOUS_SECRET_KEYS")
	if err != nil {
		return 0, err
	}
	store, err := openStore(ctx, cfg.DB, logger, openOptions{MustExist: true, Key: mk.key, Previous: previous})
	if err != nil {
		return 0, err
	}
	defer store.Close()
	// Before anything is written: the keys must open every sealed secret.
	if err := checkSecretKey(ctx, store, mk); err != nil {
		return 0, err
	}
	return store.Reseal(ctx)
}
