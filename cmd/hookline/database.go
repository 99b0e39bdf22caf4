package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/api"
)

// runMigrate runs 'hookline migrate': opening the database creates or
// upgrades its tables.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return withDB(ctx, "migrate", args, getenv, stderr, func(_ hookline.Store, dsn string) error {
		fmt.Fprintln(stdout, "database is up to date:", redactDB(dsn))
		return nil
	})
}

// runToken runs 'hookline token': it creates an admin API token and prints
// it.
func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return withDB(ctx, "token", args, getenv, stderr, func(store hookline.Store, _ string) error {
		token, err := createAdminToken(ctx, store)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, token)
		return nil
	})
}

// withDB runs 'hookline <name>', a command whose one flag is --db
// ($HOOKLINE_DB): it opens that database without a master key (which
// migrates it to the current schema), calls do with the store and the --db
// value, and closes the store. It returns the exit code: 2 after a bad
// flag, which the flag package reports; 1 when the database does not open
// or do fails, which it reports on stderr; 0 otherwise.
func withDB(ctx context.Context, name string, args []string, getenv func(string) string, stderr io.Writer, do func(store hookline.Store, dsn string) error) int {
	f := newEnvFlags(name, getenv, stderr)
	var dsn string
	f.str(&dsn, "db", "HOOKLINE_DB", "hookline.db", dbUsage)
	if err := f.Parse(args); err != nil {
		return 2
	}
	store, err := openStore(ctx, dsn, slog.New(slog.NewTextHandler(stderr, nil)), nil)
	if err == nil {
		err = do(store, dsn)
		store.Close()
	}
	if err != nil {
		fmt.Fprintf(stderr, "hookline %s: %v\n", name, err)
		return 1
	}
	return 0
}

// createAdminToken stores a new admin token and returns it.
func createAdminToken(ctx context.Context, store hookline.Store) (string, error) {
	token := api.NewToken()
	err := store.CreateToken(ctx, &hookline.Token{
		ID: hookline.NewID(hookline.PrefixToken), Hash: api.HashToken(token), CreatedAt: time.Now(),
	})
	return token, err
}
