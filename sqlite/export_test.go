package sqlite

import (
	"context"
	"database/sql"

	"github.com/pressly/goose/v3"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/migrate"
)

// SealedTables is the store's hookline.SealedTables, for the storetest
// cases that come between its reads and its writes.
func SealedTables(s *Store) hookline.SealedTables { return sealedTables{s} }

// MigrateDownTo undoes the migrations of the database file at path above
// version (migrate.DownTo), with no store open on it.
func MigrateDownTo(ctx context.Context, path string, version int64) error {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	return migrate.DownTo(ctx, db, goose.DialectSQLite3, migrations, version)
}
