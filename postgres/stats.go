package postgres

import (
	"context"
	"time"

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

// AppAttemptStats counts the application's attempts of [since, until) by
// step, event type and outcome, through the index attempts_app_created.
func (s *Store) AppAttemptStats(ctx context.Context, appID string, since, until time.Time, step time.Duration, eventTypes []string) ([]hookline.AttemptTally, error) {
	q := newQuery()
	expr := `floor(extract(epoch FROM a.created_at - ` + q.Arg(since) + `::timestamptz) * 1000000 / ` +
		q.Arg(hookline.StatsStep(step).Microseconds()) + `)::bigint`
	query, args := q.AppAttemptStats(expr, appID, since, until, eventTypes)
	var out []hookline.AttemptTally
	err := s.do(ctx, func(ctx context.Context) error {
		out = out[:0]
		rows, err := s.pool.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t hookline.AttemptTally
			if err := rows.Scan(&t.Step, &t.EventType, &t.Status, &t.Count); err != nil {
				return err
			}
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}
