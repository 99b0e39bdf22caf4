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
	_, err := s.requeue(ctx, s.tx, func(ctx context.Context, tx pgx.Tx) (int64, error) {
		var msgCreated time.Time
		// FOR SHARE: Prune, which locks the messages it deletes, skips
		// this one until the delivery is committed, or deleted it first.
		err := tx.QueryRow(ctx, `SELECT created_at FROM messages WHERE id = $1 AND app_id = $2 FOR SHARE`, msgID, appID).Scan(&msgCreated)
		if err == pgx.ErrNoRows {
			return 0, hookline.ErrMessageNotFound
		}
		if err != nil {
			return 0, err
		}
		due, err := dueAt(ctx, tx, appID, endpointID, t)
		if err != nil {
			return 0, err
		}
		_, err = tx.Exec(ctx, `INSERT INTO deliveries (id, app_id, message_id, endpoint_id, status, trigger_type,
				attempts, next_attempt_at, due_at, msg_created_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 1, 1, 0, $5, $6, $7, $5, $5)
			ON CONFLICT (endpoint_id, message_id) DO UPDATE SET status = 1, trigger_type = 1, attempts = 0,
				next_attempt_at = excluded.next_attempt_at, due_at = excluded.due_at, lease_owner = NULL,
				lease_until = NULL, held = false, updated_at = excluded.updated_at`,
			hookline.NewID(hookline.PrefixDelivery), appID, msgID, endpointID, t, due, msgCreated)
		return 1, err
	})
	return err
}

// dueAt returns when a delivery to the application's endpoint made pending
// at t is due: at t, or never (nil: parked until the endpoint is enabled)
// when the endpoint is disabled. It is ErrEndpointNotFound when there is no
// such endpoint.
func dueAt(ctx context.Context, tx pgx.Tx, appID, endpointID string, t time.Time) (*time.Time, error) {
	var disabled bool
	err := tx.QueryRow(ctx, `SELECT disabled FROM endpoints WHERE id = $1 AND app_id = $2`, endpointID, appID).Scan(&disabled)
	if err == pgx.ErrNoRows {
		return nil, hookline.ErrEndpointNotFound
	}
	if err != nil || disabled {
		return nil, err
	}
	return &t, nil
}

// requeue runs fn, which makes deliveries due and returns how many, in a
// transaction run by runTx; when it made any, every node's dispatcher is
// notified as the transaction commits, and this node's at once after it.
func (s *Store) requeue(ctx context.Context, runTx func(context.Context, func(context.Context, pgx.Tx) error) error,
	fn func(ctx context.Context, tx pgx.Tx) (int64, error)) (int64, error) {
	var n int64
	err := runTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var err error
		if n, err = fn(ctx, tx); err != nil || n == 0 {
			return err
		}
		return s.notify(ctx, tx)
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		s.signalDue()
	}
	return n, nil
}
