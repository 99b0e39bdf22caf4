package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline"
)

// Resend makes the delivery of the message to the endpoint pending, due at
// once, with a manual trigger and no attempts in its schedule; it creates the
// delivery when there was none. Every node's dispatcher is notified.
func (s *Store) Resend(ctx context.Context, appID, msgID, endpointID string) error {
	t := hookline.Now()
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var msgCreated time.Time
		err := tx.QueryRow(ctx, `SELECT created_at FROM messages WHERE id = $1 AND app_id = $2`, msgID, appID).Scan(&msgCreated)
		if err == pgx.ErrNoRows {
			return hookline.ErrMessageNotFound
		}
		if err != nil {
			return err
		}
		var disabled bool
		err = tx.QueryRow(ctx, `SELECT disabled FROM endpoints WHERE id = $1 AND app_id = $2`, endpointID, appID).Scan(&disabled)
		if err == pgx.ErrNoRows {
			return hookline.ErrEndpointNotFound
		}
		if err != nil {
			return err
		}
		due := &t
		if disabled {
			due = nil // parked until the endpoint is enabled
		}
		_, err = tx.Exec(ctx, `INSERT INTO deliveries (id, app_id, message_id, endpoint_id, status, trigger_type,
				attempts, next_attempt_at, due_at, msg_created_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 1, 1, 0, $5, $6, $7, $5, $5)
			ON CONFLICT (endpoint_id, message_id) DO UPDATE SET status = 1, trigger_type = 1, attempts = 0,
				next_attempt_at = excluded.next_attempt_at, due_at = excluded.due_at, lease_owner = NULL,
				lease_until = NULL, updated_at = excluded.updated_at`,
			hookline.NewID(hookline.PrefixDelivery), appID, msgID, endpointID, t, due, msgCreated)
		if err != nil {
			return err
		}
		return s.notify(ctx, tx)
	})
	if err != nil {
		return err
	}
	s.signalDue()
	return nil
}

// Recover resends every failed delivery to the endpoint whose message was
// created in [since, until), and returns how many.
func (s *Store) Recover(ctx context.Context, appID, endpointID string, since, until time.Time) (int, error) {
	t := hookline.Now()
	var n int64
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var disabled bool
		err := tx.QueryRow(ctx, `SELECT disabled FROM endpoints WHERE id = $1 AND app_id = $2`, endpointID, appID).Scan(&disabled)
		if err == pgx.ErrNoRows {
			return hookline.ErrEndpointNotFound
		}
		if err != nil {
			return err
		}
		due := &t
		if disabled {
			due = nil
		}
		tag, err := tx.Exec(ctx, `UPDATE deliveries SET status = 1, trigger_type = 1, attempts = 0, next_attempt_at = $1,
				due_at = $2, lease_owner = NULL, lease_until = NULL, updated_at = $1
			WHERE endpoint_id = $3 AND status = 2 AND msg_created_at >= $4 AND msg_created_at < $5`,
			t, due, endpointID, since, until)
		if err != nil {
			return err
		}
		if n = tag.RowsAffected(); n > 0 {
			return s.notify(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		s.signalDue()
	}
	return int(n), nil
}
