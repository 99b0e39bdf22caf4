package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline"
)

const attemptCols = `id, app_id, message_id, endpoint_id, delivery_id, url, status, status_code, response,
	duration_ms, trigger_type, created_at`

func scanAttempt(r pgx.Row) (*hookline.Attempt, error) {
	var (
		a               hookline.Attempt
		status, trigger int16
		code            int32
		c               time.Time
	)
	if err := r.Scan(&a.ID, &a.AppID, &a.MessageID, &a.EndpointID, &a.DeliveryID, &a.URL, &status,
		&code, &a.Response, &a.DurationMS, &trigger, &c); err != nil {
		return nil, err
	}
	a.Status, a.StatusCode, a.Trigger = hookline.Status(status), int(code), hookline.Trigger(trigger)
	a.CreatedAt = c.UTC()
	return &a, nil
}

var errAttemptNotFound = hookline.Errorf(hookline.ENOTFOUND, "Message attempt not found.")

// Attempt returns an attempt of the application's message.
func (s *Store) Attempt(ctx context.Context, appID, msgID, attemptID string) (*hookline.Attempt, error) {
	var a *hookline.Attempt
	err := s.do(ctx, func(ctx context.Context) error {
		var err error
		a, err = scanAttempt(s.pool.QueryRow(ctx, `SELECT `+attemptCols+` FROM attempts
			WHERE message_id = $1 AND id = $2 AND app_id = $3`, msgID, attemptID, appID))
		return err
	})
	if err != nil {
		return nil, notFound(ctx, err, "Message attempt")
	}
	return a, nil
}

// attemptFilter adds the conditions of f on attempts aliased a.
func attemptFilter(q *listQuery, f hookline.AttemptFilter) {
	if f.Status != nil {
		q.add("a.status = ?", int16(*f.Status))
	}
	if f.StatusCodeClass != nil {
		if c := *f.StatusCodeClass; c == 0 {
			q.add("a.status_code = 0")
		} else {
			q.add("a.status_code >= ? AND a.status_code < ?", int32(c), int32(c+100))
		}
	}
	if f.Before != nil {
		q.add("a.created_at < ?", *f.Before)
	}
	if f.After != nil {
		q.add("a.created_at > ?", *f.After)
	}
	if f.Channel != "" || len(f.EventTypes) > 0 {
		conds := []string{"m.id = a.message_id AND m.app_id = a.app_id"}
		if f.Channel != "" {
			conds = append(conds, "? = ANY(m.channels)")
		}
		if len(f.EventTypes) > 0 {
			conds = append(conds, "m.event_type = ANY(?)")
		}
		var args []any
		if f.Channel != "" {
			args = append(args, f.Channel)
		}
		if len(f.EventTypes) > 0 {
			args = append(args, f.EventTypes)
		}
		q.add("EXISTS (SELECT 1 FROM messages m WHERE "+strings.Join(conds, " AND ")+")", args...)
	}
}

// ListAttemptsByEndpoint lists the attempts made to the application's
// endpoint, by id.
func (s *Store) ListAttemptsByEndpoint(ctx context.Context, appID, endpointID string, f hookline.AttemptFilter) (hookline.Page[*hookline.Attempt], error) {
	if err := s.endpointExists(ctx, appID, endpointID); err != nil {
		return hookline.Page[*hookline.Attempt]{}, err
	}
	var q listQuery
	q.add("a.endpoint_id = ?", endpointID)
	q.add("a.app_id = ?", appID)
	attemptFilter(&q, f)
	query, args, n := q.sql(`SELECT `+prefixed("a", attemptCols)+` FROM attempts a`, "a.id", f.ListOptions)
	return list(ctx, s, query, args, n, func(r pgx.Rows) (*hookline.Attempt, error) { return scanAttempt(r) })
}

// ListAttemptsByMessage lists the attempts made for the application's
// message, by id.
func (s *Store) ListAttemptsByMessage(ctx context.Context, appID, msgID string, f hookline.AttemptFilter) (hookline.Page[*hookline.Attempt], error) {
	if err := s.messageExists(ctx, appID, msgID); err != nil {
		return hookline.Page[*hookline.Attempt]{}, err
	}
	var q listQuery
	q.add("a.message_id = ?", msgID)
	q.add("a.app_id = ?", appID)
	if f.EndpointID != "" {
		q.add("a.endpoint_id = ?", f.EndpointID)
	}
	attemptFilter(&q, f)
	query, args, n := q.sql(`SELECT `+prefixed("a", attemptCols)+` FROM attempts a`, "a.id", f.ListOptions)
	return list(ctx, s, query, args, n, func(r pgx.Rows) (*hookline.Attempt, error) { return scanAttempt(r) })
}

// ExpungeAttemptContent removes the response body of the attempt for good.
func (s *Store) ExpungeAttemptContent(ctx context.Context, appID, msgID, attemptID string) error {
	var n int64
	err := s.do(ctx, func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, `UPDATE attempts SET response = '' WHERE message_id = $1 AND id = $2 AND app_id = $3`,
			msgID, attemptID, appID)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return errAttemptNotFound
	}
	return nil
}
