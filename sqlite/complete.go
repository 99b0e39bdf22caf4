package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/hookline/hookline"
)

// completeQuery moves the deliveries of a VALUES list of (seq, id, status,
// attempts, next attempt, deferred) still leased by the owner (the last
// argument) to their new state; the first argument is the time. A deferred
// delivery keeps its trigger and is held; an attempted one's next attempt is
// scheduled.
const completeQuery = `UPDATE deliveries SET status = v.column3, attempts = v.column4, next_attempt_at = v.column5,
	due_at = v.column5, trigger_type = CASE WHEN v.column6 THEN deliveries.trigger_type ELSE 0 END, held = v.column6,
	lease_owner = NULL, lease_until = NULL, updated_at = ?
	FROM (VALUES %s) AS v
	WHERE deliveries.seq = v.column1 AND deliveries.id = v.column2 AND deliveries.status = 3
		AND deliveries.lease_owner = ?
	RETURNING deliveries.id`

// completeOneQuery is completeQuery for one delivery: (status, attempts,
// next attempt, next attempt, deferred, deferred, time, seq, id, owner).
const completeOneQuery = `UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?,
	due_at = ?, trigger_type = CASE WHEN ? THEN trigger_type ELSE 0 END, held = ?,
	lease_owner = NULL, lease_until = NULL, updated_at = ?
	WHERE seq = ? AND id = ? AND status = 3 AND lease_owner = ?`

// fewOutcomes is the most outcomes completeDeliveries updates one by one.
const fewOutcomes = 4

// completeDeliveries moves the deliveries of upds (seq, id, status,
// attempts, next attempt, deferred for each) that owner still leases, and
// returns the ids of those it moved. A few run as one UPDATE each: for
// one row named by its seq, SQLite needs neither the temporary tables of
// completeQuery's VALUES and RETURNING nor a statement journal, which
// cost it more than the update itself (at low load, where every batch of
// outcomes is one or two, they were a third of the writer's time).
func (w *writer) completeDeliveries(tUS int64, owner string, upds []any) ([]string, error) {
	var changed []string
	if len(upds)/6 <= fewOutcomes {
		for u := upds; len(u) >= 6; u = u[6:] {
			n, err := w.affected(completeOneQuery, u[2], u[3], u[4], u[4], u[5], u[5], tUS, u[0], u[1], owner)
			if err != nil {
				return nil, err
			}
			if n > 0 {
				changed = append(changed, u[1].(string))
			}
		}
		return changed, nil
	}
	err := w.eachChunk(6, upds, func(values string, args []any) error {
		rows, err := w.query(fmt.Sprintf(completeQuery, values), append(append([]any{tUS}, args...), owner)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			changed = append(changed, id)
		}
		return rows.Close()
	})
	return changed, err
}

