package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
)

const deliveryCols = `id, app_id, message_id, endpoint_id, status, trigger_type, attempts, next_attempt_at,
	created_at, updated_at`

// deliveryRow holds the scan targets of deliveryCols.
type deliveryRow struct {
	d        hookline.Delivery
	status   int16
	trigger  int16
	attempts int32
	next     *time.Time
	c, u     time.Time
}

func (r *deliveryRow) dest() []any {
	return []any{&r.d.ID, &r.d.AppID, &r.d.MessageID, &r.d.EndpointID, &r.status, &r.trigger, &r.attempts,
		&r.next, &r.c, &r.u}
}

func (r *deliveryRow) delivery() hookline.Delivery {
	d := r.d
	d.Status = hookline.Status(r.status)
	d.Trigger = hookline.Trigger(r.trigger)
	d.Attempts = int(r.attempts)
	d.NextAttemptAt = utc(r.next)
	d.CreatedAt, d.UpdatedAt = r.c.UTC(), r.u.UTC()
	return d
}

// ListDeliveriesByMessage lists the deliveries of the application's message
// with their endpoints, by endpoint id.
func (s *Store) ListDeliveriesByMessage(ctx context.Context, appID, msgID string, opts hookline.ListOptions) (hookline.Page[*hookline.DeliveryView], error) {
	if err := s.messageExists(ctx, appID, msgID); err != nil {
		return hookline.Page[*hookline.DeliveryView]{}, err
	}
	query, args, n := newQuery().ListDeliveriesByMessage(`SELECT `+sqlbuild.Prefixed("d", deliveryCols)+`, `+sqlbuild.Prefixed("e", endpointCols)+
		` FROM endpoints e JOIN deliveries d ON d.endpoint_id = e.id`, appID, msgID, opts)
	return list(ctx, s, query, args, n, func(r pgx.Rows) (*hookline.DeliveryView, error) {
		var dr deliveryRow
		var er endpointRow
		if err := r.Scan(append(dr.dest(), er.dest()...)...); err != nil {
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
	query, args, n := newQuery().ListMessagesByEndpoint(`SELECT `+sqlbuild.Prefixed("m", messageCols)+`, `+sqlbuild.Prefixed("d", deliveryCols)+
		` FROM deliveries d JOIN messages m ON m.id = d.message_id`, appID, endpointID, f)
	return list(ctx, s, query, args, n, func(r pgx.Rows) (*hookline.EndpointMessage, error) {
		var mr messageRow
		var dr deliveryRow
		if err := r.Scan(append(mr.dest(), dr.dest()...)...); err != nil {
			return nil, err
		}
		return &hookline.EndpointMessage{Message: *mr.message(), Delivery: dr.delivery()}, nil
	})
}

// EndpointStats counts the deliveries to the application's endpoint by
// status, for messages created in [since, until) where those are set.
func (s *Store) EndpointStats(ctx context.Context, appID, endpointID string, since, until *time.Time) (*hookline.EndpointStats, error) {
	if err := s.endpointExists(ctx, appID, endpointID); err != nil {
		return nil, err
	}
	query, args := newQuery().EndpointStats(endpointID, since, until)
	var st hookline.EndpointStats
	err := s.do(ctx, func(ctx context.Context) error {
		st = hookline.EndpointStats{}
		rows, err := s.pool.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var status int16
			var n int64
			if err := rows.Scan(&status, &n); err != nil {
				return err
			}
			st.Add(hookline.Status(status), n)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return &st, nil
}

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

// claimQuery leases the due deliveries, oldest due first, in one statement:
// cand locks up to $2 deliveries due at $1, skipping rows another claimer
// holds locked (FOR UPDATE SKIP LOCKED); a delivery whose endpoint is gone is
// dropped, one whose endpoint is disabled parked; the others are leased to
// $4 until $3 and returned with their message and endpoint.
//
// A row another transaction leased and committed after this statement's
// snapshot is rechecked once locked, and skipped: its due_at has moved to
// the end of that lease. So a delivery is never leased twice while its
// lease lives.
//
// Each statement on deliveries names its rows by id = ANY(ARRAY(...)) rather
// than by a join with cand: the planner cannot tell how few rows cand holds,
// and with the statistics of a table that grows fast (a new installation, a
// burst) it joined by scanning the whole table, three times a claim.
var claimQuery = `WITH cand AS (
		SELECT id, due_at, endpoint_id FROM deliveries WHERE due_at <= $1 ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED
	), gone AS (
		DELETE FROM deliveries d
		WHERE d.id = ANY(ARRAY(SELECT c.id FROM cand c
			WHERE NOT EXISTS (SELECT 1 FROM endpoints e WHERE e.id = c.endpoint_id)))
	), parked AS (
		UPDATE deliveries d SET due_at = NULL
		WHERE d.id = ANY(ARRAY(SELECT c.id FROM cand c JOIN endpoints e ON e.id = c.endpoint_id WHERE e.disabled))
	), leased AS (
		UPDATE deliveries d SET status = 3, next_attempt_at = NULL, due_at = $3, lease_owner = $4, lease_until = $3,
			updated_at = $1
		FROM cand, endpoints e
		WHERE d.id = ANY(ARRAY(SELECT id FROM cand)) AND d.id = cand.id AND e.id = d.endpoint_id AND NOT e.disabled
		RETURNING cand.due_at AS claim_order, d.id, d.app_id, d.message_id, d.endpoint_id, d.status, d.trigger_type,
			d.attempts, d.next_attempt_at, d.created_at, d.updated_at, e.uid, e.url, e.description, e.disabled,
			e.event_types, e.channels, e.throttle_rate, e.metadata, e.headers, e.secret,
			e.created_at AS e_created_at, e.updated_at AS e_updated_at, ` + sqlbuild.Prefixed("e", endpointAuthCols) + `
	)
	SELECT ` + sqlbuild.Prefixed("l", deliveryCols) + `, ` + sqlbuild.Prefixed("m", messageCols) + `,
		l.endpoint_id, l.app_id, l.uid, l.url, l.description, l.disabled, l.event_types, l.channels,
		l.throttle_rate, l.metadata, l.headers, l.secret, l.e_created_at, l.e_updated_at, ` + sqlbuild.Prefixed("l", endpointAuthCols) + `,
		(SELECT a.throttle_rate FROM applications a WHERE a.id = l.app_id)
	FROM leased l JOIN messages m ON m.id = l.message_id
	ORDER BY l.claim_order`

// ClaimDue leases up to limit due deliveries of enabled endpoints to owner
// until now+lease, oldest due first, and returns them with their message and
// endpoint. Claimers on any node may run it at once.
//
// The claim is one auto-committed statement, so a claim that failed after
// it was sent (its connection died, or the bound ran out, before every row
// arrived) may have leased deliveries that never reached the caller. Before
// trying again, and before returning such a failure, ClaimDue gives those
// back (releaseClaim): they are due again at once, for every node, instead of
// waiting for their lease to end. Should the database stay out of reach
// meanwhile, they wait for it.
func (s *Store) ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]*hookline.Task, error) {
	if limit <= 0 {
		return nil, nil
	}
	lease = max(lease, time.Microsecond) // a lease ends after now
	now = hookline.StoredTime(now)
	until := hookline.StoredTime(now.Add(lease))
	var (
		tasks   []*hookline.Task
		unknown bool // a failed claim may have leased rows
	)
	err := s.do(ctx, func(ctx context.Context) error {
		if unknown {
			if err := s.releaseClaim(ctx, owner, now, until); err != nil {
				return err
			}
			unknown = false
		}
		tasks = tasks[:0]
		err := s.claim(ctx, owner, now, until, limit, &tasks)
		if err != nil && !claimRolledBack(err) {
			unknown = true
		}
		return err
	})
	if err != nil {
		if unknown {
			// The bound (or the caller) ended the call: give the rows back
			// on a bound of its own, short, as the database may be away.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
			if rerr := s.releaseClaim(rctx, owner, now, until); rerr != nil {
				s.log.Warn("postgres: a failed claim may hold deliveries until its lease ends", "owner", owner,
					"lease_until", until, "err", rerr)
			}
			cancel()
		}
		return nil, err
	}
	return tasks, nil
}

// releaseTimeout bounds the release of a failed claim's rows once the
// claim's own bound has run out.
const releaseTimeout = 2 * time.Second

// claim runs claimQuery once and appends the leased deliveries to tasks.
func (s *Store) claim(ctx context.Context, owner string, now, until time.Time, limit int, tasks *[]*hookline.Task) error {
	rows, err := s.pool.Query(ctx, claimQuery, now, limit, until, owner)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var dr deliveryRow
		var mr messageRow
		var er endpointRow
		var appThrottle *int32
		if err := rows.Scan(append(append(append(dr.dest(), mr.dest()...), er.allDest()...), &appThrottle)...); err != nil {
			return err
		}
		ep, err := s.endpointOf(&er)
		if err != nil {
			return err
		}
		*tasks = append(*tasks, &hookline.Task{
			Delivery:        dr.delivery(),
			Message:         *mr.message(),
			Endpoint:        *ep,
			LeaseUntil:      until,
			AppThrottleRate: intPtr(appThrottle),
		})
	}
	return rows.Err()
}

// claimRolledBack reports whether a failed claim certainly leased nothing:
// its statement was never sent, or the server refused it with an error that
// ends the statement (not the session), which rolls it back.
func claimRolledBack(err error) bool {
	if pgconn.SafeToRetry(err) {
		return true
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Severity == "ERROR"
}

// releaseClaimQuery gives back what one claim leased: the rows still
// leased by owner ($2) until $3 and stamped at $4 by claimQuery. Only that
// claim wrote this owner, lease end and time together (a dispatcher claims
// from one loop, with a fresh now each time); and it returned none of them.
const releaseClaimQuery = `UPDATE deliveries SET status = 1, next_attempt_at = $1, due_at = $1,
		lease_owner = NULL, lease_until = NULL, updated_at = $1
	WHERE due_at = $3 AND status = 3 AND lease_owner = $2 AND lease_until = $3 AND updated_at = $4`

// releaseClaim makes the deliveries a failed claim of owner at now, until
// until, may have leased due again at once, and notifies every node if there
// were any.
func (s *Store) releaseClaim(ctx context.Context, owner string, now, until time.Time) error {
	var n int64
	err := inTx(ctx, s.pool, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, releaseClaimQuery, hookline.StoredTime(time.Now()), owner, until, now)
		if err != nil {
			return err
		}
		if n = tag.RowsAffected(); n > 0 {
			return s.notify(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Info("postgres: gave back the deliveries of a failed claim", "owner", owner, "deliveries", n)
		s.signalDue()
	}
	return nil
}

// completeQuery moves the deliveries of the outcomes ($2: ids, $3: states,
// $4: attempt counts, $5: next attempts) still leased by $6 to their new
// state at $1, and returns those it moved with their application and
// endpoint.
// completeQuery logs the attempts of the outcomes and moves their
// deliveries still leased to $6 to their new state, returning those. An
// attempt that does not say its application, message or endpoint takes them
// from its delivery, and is not logged when that is gone. An attempt already
// logged (a Complete run again after its answer was lost) is not logged
// twice. Both parts see the deliveries as they were before the statement.
const completeQuery = `WITH logged AS (
		INSERT INTO attempts (` + attemptCols + `)
		SELECT a.id, coalesce(nullif(a.app_id, ''), d.app_id), coalesce(nullif(a.message_id, ''), d.message_id),
			coalesce(nullif(a.endpoint_id, ''), d.endpoint_id), a.delivery_id, a.url, a.status, a.status_code,
			a.response, a.duration_ms, a.trigger_type, a.created_at
		FROM unnest($8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::smallint[],
			$15::integer[], $16::text[], $17::bigint[], $18::smallint[], $19::timestamptz[])
			AS a(id, app_id, message_id, endpoint_id, delivery_id, url, status, status_code, response, duration_ms,
				trigger_type, created_at)
		LEFT JOIN deliveries d ON d.id = a.delivery_id
			AND (a.app_id = '' OR a.message_id = '' OR a.endpoint_id = '')
		WHERE coalesce(nullif(a.app_id, ''), d.app_id) IS NOT NULL
			AND coalesce(nullif(a.message_id, ''), d.message_id) IS NOT NULL
			AND coalesce(nullif(a.endpoint_id, ''), d.endpoint_id) IS NOT NULL
		ON CONFLICT (message_id, id) DO NOTHING
	)
	UPDATE deliveries d SET status = o.status, attempts = o.attempts, next_attempt_at = o.next_at,
		due_at = o.next_at, trigger_type = CASE WHEN o.deferred THEN d.trigger_type ELSE 0 END,
		lease_owner = NULL, lease_until = NULL, updated_at = $1
	FROM unnest($2::text[], $3::smallint[], $4::integer[], $5::timestamptz[], $7::boolean[])
		AS o(id, status, attempts, next_at, deferred)
	WHERE d.id = o.id AND d.status = 3 AND d.lease_owner = $6
	RETURNING d.id, d.app_id, d.endpoint_id`

// Complete records the attempt of every outcome and, where owner still
// holds the delivery's lease, moves the delivery to its new state: all of
// them in one statement, whatever their number. Endpoints that answered
// 410 Gone are disabled after it, in a transaction of their own.
func (s *Store) Complete(ctx context.Context, owner string, outcomes []hookline.Outcome) error {
	if len(outcomes) == 0 {
		return nil
	}
	t := hookline.Now()
	retrying := hookline.PrepareOutcomes(outcomes, t)
	n := len(outcomes)
	var (
		aID, aApp, aMsg, aEP, aDel, aURL, aResp = make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		aStatus, aTrigger = make([]int16, n), make([]int16, n)
		aCode             = make([]int32, n)
		aDur              = make([]int64, n)
		aAt               = make([]time.Time, n)

		dID       = make([]string, n)
		dStatus   = make([]int16, n)
		dAtt      = make([]int32, n)
		dNext     = make([]*time.Time, n)
		dDeferred = make([]bool, n)
		disable   = map[string]bool{}
	)
	logged := 0 // attempts to log, at the front of the a* slices
	for i := range outcomes {
		o := &outcomes[i]
		dID[i], dStatus[i], dAtt[i], dDeferred[i] = o.DeliveryID, int16(o.Status), int32(o.Attempts), o.Deferred
		dNext[i] = o.NextAt()
		if o.Deferred {
			continue // not attempted: nothing to log
		}
		if o.DisableEndpoint {
			disable[o.DeliveryID] = true
		}
		a := &o.Attempt
		j := logged
		logged++
		aID[j], aApp[j], aMsg[j], aEP[j], aDel[j], aURL[j], aResp[j] = a.ID, a.AppID, a.MessageID, a.EndpointID,
			a.DeliveryID, a.URL, a.Response
		aStatus[j], aTrigger[j], aCode[j], aDur[j], aAt[j] = int16(a.Status), int16(a.Trigger), int32(a.StatusCode),
			a.DurationMS, a.CreatedAt
	}
	// One statement, atomic on its own: the attempts, and the deliveries
	// still leased to owner. Run again after a failure that left its outcome
	// unknown, it logs no attempt twice and finds the deliveries it settled
	// no longer leased.
	var gone [][2]string // endpoints to disable: app, endpoint
	err := s.do(ctx, func(ctx context.Context) error {
		gone = gone[:0]
		k := logged
		rows, err := s.pool.Query(ctx, completeQuery, t, dID, dStatus, dAtt, dNext, owner, dDeferred,
			aID[:k], aApp[:k], aMsg[:k], aEP[:k], aDel[:k], aURL[:k], aStatus[:k], aCode[:k], aResp[:k], aDur[:k],
			aTrigger[:k], aAt[:k])
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, app, ep string
			if err := rows.Scan(&id, &app, &ep); err != nil {
				return err
			}
			if disable[id] {
				gone = append(gone, [2]string{app, ep})
			}
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	if len(gone) > 0 {
		// Rare (a 410 Gone): the endpoints are disabled in a transaction of
		// their own. Should it fail, the next delivery's 410 disables them.
		if err := s.disableGone(ctx, t, gone); err != nil {
			return err
		}
	}
	if retrying {
		// A retry may be due before what NextDue said. This node's
		// dispatcher, which made it, hears of it; the others find it when
		// they next look at the queue.
		s.signalDue()
	}
	return nil
}

// Release gives back every lease owner holds: those deliveries become
// pending and due at once, and every node's dispatcher is notified.
func (s *Store) Release(ctx context.Context, owner string) error {
	t := hookline.Now()
	var n int64
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE deliveries SET status = 1, next_attempt_at = $1, due_at = $1,
				lease_owner = NULL, lease_until = NULL, updated_at = $1
			WHERE due_at IS NOT NULL AND status = 3 AND lease_owner = $2`, t, owner)
		if err != nil {
			return err
		}
		if n = tag.RowsAffected(); n > 0 {
			return s.notify(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n > 0 {
		s.signalDue()
	}
	return nil
}

// NextDue returns the earliest time a delivery of an enabled endpoint
// becomes claimable.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var at *time.Time
	err := s.do(ctx, func(ctx context.Context) error {
		at = nil
		err := s.pool.QueryRow(ctx, `SELECT d.due_at FROM deliveries d WHERE d.due_at IS NOT NULL
			AND EXISTS (SELECT 1 FROM endpoints e WHERE e.id = d.endpoint_id AND NOT e.disabled)
			ORDER BY d.due_at LIMIT 1`).Scan(&at)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return time.Time{}, false, err
	}
	if at == nil {
		return time.Time{}, false, nil
	}
	return at.UTC(), true, nil
}

// disableGone disables the endpoints (app and endpoint ids) that answered
// 410 Gone, parks their deliveries, and has every node forget its cached
// endpoints.
func (s *Store) disableGone(ctx context.Context, t time.Time, gone [][2]string) error {
	disabled := false
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		disabled = false
		for _, g := range gone {
			tag, err := tx.Exec(ctx, `UPDATE endpoints SET disabled = true, updated_at = $1
				WHERE app_id = $2 AND id = $3 AND NOT disabled`, t, g[0], g[1])
			if err != nil {
				return err
			}
			if tag.RowsAffected() > 0 {
				if _, err := tx.Exec(ctx, parkQuery, g[1]); err != nil {
					return err
				}
				disabled = true
			}
		}
		if disabled {
			return s.forgetOnCommit(ctx, tx)
		}
		return nil
	})
	if disabled {
		s.forget()
	}
	return err
}
