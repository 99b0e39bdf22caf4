package sqlite

import (
	"context"
	"database/sql"
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

// pruneCandidate is a message Prune looks at.
type pruneCandidate struct {
	seq, created int64
	id, appID    string
}

// Prune deletes the done messages made before before, with their
// deliveries and attempts, and the ingest log of before, each batch an op
// of the writer, then gives the free pages back (incremental_vacuum, which
// does nothing unless the database is in incremental auto-vacuum mode).
// A message's deliveries are found through its application's endpoints,
// deleted ones too: deliveries have no index by message.
func (s *Store) Prune(ctx context.Context, before time.Time) (int, error) {
	cut := micros(before)
	total := 0
	var cursor int64
	for {
		var (
			n     int
			batch []pruneCandidate
		)
		err := s.write(ctx, func(w *writer) error {
			n, batch = 0, batch[:0]
			rows, err := w.query(`SELECT seq, id, app_id, created_at FROM messages WHERE seq > ? ORDER BY seq LIMIT ?`,
				cursor, hookline.PruneBatch)
			if err != nil {
				return clean(err)
			}
			for rows.Next() {
				var c pruneCandidate
				if err := rows.Scan(&c.seq, &c.id, &c.appID, &c.created); err != nil {
					rows.Close()
					return clean(err)
				}
				batch = append(batch, c)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return clean(err)
			}
			for _, c := range batch {
				if c.created >= cut {
					break
				}
				var live int
				err := w.queryRow(`SELECT count(*) FROM deliveries WHERE message_id = ? AND status IN (1, 3)
					AND endpoint_id IN (SELECT id FROM endpoints WHERE app_id = ? UNION ALL
						SELECT id FROM deleted_endpoints WHERE app_id = ?)`, c.id, c.appID, c.appID).Scan(&live)
				if err != nil {
					return err
				}
				if live > 0 {
					continue
				}
				if _, err := w.exec(`DELETE FROM attempts WHERE message_id = ? AND app_id = ?`, c.id, c.appID); err != nil {
					return err
				}
				if _, err := w.exec(`DELETE FROM deliveries WHERE message_id = ? AND endpoint_id IN
					(SELECT id FROM endpoints WHERE app_id = ? UNION ALL SELECT id FROM deleted_endpoints WHERE app_id = ?)`,
					c.id, c.appID, c.appID); err != nil {
					return err
				}
				if _, err := w.exec(`DELETE FROM messages WHERE seq = ?`, c.seq); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		young := false
		for _, c := range batch {
			if c.created >= cut {
				young = true
				break
			}
			cursor = c.seq
		}
		if young || len(batch) < hookline.PruneBatch {
			break
		}
	}
	n, err := hookline.Sweep(ctx, func(ctx context.Context, q string, _ time.Time) (int64, error) {
		var n int64
		err := s.write(ctx, func(w *writer) error {
			var err error
			n, err = w.affected(q, cut, hookline.CleanupBatch)
			return clean(err)
		})
		return n, err
	}, `DELETE FROM ingest_log WHERE id IN (SELECT id FROM ingest_log WHERE created_at < ? LIMIT ?)`)
	total += n
	if err != nil {
		return total, err
	}
	if total > 0 {
		err = s.outside(ctx, func(ctx context.Context, conn *sql.Conn) error {
			_, err := conn.ExecContext(ctx, "PRAGMA incremental_vacuum")
			return err
		})
	}
	return total, err
}
