package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline"
)

// sealedTable is the endpoints table as hookline's CheckSeals, Reseal and
// UpgradeSeals use it.
type sealedTable struct{ s *Store }

// sealedCols are the sealed columns of an endpoint, and headers, which
// versions before headers_sealed kept in clear.
const sealedCols = `id, secret, previous_secrets, url_sealed, mtls, oauth, headers_sealed, headers`

// SealedRows reads a page of the sealed columns of endpoints.
func (t sealedTable) SealedRows(ctx context.Context, after string) ([]hookline.SealedRow, error) {
	var page []hookline.SealedRow
	err := t.s.do(ctx, func(ctx context.Context) error {
		rows, err := t.s.pool.Query(ctx, `SELECT `+sealedCols+` FROM endpoints WHERE id > $1 ORDER BY id LIMIT $2`,
			after, hookline.ResealBatch)
		if err != nil {
			return err
		}
		page, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookline.SealedRow, error) {
			var r hookline.SealedRow
			err := row.Scan(&r.ID, &r.Secret, &r.Previous, &r.URL, &r.MTLS, &r.OAuth, &r.Headers, &r.ClearHeaders)
			return r, err
		})
		return err
	})
	return page, err
}

// ResealRows writes the rows of now in one transaction, each where its
// columns still hold those of was.
func (t sealedTable) ResealRows(ctx context.Context, was, now []hookline.SealedRow) (int, error) {
	n := 0
	err := t.s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		n = 0
		for i, r := range now {
			old := was[i]
			tag, err := tx.Exec(ctx, `UPDATE endpoints SET secret = $1, previous_secrets = $2, url_sealed = $3, mtls = $4,
				oauth = $5, headers_sealed = $6, headers = NULL
				WHERE id = $7 AND secret = $8 AND previous_secrets IS NOT DISTINCT FROM $9
				AND url_sealed IS NOT DISTINCT FROM $10 AND mtls IS NOT DISTINCT FROM $11 AND oauth IS NOT DISTINCT FROM $12
				AND headers_sealed IS NOT DISTINCT FROM $13 AND headers IS NOT DISTINCT FROM $14`,
				r.Secret, r.Previous, r.URL, r.MTLS, r.OAuth, r.Headers,
				r.ID, old.Secret, old.Previous, old.URL, old.MTLS, old.OAuth, old.Headers, old.ClearHeaders)
			if err != nil {
				return err
			}
			n += int(tag.RowsAffected())
		}
		return nil
	})
	return n, err
}

// LegacySeals reads the mark of sealed_format.
func (t sealedTable) LegacySeals(ctx context.Context) (bool, error) {
	var legacy bool
	err := t.s.do(ctx, func(ctx context.Context) error {
		return t.s.pool.QueryRow(ctx, `SELECT legacy FROM sealed_format WHERE id = 1`).Scan(&legacy)
	})
	return legacy, err
}

// MarkSealsBound clears the mark of sealed_format.
func (t sealedTable) MarkSealsBound(ctx context.Context) error {
	return t.s.do(ctx, func(ctx context.Context) error {
		_, err := t.s.pool.Exec(ctx, `UPDATE sealed_format SET legacy = false WHERE id = 1`)
		return err
	})
}

// markClear sets the mark of sealed_format, in the transaction of a write
// of an endpoint, when the store has no key: it wrote secrets in clear.
func (s *Store) markClear(ctx context.Context, tx pgx.Tx) error {
	if s.box != nil {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE sealed_format SET legacy = true WHERE id = 1 AND NOT legacy`)
	return err
}

// CheckSecretKey opens every sealed secret with the store's keys (see
// hookline.SecretBox.CheckSeals).
func (s *Store) CheckSecretKey(ctx context.Context) error {
	return s.box.CheckSeals(ctx, sealedTable{s})
}

// Reseal seals every endpoint's secrets again (hookline.SecretBox.Reseal).
// The versions of the rows it replaced stay in the table's files until
// PostgreSQL's vacuum reuses their space, and in its WAL and backups.
func (s *Store) Reseal(ctx context.Context) (int, error) {
	return s.box.Reseal(ctx, sealedTable{s})
}
