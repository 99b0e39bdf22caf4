package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/hookline/hookline"
)

// markClear sets the mark of sealed_format, in the transaction of a write
// of secrets (an endpoint's, a source's), when the store has no key: it
// wrote them in clear.
func (s *Store) markClear(w *writer) error {
	if s.box != nil {
		return nil
	}
	_, err := w.exec(`UPDATE sealed_format SET legacy = 1 WHERE id = 1 AND legacy = 0`)
	return err
}

// CheckSecretKey opens every sealed secret with the store's keys (see
// hookline.SecretBox.CheckSeals).
func (s *Store) CheckSecretKey(ctx context.Context) error {
	return s.box.CheckSeals(ctx, s.shared)
}

// Reseal seals every secret again (hookline.SecretBox.Reseal),
// then rewrites the database file so that nothing it replaced is left in
// it or in the WAL (compact).
func (s *Store) Reseal(ctx context.Context) (int, error) {
	n, err := s.box.Reseal(ctx, s.shared)
	if err != nil {
		return n, err
	}
	return n, s.compact(ctx)
}

// compact rebuilds the database file with VACUUM, which writes every page
// anew, leaving nothing in the file of what earlier writes replaced or
// deleted (freed pages, the free space in pages), and then checkpoints the
// WAL into it and truncates the WAL to nothing. VACUUM builds the copy in a
// temporary file (temp_store is MEMORY otherwise), deleted after. The copy
// is in incremental auto-vacuum mode, as a new database is: a database made
// before that mode was the default switches to it here, so that Prune gives
// its free pages back from then on.
func (s *Store) compact(ctx context.Context) error {
	return s.outside(ctx, func(ctx context.Context, conn *sql.Conn) error {
		for _, pragma := range []string{"PRAGMA temp_store = FILE", "PRAGMA auto_vacuum = INCREMENTAL"} {
			if _, err := conn.ExecContext(ctx, pragma); err != nil {
				return dbErr(err)
			}
		}
		_, err := conn.ExecContext(ctx, "VACUUM")
		if _, rerr := conn.ExecContext(ctx, "PRAGMA temp_store = MEMORY"); err == nil {
			err = rerr
		}
		if err != nil {
			return dbErr(fmt.Errorf("vacuum: %w", err))
		}
		var busy, log, done int64
		if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &log, &done); err != nil {
			return dbErr(err)
		}
		if busy != 0 {
			return hookline.Errorf(hookline.EUNAVAILABLE, "sqlite: the WAL could not be checkpointed and truncated: a reader holds it")
		}
		return nil
	})
}
