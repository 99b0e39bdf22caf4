package postgres

import (
	"context"

	"github.com/hookline/hookline"
)

// CountAttemptsByEndpoint counts the endpoint's attempts that f keeps, up
// to max, through the index attempts_endpoint.
func (s *Store) CountAttemptsByEndpoint(ctx context.Context, appID, endpointID string, f hookline.AttemptFilter, max int) (int, bool, error) {
	if err := s.endpointExists(ctx, appID, endpointID); err != nil {
		return 0, false, err
	}
	query, args := newQuery().CountAttemptsByEndpoint(appID, endpointID, f, max)
	var n int
	err := s.do(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, query, args...).Scan(&n)
	})
	if err != nil {
		return 0, false, err
	}
	return min(n, max), n > max, nil
}
