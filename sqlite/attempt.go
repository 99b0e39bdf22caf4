package sqlite

import (
	"context"
	"database/sql"

	"github.com/hookline/hookline"
)

const attemptCols = `id, app_id, message_id, endpoint_id, delivery_id, url, status, status_code, response,
	duration_ms, trigger_type, created_at`

// attemptInsertCols are attemptCols and the headers sent, which only
// AttemptHeaders reads.
const attemptInsertCols = attemptCols + `, sent_headers`

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

// Attempt returns an attempt of the application's message.
func (s *Store) Attempt(ctx context.Context, appID, msgID, attemptID string) (*hookline.Attempt, error) {
	a, err := scanAttempt(s.queryRow(ctx,
		`SELECT `+attemptCols+` FROM attempts WHERE message_id = ? AND id = ? AND app_id = ?`, msgID, attemptID, appID))
	if err != nil {
		return nil, notFound(err, hookline.ErrAttemptNotFound)
	}
	return a, nil
}

// AttemptHeaders returns the headers an attempt of the application's
// message sent.
func (s *Store) AttemptHeaders(ctx context.Context, appID, msgID, attemptID string) (hookline.SentHeaders, error) {
	var h sql.NullString
	err := s.queryRow(ctx, `SELECT sent_headers FROM attempts WHERE message_id = ? AND id = ? AND app_id = ?`,
		msgID, attemptID, appID).Scan(&h)
	if err != nil {
		return "", notFound(err, hookline.ErrAttemptNotFound)
	}
	return hookline.SentHeaders(h.String), nil
}

// ListAttemptsByEndpoint lists the attempts made to the application's
// endpoint, by id.
func (s *Store) ListAttemptsByEndpoint(ctx context.Context, appID, endpointID string, f hookline.AttemptFilter) (hookline.Page[*hookline.Attempt], error) {
	if err := s.endpointExists(ctx, appID, endpointID); err != nil {
		return hookline.Page[*hookline.Attempt]{}, err
	}
	query, args, n := newQuery().ListAttemptsByEndpoint(`SELECT `+attemptCols+` FROM attempts a`, appID, endpointID, f)
	return list(ctx, s.rdb, query, args, n, scanAttempt)
}

// ListAttemptsByMessage lists the attempts made for the application's
// message, by id.
func (s *Store) ListAttemptsByMessage(ctx context.Context, appID, msgID string, f hookline.AttemptFilter) (hookline.Page[*hookline.Attempt], error) {
	if _, err := s.messageExists(ctx, appID, msgID); err != nil {
		return hookline.Page[*hookline.Attempt]{}, err
	}
	query, args, n := newQuery().ListAttemptsByMessage(`SELECT `+attemptCols+` FROM attempts a`, appID, msgID, f)
	return list(ctx, s.rdb, query, args, n, scanAttempt)
}

// ExpungeAttemptContent removes the response body of the attempt for good.
func (s *Store) ExpungeAttemptContent(ctx context.Context, appID, msgID, attemptID string) error {
	return s.write(ctx, func(w *writer) error {
		return w.changeOne(hookline.ErrAttemptNotFound, `UPDATE attempts SET response = ? WHERE message_id = ? AND id = ? AND app_id = ?`, hookline.ExpungedResponse,
			msgID, attemptID, appID)
	})
}
