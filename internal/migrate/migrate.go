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
	sub, err := fs.Sub(fsys, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(d, db, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
