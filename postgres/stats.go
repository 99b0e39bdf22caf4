package postgres

import (
	"context"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
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

// AppUsage counts the applications' messages of [since, until) and their
// deliveries.
func (s *Store) AppUsage(ctx context.Context, appIDs []string, since, until time.Time) ([]hookline.AppUsage, error) {
	var out []hookline.AppUsage
	err := s.do(ctx, func(ctx context.Context) error {
		var of func(string) *hookline.AppUsage
		out, of = hookline.PerApp(appIDs, func(id string) hookline.AppUsage { return hookline.AppUsage{AppID: id} })
		if len(appIDs) == 0 {
			return nil
		}
		for _, st := range []struct {
			build func(*sqlbuild.Query) (string, []any)
			count func(*hookline.AppUsage) *int64
		}{
			{func(q *sqlbuild.Query) (string, []any) { return q.UsageMessages(appIDs, since, until) },
				func(u *hookline.AppUsage) *int64 { return &u.Messages }},
			{func(q *sqlbuild.Query) (string, []any) { return q.UsageDeliveries(appIDs, since, until) },
				func(u *hookline.AppUsage) *int64 { return &u.Destinations }},
		} {
			query, args := st.build(newQuery())
			rows, err := s.pool.Query(ctx, query, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id string
				var n int64
				if err := rows.Scan(&id, &n); err != nil {
					rows.Close()
					return err
				}
				if u := of(id); u != nil {
					*st.count(u) = n
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// AppEventTypes reads the filters of the applications' endpoints.
func (s *Store) AppEventTypes(ctx context.Context, appIDs []string) ([]hookline.AppEventTypes, error) {
	var out []hookline.AppEventTypes
	err := s.do(ctx, func(ctx context.Context) error {
		var of func(string) *hookline.AppEventTypes
		out, of = hookline.PerApp(appIDs, func(id string) hookline.AppEventTypes { return hookline.AppEventTypes{AppID: id} })
		if len(appIDs) == 0 {
			return nil
		}
		rows, err := s.pool.Query(ctx, `SELECT app_id, event_types FROM endpoints WHERE app_id = ANY($1)`, appIDs)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var types []string
			if err := rows.Scan(&id, &types); err != nil {
				return err
			}
			if u := of(id); u != nil {
				u.Subscribe(types)
			}
		}
		return rows.Err()
	})
	return out, err
}
