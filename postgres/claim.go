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

// claimQuery leases the due deliveries, oldest due first, in one statement:
// cand locks up to $2 deliveries due at $1, skipping rows another claimer
// holds locked (FOR UPDATE SKIP LOCKED); a delivery whose endpoint is gone
// fails, one whose endpoint is disabled is parked; the others are leased to
// $4 until $3 (no longer held, if they were) and returned with their message
// and endpoint.
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
		UPDATE deliveries d SET status = 2, due_at = NULL, next_attempt_at = NULL, held = false
		WHERE d.id = ANY(ARRAY(SELECT c.id FROM cand c
			WHERE NOT EXISTS (SELECT 1 FROM endpoints e WHERE e.id = c.endpoint_id)))
	), parked AS (
		UPDATE deliveries d SET due_at = NULL
		WHERE d.id = ANY(ARRAY(SELECT c.id FROM cand c JOIN endpoints e ON e.id = c.endpoint_id WHERE e.disabled))
	), leased AS (
		UPDATE deliveries d SET status = 3, next_attempt_at = NULL, due_at = $3, lease_owner = $4, lease_until = $3,
			held = false, updated_at = $1
		FROM cand, endpoints e
		WHERE d.id = ANY(ARRAY(SELECT id FROM cand)) AND d.id = cand.id AND e.id = d.endpoint_id AND NOT e.disabled
		RETURNING cand.due_at AS claim_order, d.id, d.app_id, d.message_id, d.endpoint_id, d.status, d.trigger_type,
			d.attempts, d.next_attempt_at, d.created_at, d.updated_at, e.uid, e.url, e.description, e.disabled,
			e.event_types, e.channels, e.throttle_rate, e.metadata, e.headers, e.secret,
			e.created_at AS e_created_at, e.updated_at AS e_updated_at, e.headers_sealed, e.disabled_reason,
			e.disabled_at, ` + sqlbuild.Prefixed("e", endpointAuthCols) + `
	)
	SELECT ` + sqlbuild.Prefixed("l", deliveryCols) + `, ` + sqlbuild.Prefixed("m", messageCols) + `,
		l.endpoint_id, l.app_id, l.uid, l.url, l.description, l.disabled, l.event_types, l.channels,
		l.throttle_rate, l.metadata, l.headers, l.secret, l.e_created_at, l.e_updated_at, l.headers_sealed,
		l.disabled_reason, l.disabled_at, ` +
	sqlbuild.Prefixed("l", endpointAuthCols) + `,
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
		if hookline.UnreadableSecret(err) != nil {
			// Not this claim's failure: the others go; this one waits
			// for its lease to end.
			s.log.Error("postgres: a due delivery's endpoint cannot be read; it waits for its lease to end",
				"app_id", dr.d.AppID, "endpoint_id", dr.d.EndpointID, "msg_id", dr.d.MessageID, "err", err)
			continue
		} else if err != nil {
			return err
		}
		m, err := mr.message()
		if err != nil {
			return err
		}
		*tasks = append(*tasks, &hookline.Task{
			Delivery:        dr.delivery(),
			Message:         *m,
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
	once := func(ctx context.Context, fn func(context.Context, pgx.Tx) error) error { return inTx(ctx, s.pool, fn) }
	n, err := s.requeue(ctx, once, func(ctx context.Context, tx pgx.Tx) (int64, error) {
		tag, err := tx.Exec(ctx, releaseClaimQuery, hookline.Now(), owner, until, now)
		return tag.RowsAffected(), err
	})
	if n > 0 {
		s.log.Info("postgres: gave back the deliveries of a failed claim", "owner", owner, "deliveries", n)
	}
	return err
}

// Release gives back every lease owner holds: those deliveries become
// pending and due at once, and every node's dispatcher is notified.
func (s *Store) Release(ctx context.Context, owner string) error {
	_, err := s.requeue(ctx, s.tx, func(ctx context.Context, tx pgx.Tx) (int64, error) {
		tag, err := tx.Exec(ctx, `UPDATE deliveries SET status = 1, next_attempt_at = $1, due_at = $1,
				lease_owner = NULL, lease_until = NULL, updated_at = $1
			WHERE due_at IS NOT NULL AND status = 3 AND lease_owner = $2`, hookline.Now(), owner)
		return tag.RowsAffected(), err
	})
	return err
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
