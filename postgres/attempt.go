package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
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
		return nil, notFound(ctx, err, hookline.ErrAttemptNotFound)
	}
	return a, nil
}

// AttemptHeaders returns the headers an attempt of the application's
// message sent.
func (s *Store) AttemptHeaders(ctx context.Context, appID, msgID, attemptID string) (hookline.SentHeaders, error) {
	var h *string
	err := s.do(ctx, func(ctx context.Context) error {
		err := s.pool.QueryRow(ctx, `SELECT sent_headers FROM attempts WHERE message_id = $1 AND id = $2 AND app_id = $3`,
			msgID, attemptID, appID).Scan(&h)
		if errors.Is(err, pgx.ErrNoRows) {
			return hookline.ErrAttemptNotFound
		}
		return err
	})
	if err != nil || h == nil {
		return "", err
	}
	return hookline.SentHeaders(*h), nil
}

// ListAttemptsByEndpoint lists the attempts made to the application's
// endpoint, by id.
func (s *Store) ListAttemptsByEndpoint(ctx context.Context, appID, endpointID string, f hookline.AttemptFilter) (hookline.Page[*hookline.Attempt], error) {
	if err := s.endpointExists(ctx, appID, endpointID); err != nil {
		return hookline.Page[*hookline.Attempt]{}, err
	}
	query, args, n := newQuery().ListAttemptsByEndpoint(`SELECT `+sqlbuild.Prefixed("a", attemptCols)+` FROM attempts a`, appID, endpointID, f)
	return list(ctx, s, query, args, n, func(r sqlbuild.Scanner) (*hookline.Attempt, error) { return scanAttempt(r) })
}

// ListAttemptsByMessage lists the attempts made for the application's
// message, by id.
func (s *Store) ListAttemptsByMessage(ctx context.Context, appID, msgID string, f hookline.AttemptFilter) (hookline.Page[*hookline.Attempt], error) {
	if err := s.messageExists(ctx, appID, msgID); err != nil {
		return hookline.Page[*hookline.Attempt]{}, err
	}
	query, args, n := newQuery().ListAttemptsByMessage(`SELECT `+sqlbuild.Prefixed("a", attemptCols)+` FROM attempts a`, appID, msgID, f)
	return list(ctx, s, query, args, n, func(r sqlbuild.Scanner) (*hookline.Attempt, error) { return scanAttempt(r) })
}

// ExpungeAttemptContent removes the response body of the attempt for good.
func (s *Store) ExpungeAttemptContent(ctx context.Context, appID, msgID, attemptID string) error {
	return s.changeOne(ctx, hookline.ErrAttemptNotFound,
		`UPDATE attempts SET response = $1 WHERE message_id = $2 AND id = $3 AND app_id = $4`, hookline.ExpungedResponse, msgID, attemptID, appID)
}
