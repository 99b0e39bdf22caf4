package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
)

const deliveryCols = `d.id, d.app_id, d.message_id, d.endpoint_id, d.status, d.trigger_type, d.attempts,
	d.next_attempt_at, d.created_at, d.updated_at`

// deliveryRow holds the scan targets of deliveryCols.
type deliveryRow struct {
	d    hookline.Delivery
	next sql.NullInt64
	c, u int64
}

func (r *deliveryRow) dest() []any {
	return []any{&r.d.ID, &r.d.AppID, &r.d.MessageID, &r.d.EndpointID, &r.d.Status, &r.d.Trigger,
		&r.d.Attempts, &r.next, &r.c, &r.u}
}

func (r *deliveryRow) delivery() hookline.Delivery {
	d := r.d
	d.NextAttemptAt = timePtrOf(r.next)
	d.CreatedAt, d.UpdatedAt = fromMicros(r.c), fromMicros(r.u)
	return d
}

// ListDeliveriesByMessage lists the deliveries of the application's message
// with their endpoints, by endpoint id.
func (s *Store) ListDeliveriesByMessage(ctx context.Context, appID, msgID string, opts hookline.ListOptions) (hookline.Page[*hookline.DeliveryView], error) {
	if _, err := s.messageExists(ctx, appID, msgID); err != nil {
		return hookline.Page[*hookline.DeliveryView]{}, err
	}
	query, args, n := newQuery().ListDeliveriesByMessage(`SELECT `+deliveryCols+`, `+sqlbuild.Prefixed("e", endpointCols)+
		` FROM endpoints e JOIN deliveries d ON d.endpoint_id = e.id`, appID, msgID, opts)
	return list(ctx, s.rdb, query, args, n, func(sc scanner) (*hookline.DeliveryView, error) {
		var dr deliveryRow
		var er endpointRow
		if err := sc.Scan(append(dr.dest(), er.dest()...)...); err != nil {
			return nil, err
		}
		ep, err := s.endpointOf(&er)
		if err != nil {
			return nil, err
		}
		return &hookline.DeliveryView{Delivery: dr.delivery(), Endpoint: *ep}, nil
	})
}

// ListMessagesByEndpoint lists the messages sent to the application's
// endpoint with the state of their delivery, by message id.
func (s *Store) ListMessagesByEndpoint(ctx context.Context, appID, endpointID string, f hookline.EndpointMessageFilter) (hookline.Page[*hookline.EndpointMessage], error) {
	if err := s.endpointExists(ctx, appID, endpointID); err != nil {
		return hookline.Page[*hookline.EndpointMessage]{}, err
	}
	query, args, n := newQuery().ListMessagesByEndpoint(`SELECT `+sqlbuild.Prefixed("m", messageCols)+`, `+deliveryCols+
		` FROM deliveries d JOIN messages m ON m.seq = d.msg_seq`, appID, endpointID, f)
	return list(ctx, s.rdb, query, args, n, func(sc scanner) (*hookline.EndpointMessage, error) {
		var mr messageRow
		var dr deliveryRow
		if err := sc.Scan(append(mr.dest(), dr.dest()...)...); err != nil {
			return nil, err
		}
		m, err := mr.message()
		if err != nil {
			return nil, err
		}
		return &hookline.EndpointMessage{Message: *m, Delivery: dr.delivery()}, nil
	})
}

// EndpointStats counts the deliveries to the application's endpoint by
// status, for messages created in [since, until) where those are set.
func (s *Store) EndpointStats(ctx context.Context, appID, endpointID string, since, until *time.Time) (*hookline.EndpointStats, error) {
	if err := s.endpointExists(ctx, appID, endpointID); err != nil {
		return nil, err
	}
	query, args := newQuery().EndpointStats(endpointID, since, until)
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	var st hookline.EndpointStats
	for rows.Next() {
		var status hookline.Status
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			return nil, dbErr(err)
		}
		st.Add(status, n)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(err)
	}
	return &st, nil
}

