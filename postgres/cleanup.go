package postgres

import (
	"context"
	"time"

	"github.com/hookline/hookline"
)

// Cleanup does hookline.Cleaner's work on any node: each batch of a step
// is one statement that skips the rows another node is deleting.
func (s *Store) Cleanup(ctx context.Context) (int, error) {
	exec := func(ctx context.Context, q string, now time.Time) (int64, error) {
		return s.exec(ctx, q, now, hookline.CleanupBatch)
	}
	return hookline.Sweep(ctx, exec,
		`UPDATE messages SET payload = NULL WHERE id IN (SELECT id FROM messages
			WHERE payload IS NOT NULL AND expires_at IS NOT NULL AND expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
		`DELETE FROM idempotency_keys WHERE key IN
			(SELECT key FROM idempotency_keys WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
		`DELETE FROM tokens WHERE id IN
			(SELECT id FROM tokens WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
		`DELETE FROM deleted_endpoints WHERE id IN (SELECT id FROM deleted_endpoints e WHERE deleted_at <= $1
			AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.endpoint_id = e.id) LIMIT $2 FOR UPDATE SKIP LOCKED)`,
		`DELETE FROM background_tasks WHERE id IN (SELECT id FROM background_tasks
			WHERE expires_at IS NOT NULL AND expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`)
}