// Complete records the attempt of every outcome and, where owner still
// holds the delivery's lease, moves the delivery to its new state. The
// attempts are inserted and the deliveries updated with a few multi-row
// statements, not two statements an outcome, whose arguments are made
// before the op reaches the writer.
//
// Complete returns once its transaction has committed, without waiting
// for the WAL to reach the disk: the next commit that must be durable (a
// message) syncs it too, and the checkpointer within about 100 ms if none
// comes (a checkpoint syncs the WAL first). A power failure in between
// loses the outcomes, which leaves their deliveries leased, and due again
// when the server restarts: a delivery may then be sent twice, never lost.
// A crash of the process alone loses nothing (the WAL is written, if not
// synced).
//
// Nothing waits on an outcome but the dispatcher's outcome writer, so
// Complete is lazy: if no other write is queued, the writer waits up to
// 2 ms (lazyWait) for one to commit with rather than commit the outcomes
// on their own. At low load that halves the commits, since a message's
// outcome then rides with the next message.
func (s *Store) Complete(ctx context.Context, owner string, outcomes []hookline.Outcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	t := hookline.Now()
	hookline.PrepareOutcomes(outcomes, t)
	tUS := micros(t)
	atts := make([]any, 0, len(outcomes)*13)
	upds := make([]any, 0, len(outcomes)*6)
	var (
		partial []hookline.Attempt                 // attempts that lack ids the delivery knows
		disable map[string]*hookline.Attempt       // by delivery id
		reasons map[string]hookline.DisabledReason // by delivery id, those of disable
		retry   map[string]bool                    // deliveries to retry, by id
	)
	for i := range outcomes {
		o := &outcomes[i]
		a := o.Attempt
		seq, ok := deliverySeq(o.DeliveryID)
		if !ok {
			seq = -1 // matches no delivery
		}
		switch {
		case o.Deferred:
			// Not attempted: nothing to log.
		case a.AppID == "" || a.MessageID == "" || a.EndpointID == "":
			partial = append(partial, a)
		default:
			atts = append(atts, a.ID, a.AppID, a.MessageID, a.EndpointID, a.DeliveryID, a.URL, int64(a.Status),
				int64(a.StatusCode), a.Response, a.DurationMS, int64(a.Trigger), micros(a.CreatedAt), sentHeaders(a.Headers))
		}
		var next any
		if at := o.NextAt(); at != nil {
			next = micros(*at)
			if retry == nil {
				retry = map[string]bool{}
			}
			retry[o.DeliveryID] = true
		}
		upds = append(upds, seq, o.DeliveryID, int64(o.Status), int64(o.Attempts), next, o.Deferred)
		if o.Disables() {
			if disable == nil {
				disable, reasons = map[string]*hookline.Attempt{}, map[string]hookline.DisabledReason{}
			}
			disable[o.DeliveryID], reasons[o.DeliveryID] = &a, o.Disable
		}
	}
	return s.submit(&op{ctx: ctx, early: true, lazy: true, done: make(chan error, 1), fn: func(w *writer) error {
		rows := atts
		for _, a := range partial {
			seq, _ := deliverySeq(a.DeliveryID)
			err := w.queryRow(`SELECT app_id, message_id, endpoint_id FROM deliveries WHERE seq = ? AND id = ?`,
				seq, a.DeliveryID).Scan(&a.AppID, &a.MessageID, &a.EndpointID)
			if err == sql.ErrNoRows {
				continue // the delivery is gone and the attempt says too little to be logged
			}
			if err != nil {
				return err
			}
			if d := disable[a.DeliveryID]; d != nil {
				d.AppID, d.EndpointID = a.AppID, a.EndpointID
			}
			rows = append(rows[:len(rows):len(rows)], a.ID, a.AppID, a.MessageID, a.EndpointID, a.DeliveryID, a.URL,
				int64(a.Status), int64(a.StatusCode), a.Response, a.DurationMS, int64(a.Trigger), micros(a.CreatedAt),
				sentHeaders(a.Headers))
		}
		// OR IGNORE: an attempt already logged (a Complete retried after its
		// commit was not acknowledged) is not logged twice.
		if err := w.insertRows(`INSERT OR IGNORE INTO attempts (`+attemptInsertCols+`) VALUES `, 13, rows); err != nil {
			return err
		}
		changed, err := w.completeDeliveries(tUS, owner, upds)
		if err != nil {
			return err
		}
		for _, id := range changed {
			if a := disable[id]; a != nil && a.EndpointID != "" {
				// An endpoint disabled already keeps its first reason.
				if _, err := w.exec(`UPDATE endpoints SET disabled = 1, disabled_reason = ?, disabled_at = ?, updated_at = ?
					WHERE id = ? AND app_id = ? AND disabled = 0`,
					string(reasons[id]), tUS, tUS, a.EndpointID, a.AppID); err != nil {
					return err
				}
				w.endpointsChanged(a.AppID)
			}
			if retry[id] {
				// A retry may be due before what NextDue said.
				w.due = true
			}
		}
		return nil
	}})
}

// sentHeaders binds an attempt's headers as text, or NULL when it kept none.
func sentHeaders(h hookline.SentHeaders) any {
	if len(h) == 0 {
		return nil
	}
	return string(h)
}
