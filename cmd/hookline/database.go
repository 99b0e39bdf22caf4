package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"

	"github.com/hookline/hookline"
)

const migrateAbout = `Usage: hookline migrate [flags]

Creates or upgrades the database's tables, then exits ('serve' does this too
when it starts). A SQLite path where no file is, is refused unless --create.
`

// runMigrate runs 'hookline migrate': opening the database creates or
// upgrades its tables.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return dbCommand{name: "migrate", about: migrateAbout, create: true,
		do: func(_ hookline.Store, dsn string, _ []string) error {
			fmt.Fprintln(stdout, "database is up to date:", redactDB(dsn))
			return nil
		}}.run(ctx, args, getenv, stdout, stderr)
}

// dbCommand is a command that opens the database --db ($HOOKLINE_DB)
// names without a master key (which migrates it to the current schema),
// does its work and closes it. A SQLite path where no file is, is refused,
// unless the command has --create ($HOOKLINE_CREATE) and it is given.
type dbCommand struct {
	name, about string // the command ("token list") and its help's text
	create      bool   // it has --create
	operands    []string
	// flags, when set, defines the command's other flags.
	flags func(f *envFlags)
	// do does the work, with the operands the command was given.
	do func(store hookline.Store, dsn string, operands []string) error
}

// run runs the command with args and returns its exit code: 0 after -h
// (with the help on stdout); 2 after a bad flag or operand; 1 when the
// database does not open or do fails; each error on stderr.
func (c dbCommand) run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	f := newEnvFlags(c.name, c.about, getenv)
	var dsn string
	var create bool
	f.str(&dsn, "db", "HOOKLINE_DB", "hookline.db", dbUsage)
	if c.create {
		f.text((*boolValue)(&create), "create", "HOOKLINE_CREATE", "false", "create the SQLite database file when it does not exist")
	}
	if c.flags != nil {
		c.flags(f)
	}
	operands, err := f.parse(args, c.operands...)
	if err != nil {
		return f.usageExit(err, stdout, stderr)
	}
	store, err := openStore(ctx, dsn, slog.New(slog.NewTextHandler(stderr, nil)), openOptions{MustExist: !create})
	if errors.Is(err, fs.ErrNotExist) && c.create {
		err = fmt.Errorf("%w (give --create to make a new database there)", err)
	}
	if err == nil {
		err = c.do(store, dsn, operands)
		store.Close()
	}
	if err != nil {
		fmt.Fprintf(stderr, "hookline %s: %v\n", c.name, err)
		return 1
	}
	return 0
}
