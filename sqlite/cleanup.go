package sqlite

import (
	"context"
	"time"

	"github.com/hookline/hookline"
)

// Cleanup does hookline.Cleaner's work through the writer: each batch of a
// step is one op, so that it never holds the writer long.
func (s *Store) Cleanup(ctx context.Context) (int, error) {
	return hookline.Sweep(ctx, func(ctx context.Context, q string, now time.Time) (int64, error) {
		var n int64
		err := s.write(ctx, func(w *writer) error {
			var err error
			n, err = w.affected(q, micros(now), hookline.CleanupBatch)
			return err
		})
		return n, err
	},
		`UPDATE messages SET payload = NULL WHERE rowid IN (SELECT rowid FROM messages
			WHERE payload IS NOT NULL AND expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)`,
		`DELETE FROM idempotency_keys WHERE rowid IN
			(SELECT rowid FROM idempotency_keys WHERE expires_at <= ? LIMIT ?)`,
		`DELETE FROM tokens WHERE id IN
			(SELECT id FROM tokens WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)`,
		`DELETE FROM deleted_endpoints WHERE id IN (SELECT id FROM deleted_endpoints e WHERE deleted_at <= ?
			AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.endpoint_id = e.id) LIMIT ?)`,
		`DELETE FROM background_tasks WHERE id IN (SELECT id FROM background_tasks
			WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)`)
}
