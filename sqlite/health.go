package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/hookline/hookline"
)

// MarkFailing records that the application's endpoint has been failing
// since at, unless an earlier time is recorded, and returns the time
// recorded; ENOTFOUND when there is no such endpoint.
func (s *Store) MarkFailing(ctx context.Context, appID, endpointID string, at time.Time) (time.Time, error) {
	var since int64
	err := s.write(ctx, func(w *writer) error {
		err := w.queryRow(`UPDATE endpoints SET failing_since = coalesce(failing_since, ?)
			WHERE app_id = ? AND id = ? RETURNING failing_since`, micros(at), appID, endpointID).Scan(&since)
		if err == sql.ErrNoRows {
			return clean(hookline.ErrEndpointNotFound)
		}
		return err
	})
	if err != nil {
		return time.Time{}, err
	}
	return fromMicros(since), nil
}

// ClearFailing records that the application's endpoint's last attempt
// succeeded. An endpoint that is gone is not an error.
func (s *Store) ClearFailing(ctx context.Context, appID, endpointID string) error {
	return s.write(ctx, func(w *writer) error {
		_, err := w.exec(`UPDATE endpoints SET failing_since = NULL
			WHERE app_id = ? AND id = ? AND failing_since IS NOT NULL`, appID, endpointID)
		return err
	})
}
