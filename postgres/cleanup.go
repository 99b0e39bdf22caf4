package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

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

// Prune deletes the done messages made before before, with their
// deliveries and attempts, a batch a statement that skips the messages
// another node is pruning, then the ingest log of before. A message's
// deliveries are found through its application's endpoints, deleted ones
// too: deliveries have no index by message. Autovacuum gives the space
// back to the tables. What makes a delivery pending again (Resend,
// ReplayMissing) locks its message FOR SHARE first: Prune skips
// a message so locked, and one Prune holds is gone when the lock is had,
// so no delivery made pending is deleted with its message.
func (s *Store) Prune(ctx context.Context, before time.Time) (int, error) {
	total := 0
	cursor := ""
	for {
		var n, seen int64
		var last string
		var young bool
		err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
			n, seen, last, young = 0, 0, "", false
			rows, err := tx.Query(ctx, `SELECT id, app_id, created_at FROM messages WHERE id > $1 ORDER BY id LIMIT $2
				FOR UPDATE SKIP LOCKED`, cursor, hookline.PruneBatch)
			if err != nil {
				return err
			}
			type cand struct{ id, appID string }
			var batch []cand
			for rows.Next() {
				var c cand
				var created time.Time
				if err := rows.Scan(&c.id, &c.appID, &created); err != nil {
					rows.Close()
					return err
				}
				seen++
				if !created.Before(before) {
					young = true
					break
				}
				batch, last = append(batch, c), c.id
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, c := range batch {
				const eps = `SELECT id FROM endpoints WHERE app_id = $2 UNION ALL SELECT id FROM deleted_endpoints WHERE app_id = $2`
				var live bool
				err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM deliveries WHERE message_id = $1 AND status IN (1, 3)
					AND endpoint_id IN (`+eps+`))`, c.id, c.appID).Scan(&live)
				if err != nil {
					return err
				}
				if live {
					continue
				}
				if _, err := tx.Exec(ctx, `DELETE FROM attempts WHERE message_id = $1 AND app_id = $2`, c.id, c.appID); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `DELETE FROM deliveries WHERE message_id = $1 AND endpoint_id IN (`+eps+`)`, c.id, c.appID); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `DELETE FROM messages WHERE id = $1`, c.id); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += int(n)
		if young || seen < hookline.PruneBatch || last == "" {
			break
		}
		cursor = last
	}
	n, err := hookline.Sweep(ctx, func(ctx context.Context, q string, _ time.Time) (int64, error) {
		return s.exec(ctx, q, before, hookline.CleanupBatch)
	}, `DELETE FROM ingest_log WHERE id IN (SELECT id FROM ingest_log WHERE created_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`)
	return total + n, err
}
