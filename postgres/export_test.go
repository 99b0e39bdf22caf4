package postgres

import (
	"context"
	"database/sql"

	"github.com/pressly/goose/v3"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/migrate"
)

// MigrateDownTo brings db's schema back to version, for the tests that
// make a database as an earlier version left it.
func MigrateDownTo(ctx context.Context, db *sql.DB, version int64) error {
	return migrate.DownTo(ctx, db, goose.DialectPostgres, migrations, version)
}

// ClaimQuery is claimQuery, for the plan test.
var ClaimQuery = claimQuery

// ForgetPayload is forgetPayload, for the tests that make a store forget
// its caches.
const ForgetPayload = forgetPayload

// SealedTables is the store's hookline.SealedTables, for the storetest
// cases that come between its reads and its writes.
func SealedTables(s *Store) hookline.SealedTables { return s.shared }
