package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline"
)

// sealedTables is what the store holds of each hookline.SealedKind, as
// hookline's CheckSeals, Reseal and UpgradeSeals use it.
type sealedTables struct {
	storeReads // SealedRows
	s          *Store
}

// ResealRows writes the rows of now in one transaction, each where its
// columns still hold those of was.
func (t sealedTables) ResealRows(ctx context.Context, k *hookline.SealedKind, was, now []hookline.SealedRow) (int, error) {
	n := 0
	err := t.s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		n = 0
		for i, r := range now {
			query, args := newQuery().Reseal(k, was[i], r)
			tag, err := tx.Exec(ctx, query, args...)
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
func (t sealedTables) LegacySeals(ctx context.Context) (bool, error) {
	var legacy bool
	err := t.s.do(ctx, func(ctx context.Context) error {
		return t.s.pool.QueryRow(ctx, `SELECT legacy FROM sealed_format WHERE id = 1`).Scan(&legacy)
	})
	return legacy, err
}

// MarkSealsBound clears the mark of sealed_format.
func (t sealedTables) MarkSealsBound(ctx context.Context) error {
	return t.s.do(ctx, func(ctx context.Context) error {
		_, err := t.s.pool.Exec(ctx, `UPDATE sealed_format SET legacy = false WHERE id = 1`)
		return err
	})
}

// markClear sets the mark of sealed_format, in the transaction of a write
// of secrets (an endpoint's, a source's), when the store has no key: it
// wrote them in clear.
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
	return s.box.CheckSeals(ctx, sealedTables{s.storeReads, s})
}

// Reseal seals every secret again (hookline.SecretBox.Reseal).
// The versions of the rows it replaced stay in the table's files until
// PostgreSQL's vacuum reuses their space, and in its WAL and backups.
func (s *Store) Reseal(ctx context.Context) (int, error) {
	return s.box.Reseal(ctx, sealedTables{s.storeReads, s})
}
