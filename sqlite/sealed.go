package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/hookline/hookline"
)

// sealedTable is the endpoints table as hookline's CheckSeals, Reseal and
// UpgradeSeals use it.
type sealedTable struct{ s *Store }

// sealedCols are the sealed columns of an endpoint, and headers, which
// versions before headers_sealed kept in clear.
const sealedCols = `id, secret, previous_secrets, url_sealed, mtls, oauth, headers_sealed, headers`

func sealedDest(r *hookline.SealedRow) []any {
	return []any{&r.ID, &r.Secret, &r.Previous, &r.URL, &r.MTLS, &r.OAuth, &r.Headers, &r.ClearHeaders}
}

// SealedRows reads a page of the sealed columns of endpoints.
func (t sealedTable) SealedRows(ctx context.Context, after string) ([]hookline.SealedRow, error) {
	rows, err := t.s.rdb.QueryContext(ctx, `SELECT `+sealedCols+` FROM endpoints WHERE id > ? ORDER BY id LIMIT ?`,
		after, hookline.ResealBatch)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	var page []hookline.SealedRow
	for rows.Next() {
		var r hookline.SealedRow
		if err := rows.Scan(sealedDest(&r)...); err != nil {
			return nil, dbErr(err)
		}
		page = append(page, r)
	}
	return page, dbErr(rows.Err())
}

// ResealRows writes the rows of now through the writer, each where its
// columns still hold those of was.
func (t sealedTable) ResealRows(ctx context.Context, was, now []hookline.SealedRow) (int, error) {
	n := 0
	err := t.s.write(ctx, func(w *writer) error {
		n = 0
		for i, r := range now {
			old := was[i]
			res, err := w.exec(`UPDATE endpoints SET secret = ?, previous_secrets = ?, url_sealed = ?, mtls = ?, oauth = ?,
				headers_sealed = ?, headers = NULL
				WHERE id = ? AND secret IS ? AND previous_secrets IS ? AND url_sealed IS ? AND mtls IS ? AND oauth IS ?
				AND headers_sealed IS ? AND headers IS ?`,
				r.Secret, nullBytes(r.Previous), nullBytes(r.URL), nullBytes(r.MTLS), nullBytes(r.OAuth), nullBytes(r.Headers),
				r.ID, old.Secret, nullBytes(old.Previous), nullBytes(old.URL), nullBytes(old.MTLS), nullBytes(old.OAuth),
				nullBytes(old.Headers), clearHeaders(old.ClearHeaders))
			if err != nil {
				return err
			}
			if k, err := res.RowsAffected(); err != nil {
				return err
			} else if k > 0 {
				n++
			}
		}
		return nil
	})
	return n, err
}

// clearHeaders is the headers column as it was read: text, as stored.
func clearHeaders(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// LegacySeals reads the mark of sealed_format.
func (t sealedTable) LegacySeals(ctx context.Context) (bool, error) {
	var legacy bool
	err := t.s.queryRow(ctx, `SELECT legacy FROM sealed_format WHERE id = 1`).Scan(&legacy)
	return legacy, dbErr(err)
}

// MarkSealsBound clears the mark of sealed_format.
func (t sealedTable) MarkSealsBound(ctx context.Context) error {
	return t.s.write(ctx, func(w *writer) error {
		_, err := w.exec(`UPDATE sealed_format SET legacy = 0 WHERE id = 1`)
		return clean(err)
	})
}

// markClear sets the mark of sealed_format, in the transaction of a write
// of an endpoint, when the store has no key: it wrote secrets in clear.
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
	return s.box.CheckSeals(ctx, sealedTable{s})
}

// Reseal seals every endpoint's secrets again (hookline.SecretBox.Reseal),
// then rewrites the database file so that nothing it replaced is left in
// it or in the WAL (compact).
func (s *Store) Reseal(ctx context.Context) (int, error) {
	n, err := s.box.Reseal(ctx, sealedTable{s})
	if err != nil {
		return n, err
	}
	return n, s.compact(ctx)
}

// compact rebuilds the database file with VACUUM, which writes every page
// anew, leaving nothing in the file of what earlier writes replaced or
// deleted (freed pages, the free space in pages), and then checkpoints the
// WAL into it and truncates the WAL to nothing. VACUUM builds the copy in a
// temporary file (temp_store is MEMORY otherwise), deleted after.
func (s *Store) compact(ctx context.Context) error {
	return s.outside(ctx, func(ctx context.Context, conn *sql.Conn) error {
		if _, err := conn.ExecContext(ctx, "PRAGMA temp_store = FILE"); err != nil {
			return dbErr(err)
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
