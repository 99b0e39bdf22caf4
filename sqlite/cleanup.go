package sqlite

import (
	"context"
	"time"

	"github.com/hookline/hookline"
)

// Cleanup expunges the payloads of messages whose retention has ended and
// deletes expired idempotent responses and tokens, hookline.CleanupBatch
// rows a transaction so that it never holds the writer long, and returns
// how many rows it changed. Open runs it every hookline.CleanupEvery.
func (s *Store) Cleanup(ctx context.Context) (int, error) {
	step := func(q string) hookline.CleanupStep {
		return func(ctx context.Context, now time.Time) (int64, error) {
			var n int64
			err := s.write(ctx, func(w *writer) error {
				var err error
				n, err = w.affected(q, micros(now), hookline.CleanupBatch)
				return err
			})
			return n, err
		}
	}
	return hookline.Sweep(ctx,
		step(`UPDATE messages SET payload = NULL WHERE rowid IN (SELECT rowid FROM messages
			WHERE payload IS NOT NULL AND expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)`),
		step(`DELETE FROM idempotency_keys WHERE rowid IN
			(SELECT rowid FROM idempotency_keys WHERE expires_at <= ? LIMIT ?)`),
		step(`DELETE FROM tokens WHERE id IN
			(SELECT id FROM tokens WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)`))
}
