package sqlite

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
	if err := s.rdb.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, false, dbErr(err)
	}
	return min(n, max), n > max, nil
}

// AppAttemptStats counts the application's attempts of [since, until) by
// step, event type and outcome, through the index attempts_app_created.
func (s *Store) AppAttemptStats(ctx context.Context, appID string, since, until time.Time, step time.Duration, eventTypes []string) ([]hookline.AttemptTally, error) {
	q := newQuery()
	expr := `(a.created_at - ` + q.Arg(micros(since)) + `) / ` + q.Arg(hookline.StatsStep(step).Microseconds())
	query, args := q.AppAttemptStats(expr, appID, since, until, eventTypes)
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	var out []hookline.AttemptTally
	for rows.Next() {
		var t hookline.AttemptTally
		if err := rows.Scan(&t.Step, &t.EventType, &t.Status, &t.Count); err != nil {
			return nil, dbErr(err)
		}
		out = append(out, t)
	}
	return out, dbErr(rows.Err())
}
