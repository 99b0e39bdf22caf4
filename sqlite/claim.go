package sqlite

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
)

// claimQuery reads the due deliveries, oldest due first, with their
// messages.
var claimQuery = `SELECT d.seq, ` + deliveryCols + `, ` + sqlbuild.Prefixed("m", messageCols) + `
	FROM deliveries d JOIN messages m ON m.seq = d.msg_seq
	WHERE d.due_at <= ? ORDER BY d.due_at LIMIT ?`

// leaseQuery leases the deliveries whose seqs are in the JSON array ?4 and
// that are still due at ?5 (no longer held, if they were), and returns their
// seqs.
const leaseQuery = `UPDATE deliveries SET status = 3, next_attempt_at = NULL, due_at = ?1, lease_owner = ?2,
	lease_until = ?1, held = 0, updated_at = ?3 WHERE seq IN (SELECT value FROM json_each(?4)) AND due_at <= ?5
	RETURNING seq`

// parkQuery takes the deliveries whose seqs are in the JSON array ?1 out of
// the queue: their endpoint is disabled (UpdateEndpoint puts them back).
const parkQuery = `UPDATE deliveries SET due_at = NULL WHERE seq IN (SELECT value FROM json_each(?1))`

// endQuery ends the deliveries whose seqs are in the JSON array ?1 as
// failed: their endpoint was deleted (see DeleteEndpoint).
const endQuery = `UPDATE deliveries SET status = 2, due_at = NULL, next_attempt_at = NULL, held = 0
	WHERE seq IN (SELECT value FROM json_each(?1))`

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
// endpoint is parked: out of the queue until the endpoint is enabled again;
// one of a deleted endpoint fails.
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
			var parked, ended, seqs []byte
			eps := make(map[int64]*hookline.Endpoint, len(cands))
			for _, c := range cands {
				d := &c.task.Delivery
				var ep *hookline.Endpoint
				app, err := w.endpoints(d.AppID)
				switch {
				case err == nil:
					ep = app.byID[d.EndpointID]
					c.task.AppThrottleRate = app.throttle
				case hookline.UnreadableSecret(err) != nil:
					// Not this claim's failure: the others go; this one is
					// leased, not returned, and waits for its lease to end.
					w.s.log.Error("sqlite: a due delivery's endpoint cannot be read; it waits for its lease to end",
						"app_id", d.AppID, "endpoint_id", d.EndpointID, "msg_id", d.MessageID, "err", err)
					seqs = appendSeq(seqs, c.seq)
					continue
				case hookline.ErrorCode(err) != hookline.ENOTFOUND:
					return err
				}
				switch {
				case ep == nil:
					ended = appendSeq(ended, c.seq)
				case ep.Disabled:
					parked = appendSeq(parked, c.seq)
				default:
					eps[c.seq] = ep
					seqs = appendSeq(seqs, c.seq)
				}
			}
			for _, out := range [...]struct {
				q    string
				seqs []byte
			}{{parkQuery, parked}, {endQuery, ended}} {
				if out.seqs == nil {
					continue
				}
				if _, err := w.exec(out.q, string(append(out.seqs, ']'))); err != nil {
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
				if eps[c.seq] == nil {
					continue // its endpoints cannot be read
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
