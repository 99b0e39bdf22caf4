package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

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
	return s.box.CheckSeals(ctx, s.shared)
}

// Reseal seals every secret again (hookline.SecretBox.Reseal).
// The versions of the rows it replaced stay in the table's files until
// PostgreSQL's vacuum reuses their space, and in its WAL and backups.
func (s *Store) Reseal(ctx context.Context) (int, error) {
	return s.box.Reseal(ctx, s.shared)
}
