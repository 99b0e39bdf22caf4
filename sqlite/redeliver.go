package sqlite

import (
	"context"
	"database/sql"

	"github.com/hookline/hookline"
)

// Resend makes the delivery of the message to the endpoint pending, due at
// once, with a manual trigger and no attempts in its schedule; it creates the
// delivery when there was none.
func (s *Store) Resend(ctx context.Context, appID, msgID, endpointID string) error {
	t := micros(hookline.Now())
	return s.write(ctx, func(w *writer) error {
		var seq, created int64
		err := w.queryRow(`SELECT seq, created_at FROM messages WHERE app_id = ? AND id = ?`, appID, msgID).Scan(&seq, &created)
		if err != nil {
			return clean(notFoundAs(err, hookline.ErrMessageNotFound))
		}
		due, err := w.dueAt(appID, endpointID, t)
		if err != nil {
			return err
		}
		w.delSeq++
		_, err = w.exec(`INSERT INTO deliveries (`+delInsertCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (endpoint_id, message_id) DO UPDATE SET status = excluded.status,
				trigger_type = excluded.trigger_type, attempts = 0, next_attempt_at = excluded.next_attempt_at,
				due_at = excluded.due_at, lease_owner = NULL, lease_until = NULL, held = 0, updated_at = excluded.updated_at`,
			w.delSeq, deliveryID(t/1000, w.delSeq), appID, seq, msgID, endpointID, int64(hookline.StatusPending),
			int64(hookline.TriggerManual), 0, t, due, created, t, t)
		if err != nil {
			return clean(err)
		}
		w.due = true
		return nil
	})
}

// notFoundAs turns a missing row or application into notFound.
func notFoundAs(err, notFound error) error {
	if err == sql.ErrNoRows || hookline.ErrorCode(err) == hookline.ENOTFOUND {
		return notFound
	}
	return err
}

// dueAt returns when a delivery to the application's endpoint made pending
// at t is due: at t, or never (nil: parked until the endpoint is enabled)
// when the endpoint is disabled. It is ErrEndpointNotFound (clean) when
// there is no such endpoint.
func (w *writer) dueAt(appID, endpointID string, t int64) (any, error) {
	eps, err := w.endpoints(appID)
	if err != nil {
		return nil, clean(notFoundAs(err, hookline.ErrEndpointNotFound))
	}
	switch ep := eps.byID[endpointID]; {
	case ep == nil:
		return nil, clean(hookline.ErrEndpointNotFound)
	case ep.Disabled:
		return nil, nil
	}
	return t, nil
}
