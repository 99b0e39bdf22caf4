package postgres

import (
	"context"
	"time"

	"github.com/hookline/hookline"
)

// MarkFailing records that the application's endpoint has been failing
// since at, unless an earlier time is recorded, and returns the time
// recorded; ENOTFOUND when there is no such endpoint.
func (s *Store) MarkFailing(ctx context.Context, appID, endpointID string, at time.Time) (time.Time, error) {
	var since time.Time
	err := s.do(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `UPDATE endpoints SET failing_since = coalesce(failing_since, $1)
			WHERE app_id = $2 AND id = $3 RETURNING failing_since`, hookline.StoredTime(at), appID, endpointID).Scan(&since)
	})
	if hookline.ErrorCode(err) == hookline.ENOTFOUND {
		return time.Time{}, hookline.ErrEndpointNotFound
	}
	if err != nil {
		return time.Time{}, err
	}
	return since.UTC(), nil
}

// ClearFailing records that the application's endpoint's last attempt
// succeeded. An endpoint that is gone is not an error.
func (s *Store) ClearFailing(ctx context.Context, appID, endpointID string) error {
	return s.do(ctx, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `UPDATE endpoints SET failing_since = NULL
			WHERE app_id = $1 AND id = $2 AND failing_since IS NOT NULL`, appID, endpointID)
		return err
	})
}
