package postgres

import (
	"context"
	"time"

	"github.com/hookline/hookline"
)

// Cleanup expunges the payloads of messages whose retention has ended and
// deletes expired idempotent responses and tokens, hookline.CleanupBatch
// rows a statement, and returns how many rows it changed. Open runs it every
// hookline.CleanupEvery.
func (s *Store) Cleanup(ctx context.Context) (int, error) {
	step := func(q string) hookline.CleanupStep {
		return func(ctx context.Context, now time.Time) (int64, error) {
			return s.exec(ctx, q, now, hookline.CleanupBatch)
		}
	}
	return hookline.Sweep(ctx,
		step(`UPDATE messages SET payload = NULL WHERE id IN (SELECT id FROM messages
			WHERE payload IS NOT NULL AND expires_at IS NOT NULL AND expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`),
		step(`DELETE FROM idempotency_keys WHERE key IN
			(SELECT key FROM idempotency_keys WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`),
		step(`DELETE FROM tokens WHERE id IN
			(SELECT id FROM tokens WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`))
}
