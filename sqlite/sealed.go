package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/hookline/hookline"
)

// sealedTables is what the store holds of each hookline.SealedKind, as
// hookline's CheckSeals, Reseal and UpgradeSeals use it.
type sealedTables struct {
	storeReads // SealedRows
	s          *Store
}

// ResealRows writes the rows of now through the writer, each where its
// columns still hold those of was. They are compared as bytes, which the
// columns that kept secrets in clear, text, are not.
func (t sealedTables) ResealRows(ctx context.Context, k *hookline.SealedKind, was, now []hookline.SealedRow) (int, error) {
	names := k.Names()
	set, same := make([]string, len(names)), make([]string, len(names))
	for i, c := range names {
		set[i], same[i] = c+` = ?`, `CAST(`+c+` AS BLOB) IS ?`
	}
	query := `UPDATE ` + k.Table + ` SET ` + strings.Join(set, ", ") + ` WHERE id = ? AND ` + strings.Join(same, " AND ")
	n := 0
	err := t.s.write(ctx, func(w *writer) error {
		n = 0
		for i, r := range now {
			args := hookline.ResealArgs(was[i], r, nullBytes)
			changed, err := w.affected(query, args...)
			if err != nil {
				return err
			}
			if changed > 0 {
				n++
			}
		}
		return nil
	})
	return n, err
}

// LegacySeals reads the mark of sealed_format.
func (t sealedTables) LegacySeals(ctx context.Context) (bool, error) {
	var legacy bool
	err := t.s.queryRow(ctx, `SELECT legacy FROM sealed_format WHERE id = 1`).Scan(&legacy)
	return legacy, dbErr(err)
}

// MarkSealsBound clears the mark of sealed_format.
func (t sealedTables) MarkSealsBound(ctx context.Context) error {
	return t.s.write(ctx, func(w *writer) error {
		_, err := w.exec(`UPDATE sealed_format SET legacy = 0 WHERE id = 1`)
		return clean(err)
	})
}

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
	return s.box.CheckSeals(ctx, sealedTables{s.storeReads, s})
}

// Reseal seals every secret again (hookline.SecretBox.Reseal),
// then rewrites the database file so that nothing it replaced is left in
// it or in the WAL (compact).
func (s *Store) Reseal(ctx context.Context) (int, error) {
	n, err := s.box.Reseal(ctx, sealedTables{s.storeReads, s})
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
