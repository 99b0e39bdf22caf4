package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/migrate"
)

// ClaimQuery is claimQuery, for the plan test.
var ClaimQuery = claimQuery

// ForgetPayload is forgetPayload, for the tests that make a store forget
// its caches.
const ForgetPayload = forgetPayload

// SealedTables is the store's hookline.SealedTables, for the storetest
// cases that come between its reads and its writes.
func SealedTables(s *Store) hookline.SealedTables { return sealedTables{s} }

// MigrateDownTo undoes the migrations of the database at url above version
// (migrate.DownTo).
func MigrateDownTo(ctx context.Context, url string, version int64) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return err
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	db.SetMaxOpenConns(1)
	return migrate.DownTo(ctx, db, goose.DialectPostgres, migrations, version)
}
