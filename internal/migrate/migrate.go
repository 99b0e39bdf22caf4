// Package migrate brings a store driver's schema up to date with the goose
// migrations it embeds.
package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// Up applies the migrations in the folder "migrations" of fsys that db has
// not had yet, in the SQL dialect d. It uses no global state of goose's.
func Up(ctx context.Context, db *sql.DB, d goose.Dialect, fsys fs.FS) error {
	p, err := provider(db, d, fsys)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// DownTo undoes, newest first, the migrations of fsys that db has had
// after version, so that its schema is that version's. Tests use it to
// make a database as an earlier version left it.
func DownTo(ctx context.Context, db *sql.DB, d goose.Dialect, fsys fs.FS, version int64) error {
	p, err := provider(db, d, fsys)
	if err != nil {
		return err
	}
	if _, err := p.DownTo(ctx, version); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// provider returns goose's provider of the migrations in the folder
// "migrations" of fsys.
func provider(db *sql.DB, d goose.Dialect, fsys fs.FS) (*goose.Provider, error) {
	sub, err := fs.Sub(fsys, "migrations")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(d, db, sub, goose.WithDisableGlobalRegistry(true))
}
