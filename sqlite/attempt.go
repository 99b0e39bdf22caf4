package sqlite

import (
	"context"
	"strings"

	"github.com/hookline/hookline"
)

const attemptCols = `id, app_id, message_id, endpoint_id, delivery_id, url, status, status_code, response,
	duration_ms, trigger_type, created_at`

func scanAttempt(r scanner) (*hookline.Attempt, error) {
	var (
		a hookline.Attempt
		c int64
	)
	if err := r.Scan(&a.ID, &a.AppID, &a.MessageID, &a.EndpointID, &a.DeliveryID, &a.URL, &a.Status,
		&a.StatusCode, &a.Response, &a.DurationMS, &a.Trigger, &c); err != nil {
		return nil, err
	}
	a.CreatedAt = fromMicros(c)
	return &a, nil
}

var errAttemptNotFound = hookline.Errorf(hookline.ENOTFOUND, "Message attempt not found.")

// Attempt returns an attempt of the application's message.
func (s *Store) Attempt(ctx context.Context, appID, msgID, attemptID string) (*hookline.Attempt, error) {
	a, err := scanAttempt(s.queryRow(ctx,
		`SELECT `+attemptCols+` FROM attempts WHERE message_id = ? AND id = ? AND app_id = ?`, msgID, attemptID, appID))
	if err != nil {
		return nil, notFound(err, "Message attempt")
	}
	return a, nil
}

// attemptFilter adds the conditions of f on attempts aliased a.
func attemptFilter(q *listQuery, f hookline.AttemptFilter) {
	if f.Status != nil {
		q.add("a.status = ?", int64(*f.Status))
	}
	if f.StatusCodeClass != nil {
		if c := *f.StatusCodeClass; c == 0 {
			q.add("a.status_code = 0")
		} else {
			q.add("a.status_code >= ? AND a.status_code < ?", c, c+100)
		}
	}
	if f.Before != nil {
		q.add("a.created_at < ?", micros(*f.Before))
	}
	if f.After != nil {
		q.add("a.created_at > ?", micros(*f.After))
	}
	if f.Channel != "" || len(f.EventTypes) > 0 {
		var m listQuery
		m.add("m.app_id = a.app_id AND m.id = a.message_id")
		if f.Channel != "" {
			m.add("EXISTS (SELECT 1 FROM json_each(m.channels) WHERE value = ?)", f.Channel)
		}
		m.addIn("m.event_type", f.EventTypes)
		q.add("EXISTS (SELECT 1 FROM messages m WHERE "+strings.Join(m.where, " AND ")+")", m.args...)
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
	query, args, n := q.sql(`SELECT `+attemptCols+` FROM attempts a`, "a.id", f.ListOptions)
	return list(ctx, s.rdb, query, args, n, scanAttempt)
}

// ListAttemptsByMessage lists the attempts made for the application's
// message, by id.
func (s *Store) ListAttemptsByMessage(ctx context.Context, appID, msgID string, f hookline.AttemptFilter) (hookline.Page[*hookline.Attempt], error) {
	if _, err := s.messageExists(ctx, appID, msgID); err != nil {
		return hookline.Page[*hookline.Attempt]{}, err
	}
	var q listQuery
	q.add("a.message_id = ?", msgID)
	q.add("a.app_id = ?", appID)
	if f.EndpointID != "" {
		q.add("a.endpoint_id = ?", f.EndpointID)
	}
	attemptFilter(&q, f)
	query, args, n := q.sql(`SELECT `+attemptCols+` FROM attempts a`, "a.id", f.ListOptions)
	return list(ctx, s.rdb, query, args, n, scanAttempt)
}

// ExpungeAttemptContent removes the response body of the attempt for good.
func (s *Store) ExpungeAttemptContent(ctx context.Context, appID, msgID, attemptID string) error {
	return s.write(ctx, func(w *writer) error {
		n, err := w.affected(`UPDATE attempts SET response = '' WHERE message_id = ? AND id = ? AND app_id = ?`,
			msgID, attemptID, appID)
		if err != nil {
			return clean(err)
		}
		if n == 0 {
			return clean(errAttemptNotFound)
		}
		return nil
	})
}
