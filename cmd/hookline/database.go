package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/api"
)

const migrateAbout = `Usage: hookline migrate [flags]

Creates or upgrades the database's tables, then exits ('serve' does this too
when it starts). A SQLite path where no file is, is refused unless --create.
`

// runMigrate runs 'hookline migrate': opening the database creates or
// upgrades its tables.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return withDB(ctx, "migrate", migrateAbout, args, getenv, stdout, stderr, func(_ hookline.Store, dsn string) error {
		fmt.Fprintln(stdout, "database is up to date:", redactDB(dsn))
		return nil
	})
}

const tokenAbout = `Usage: hookline token [flags]

Creates a new admin API token and prints it; only its hash is stored.
`

// runToken runs 'hookline token': it creates an admin API token and prints
// it.
func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return withDB(ctx, "token", tokenAbout, args, getenv, stdout, stderr, func(store hookline.Store, _ string) error {
		token, err := createAdminToken(ctx, store)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, token)
		return nil
	})
}

// withDB runs 'hookline <name>', a command whose flags are --db
// ($HOOKLINE_DB) and --create ($HOOKLINE_CREATE): it opens that database
// without a master key (which migrates it to the current schema), calls do
// with the store and the --db value, and closes the store. A SQLite path
// where no file is, is refused unless --create. It returns the exit code:
// 0 after -h (with about and the flags on stdout); 2 after a bad flag; 1
// when the database does not open or do fails; each error on stderr.
func withDB(ctx context.Context, name, about string, args []string, getenv func(string) string, stdout, stderr io.Writer,
	do func(store hookline.Store, dsn string) error) int {
	f := newEnvFlags(name, about, getenv)
	var dsn string
	var create bool
	f.str(&dsn, "db", "HOOKLINE_DB", "hookline.db", dbUsage)
	f.text((*boolValue)(&create), "create", "HOOKLINE_CREATE", "false", "create the SQLite database file when it does not exist")
	if _, err := f.parse(args); err != nil {
		return f.usageExit(err, stdout, stderr)
	}
	store, err := openStore(ctx, dsn, slog.New(slog.NewTextHandler(stderr, nil)), openOptions{MustExist: !create})
	if errors.Is(err, fs.ErrNotExist) {
		err = fmt.Errorf("%w (give --create to make a new database there)", err)
	}
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
