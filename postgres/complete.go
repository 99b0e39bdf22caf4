package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline"
)

// completeQuery logs the attempts of the outcomes ($8 to $20) and moves
// their deliveries ($2: ids, $3: states, $4: attempt counts, $5: next
// attempts, $7: deferred, which are held) still leased to $6 to their new
// state at $1,
// returning those with their application and endpoint. An
// attempt that does not say its application, message or endpoint takes them
// from its delivery, and is not logged when that is gone. An attempt already
// logged (a Complete run again after its answer was lost) is not logged
// twice. Both parts see the deliveries as they were before the statement.
const completeQuery = `WITH logged AS (
		INSERT INTO attempts (` + attemptCols + `, sent_headers)
		SELECT a.id, coalesce(nullif(a.app_id, ''), d.app_id), coalesce(nullif(a.message_id, ''), d.message_id),
			coalesce(nullif(a.endpoint_id, ''), d.endpoint_id), a.delivery_id, a.url, a.status, a.status_code,
			a.response, a.duration_ms, a.trigger_type, a.created_at, nullif(a.sent_headers, '')
		FROM unnest($8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::smallint[],
			$15::integer[], $16::text[], $17::bigint[], $18::smallint[], $19::timestamptz[], $20::text[])
			AS a(id, app_id, message_id, endpoint_id, delivery_id, url, status, status_code, response, duration_ms,
				trigger_type, created_at, sent_headers)
		LEFT JOIN deliveries d ON d.id = a.delivery_id
			AND (a.app_id = '' OR a.message_id = '' OR a.endpoint_id = '')
		WHERE coalesce(nullif(a.app_id, ''), d.app_id) IS NOT NULL
			AND coalesce(nullif(a.message_id, ''), d.message_id) IS NOT NULL
			AND coalesce(nullif(a.endpoint_id, ''), d.endpoint_id) IS NOT NULL
		ON CONFLICT (message_id, id) DO NOTHING
	)
	UPDATE deliveries d SET status = o.status, attempts = o.attempts, next_attempt_at = o.next_at,
		due_at = o.next_at, trigger_type = CASE WHEN o.deferred THEN d.trigger_type ELSE 0 END, held = o.deferred,
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
		aHeaders          = make([]string, n) // "" for none
		aStatus, aTrigger = make([]int16, n), make([]int16, n)
		aCode             = make([]int32, n)
		aDur              = make([]int64, n)
		aAt               = make([]time.Time, n)

		dID       = make([]string, n)
		dStatus   = make([]int16, n)
		dAtt      = make([]int32, n)
		dNext     = make([]*time.Time, n)
		dDeferred = make([]bool, n)
		disable   = map[string]hookline.DisabledReason{}
	)
	logged := 0 // attempts to log, at the front of the a* slices
	for i := range outcomes {
		o := &outcomes[i]
		dID[i], dStatus[i], dAtt[i], dDeferred[i] = o.DeliveryID, int16(o.Status), int32(o.Attempts), o.Deferred
		dNext[i] = o.NextAt()
		if o.Deferred {
			continue // not attempted: nothing to log
		}
		if o.Disables() {
			disable[o.DeliveryID] = o.Disable
		}
		a := &o.Attempt
		j := logged
		logged++
		aID[j], aApp[j], aMsg[j], aEP[j], aDel[j], aURL[j], aResp[j] = a.ID, a.AppID, a.MessageID, a.EndpointID,
			a.DeliveryID, a.URL, a.Response
		aStatus[j], aTrigger[j], aCode[j], aDur[j], aAt[j] = int16(a.Status), int16(a.Trigger), int32(a.StatusCode),
			a.DurationMS, a.CreatedAt
		aHeaders[j] = string(a.Headers)
	}
	// One statement, atomic on its own: the attempts, and the deliveries
	// still leased to owner. Run again after a failure that left its outcome
	// unknown, it logs no attempt twice and finds the deliveries it settled
	// no longer leased.
	var gone []disabling // endpoints to disable
	err := s.do(ctx, func(ctx context.Context) error {
		gone = gone[:0]
		k := logged
		rows, err := s.pool.Query(ctx, completeQuery, t, dID, dStatus, dAtt, dNext, owner, dDeferred,
			aID[:k], aApp[:k], aMsg[:k], aEP[:k], aDel[:k], aURL[:k], aStatus[:k], aCode[:k], aResp[:k], aDur[:k],
			aTrigger[:k], aAt[:k], aHeaders[:k])
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, app, ep string
			if err := rows.Scan(&id, &app, &ep); err != nil {
				return err
			}
			if why := disable[id]; why != "" {
				gone = append(gone, disabling{app, ep, why})
			}
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	if len(gone) > 0 {
		// Rare (a 410 Gone, or failing for too long): the endpoints are
		// disabled in a transaction of their own. Should it fail, the next
		// delivery's outcome disables them.
		if err := s.disableEndpoints(ctx, t, gone); err != nil {
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

// disabling is an endpoint an outcome disables, and why.
type disabling struct {
	appID, endpointID string
	why               hookline.DisabledReason
}

// disableEndpoints disables the endpoints, at t, unless they are disabled
// already (the first reason stays), parks their deliveries, and has every
// node forget its cached endpoints.
func (s *Store) disableEndpoints(ctx context.Context, t time.Time, gone []disabling) error {
	disabled := false
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		disabled = false
		for _, g := range gone {
			tag, err := tx.Exec(ctx, `UPDATE endpoints SET disabled = true, disabled_reason = $4, disabled_at = $1,
				updated_at = $1 WHERE app_id = $2 AND id = $3 AND NOT disabled`, t, g.appID, g.endpointID, string(g.why))
			if err != nil {
				return err
			}
			if tag.RowsAffected() > 0 {
				if _, err := tx.Exec(ctx, parkQuery, g.endpointID); err != nil {
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