// Resend makes the delivery of the message to the endpoint pending, due at
// once, with a manual trigger and no attempts in its schedule; it creates the
// delivery when there was none.
func (s *Store) Resend(ctx context.Context, appID, msgID, endpointID string) error {
	t := micros(hookline.Now())
	return s.write(ctx, func(w *writer) error {
		eps, err := w.endpoints(appID)
		if err != nil {
			return clean(notFoundAs(err, hookline.ErrMessageNotFound))
		}
		var seq, created int64
		err = w.queryRow(`SELECT seq, created_at FROM messages WHERE app_id = ? AND id = ?`, appID, msgID).Scan(&seq, &created)
		if err != nil {
			return clean(notFoundAs(err, hookline.ErrMessageNotFound))
		}
		ep := eps.byID[endpointID]
		if ep == nil {
			return clean(hookline.ErrEndpointNotFound)
		}
		var due any = t
		if ep.Disabled {
			due = nil
		}
		w.delSeq++
		_, err = w.exec(`INSERT INTO deliveries (`+delInsertCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (endpoint_id, message_id) DO UPDATE SET status = excluded.status,
				trigger_type = excluded.trigger_type, attempts = 0, next_attempt_at = excluded.next_attempt_at,
				due_at = excluded.due_at, lease_owner = NULL, lease_until = NULL, updated_at = excluded.updated_at`,
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

// Recover resends every failed delivery to the endpoint whose message was
// created in [since, until), and returns how many.
func (s *Store) Recover(ctx context.Context, appID, endpointID string, since, until time.Time) (int, error) {
	t := micros(hookline.Now())
	var n int64
	err := s.write(ctx, func(w *writer) error {
		eps, err := w.endpoints(appID)
		if err != nil {
			return clean(notFoundAs(err, hookline.ErrEndpointNotFound))
		}
		ep := eps.byID[endpointID]
		if ep == nil {
			return clean(hookline.ErrEndpointNotFound)
		}
		var due any = t
		if ep.Disabled {
			due = nil
		}
		n, err = w.affected(`UPDATE deliveries SET status = 1, trigger_type = 1, attempts = 0, next_attempt_at = ?,
			due_at = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
			WHERE endpoint_id = ? AND status = 2 AND msg_created_at >= ? AND msg_created_at < ?`,
			t, due, t, endpointID, micros(since), micros(until))
		if err != nil {
			return clean(err)
		}
		if n > 0 {
			w.due = true
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// claimQuery reads the due deliveries, oldest due first, with their
// messages.
var claimQuery = `SELECT d.seq, ` + deliveryCols + `, ` + sqlbuild.Prefixed("m", messageCols) + `
	FROM deliveries d JOIN messages m ON m.seq = d.msg_seq
	WHERE d.due_at <= ? ORDER BY d.due_at LIMIT ?`

// leaseQuery leases the deliveries whose seqs are in the JSON array ?4 and
// that are still due at ?5, and returns their seqs.
const leaseQuery = `UPDATE deliveries SET status = 3, next_attempt_at = NULL, due_at = ?1, lease_owner = ?2,
	lease_until = ?1, updated_at = ?3 WHERE seq IN (SELECT value FROM json_each(?4)) AND due_at <= ?5
	RETURNING seq`

// parkQuery takes the deliveries whose seqs are in the JSON array ?1 out of
// the queue: their endpoint is disabled (UpdateEndpoint puts them back).
const parkQuery = `UPDATE deliveries SET due_at = NULL WHERE seq IN (SELECT value FROM json_each(?1))`

// candidate is a due delivery read for a claim.
type candidate struct {
	seq  int64
	task *hookline.Task
}

// ClaimDue leases up to limit due deliveries of enabled endpoints to owner
// until now+lease, oldest due first, and returns them with their message and
// endpoint.
//
// The due deliveries and their messages are read on a reading connection,
// in the caller's goroutine; the writer only leases them, with an UPDATE
// that skips any no longer due (taken by another claimer meanwhile), and
// fills in the endpoints from its cache. A due delivery of a disabled
// endpoint is parked: out of the queue until the endpoint is enabled again.
func (s *Store) ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]*hookline.Task, error) {
	if limit <= 0 {
		return nil, nil
	}
	lease = max(lease, time.Microsecond) // a lease ends after now
	nowUS := micros(now)
	untilUS := micros(now.Add(lease))
	untilT := fromMicros(untilUS)
	var tasks []*hookline.Task
	for round := 0; round < 5 && len(tasks) < limit; round++ {
		want := limit - len(tasks)
		cands, err := s.dueCandidates(ctx, nowUS, want)
		if err != nil {
			return tasks, err
		}
		if len(cands) == 0 {
			break
		}
		var leased []*hookline.Task
		missed := 0 // parked or taken meanwhile
		o := &op{ctx: ctx, early: true, done: make(chan error, 1)}
		o.fn = func(w *writer) error {
			leased, missed = leased[:0], 0
			var parked, seqs []byte
			eps := make(map[int64]*hookline.Endpoint, len(cands))
			for _, c := range cands {
				d := &c.task.Delivery
				var ep *hookline.Endpoint
				if app, err := w.endpoints(d.AppID); err == nil {
					ep = app.byID[d.EndpointID]
					c.task.AppThrottleRate = app.throttle
				} else if hookline.ErrorCode(err) != hookline.ENOTFOUND {
					return err
				}
				if ep == nil || ep.Disabled {
					parked = appendSeq(parked, c.seq)
					continue
				}
				eps[c.seq] = ep
				seqs = appendSeq(seqs, c.seq)
			}
			if parked != nil {
				if _, err := w.exec(parkQuery, string(append(parked, ']'))); err != nil {
					return err
				}
			}
			if seqs == nil {
				missed = len(cands)
				return nil
			}
			rows, err := w.query(leaseQuery, untilUS, owner, nowUS, string(append(seqs, ']')), nowUS)
			if err != nil {
				return err
			}
			got := make(map[int64]bool, len(eps))
			for rows.Next() {
				var seq int64
				if err := rows.Scan(&seq); err != nil {
					rows.Close()
					return err
				}
				got[seq] = true
			}
			if err := rows.Close(); err != nil {
				return err
			}
			for _, c := range cands {
				if !got[c.seq] {
					missed++
					continue
				}
				t := c.task
				t.Endpoint = *eps[c.seq]
				t.LeaseUntil = untilT
				t.Delivery.Status = hookline.StatusSending
				t.Delivery.NextAttemptAt = nil
				t.Delivery.UpdatedAt = fromMicros(nowUS)
				leased = append(leased, t)
			}
			return nil
		}
		if err := s.submit(o); err != nil {
			return tasks, err
		}
		tasks = append(tasks, leased...)
		if len(cands) < want && missed == 0 {
			break // every due delivery is ours
		}
	}
	return tasks, nil
}

// dueCandidates reads up to n due deliveries, oldest due first.
func (s *Store) dueCandidates(ctx context.Context, nowUS int64, n int) ([]candidate, error) {
	rows, err := s.claimStmt.QueryContext(ctx, nowUS, n)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	cands := make([]candidate, 0, n)
	for rows.Next() {
		var c candidate
		var dr deliveryRow
		var mr messageRow
		if err := rows.Scan(append(append([]any{&c.seq}, dr.dest()...), mr.dest()...)...); err != nil {
			return nil, dbErr(err)
		}
		m, err := mr.message()
		if err != nil {
			return nil, dbErr(err)
		}
		c.task = &hookline.Task{Delivery: dr.delivery(), Message: *m}
		cands = append(cands, c)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr(err)
	}
	return cands, nil
}

// appendSeq adds seq to the JSON array being built in b.
func appendSeq(b []byte, seq int64) []byte {
	if len(b) == 0 {
		b = append(b, '[')
	} else {
		b = append(b, ',')
	}
	return strconv.AppendInt(b, seq, 10)
}

// completeQuery moves the deliveries of a VALUES list of (seq, id, status,
// attempts, next attempt, deferred) still leased by the owner (the last
// argument) to their new state; the first argument is the time. A deferred
// delivery keeps its trigger; an attempted one's next attempt is scheduled.
const completeQuery = `UPDATE deliveries SET status = v.column3, attempts = v.column4, next_attempt_at = v.column5,
	due_at = v.column5, trigger_type = CASE WHEN v.column6 THEN deliveries.trigger_type ELSE 0 END,
	lease_owner = NULL, lease_until = NULL, updated_at = ?
	FROM (VALUES %s) AS v
	WHERE deliveries.seq = v.column1 AND deliveries.id = v.column2 AND deliveries.status = 3
		AND deliveries.lease_owner = ?
	RETURNING deliveries.id`

// completeOneQuery is completeQuery for one delivery: (status, attempts,
// next attempt, next attempt, deferred, time, seq, id, owner).
const completeOneQuery = `UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?,
	due_at = ?, trigger_type = CASE WHEN ? THEN trigger_type ELSE 0 END,
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
			n, err := w.affected(completeOneQuery, u[2], u[3], u[4], u[4], u[5], tUS, u[0], u[1], owner)
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
	atts := make([]any, 0, len(outcomes)*12)
	upds := make([]any, 0, len(outcomes)*6)
	var (
		partial []hookline.Attempt           // attempts that lack ids the delivery knows
		disable map[string]*hookline.Attempt // by delivery id
		retry   map[string]bool              // deliveries to retry, by id
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
				int64(a.StatusCode), a.Response, a.DurationMS, int64(a.Trigger), micros(a.CreatedAt))
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
				disable = map[string]*hookline.Attempt{}
			}
			disable[o.DeliveryID] = &a
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
				int64(a.Status), int64(a.StatusCode), a.Response, a.DurationMS, int64(a.Trigger), micros(a.CreatedAt))
		}
		// OR IGNORE: an attempt already logged (a Complete retried after its
		// commit was not acknowledged) is not logged twice.
		if err := w.insertRows(`INSERT OR IGNORE INTO attempts (`+attemptCols+`) VALUES `, 12, rows); err != nil {
			return err
		}
		changed, err := w.completeDeliveries(tUS, owner, upds)
		if err != nil {
			return err
		}
		for _, id := range changed {
			if a := disable[id]; a != nil && a.EndpointID != "" {
				if _, err := w.exec(`UPDATE endpoints SET disabled = 1, updated_at = ? WHERE id = ? AND app_id = ?`,
					tUS, a.EndpointID, a.AppID); err != nil {
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

// Release gives back every lease owner holds: those deliveries become
// pending and due at once.
func (s *Store) Release(ctx context.Context, owner string) error {
	t := micros(hookline.Now())
	return s.write(ctx, func(w *writer) error {
		n, err := w.affected(`UPDATE deliveries SET status = 1, next_attempt_at = ?, due_at = ?, lease_owner = NULL,
			lease_until = NULL, updated_at = ? WHERE due_at IS NOT NULL AND status = 3 AND lease_owner = ?`, t, t, t, owner)
		if err != nil {
			return err
		}
		if n > 0 {
			w.due = true
		}
		return nil
	})
}

// NextDue returns the earliest time a delivery of an enabled endpoint
// becomes claimable.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var at int64
	err := s.queryRow(ctx, `SELECT d.due_at FROM deliveries d WHERE d.due_at IS NOT NULL
		AND EXISTS (SELECT 1 FROM endpoints e WHERE e.id = d.endpoint_id AND e.disabled = 0)
		ORDER BY d.due_at LIMIT 1`).Scan(&at)
	if err == sql.ErrNoRows {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, dbErr(err)
	}
	return fromMicros(at), true, nil
}
