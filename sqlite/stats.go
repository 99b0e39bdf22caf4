package sqlite

import (
	"context"
	"database/sql"
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

// AppUsage counts the applications' messages of [since, until) and their
// deliveries.
func (s *Store) AppUsage(ctx context.Context, appIDs []string, since, until time.Time) ([]hookline.AppUsage, error) {
	out, of := hookline.PerApp(appIDs, func(id string) hookline.AppUsage { return hookline.AppUsage{AppID: id} })
	if len(appIDs) == 0 {
		return out, nil
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
		rows, err := s.rdb.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, dbErr(err)
		}
		for rows.Next() {
			var id string
			var n int64
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return nil, dbErr(err)
			}
			if u := of(id); u != nil {
				*st.count(u) = n
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, dbErr(err)
		}
	}
	return out, nil
}

// AppEventTypes reads the filters of the applications' endpoints.
func (s *Store) AppEventTypes(ctx context.Context, appIDs []string) ([]hookline.AppEventTypes, error) {
	out, of := hookline.PerApp(appIDs, func(id string) hookline.AppEventTypes { return hookline.AppEventTypes{AppID: id} })
	if len(appIDs) == 0 {
		return out, nil
	}
	q := newQuery()
	q.Where(q.In("app_id", appIDs))
	query, args := q.SQL(`SELECT app_id, event_types FROM endpoints`)
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var types sql.NullString
		if err := rows.Scan(&id, &types); err != nil {
			return nil, dbErr(err)
		}
		l, err := listOf(types)
		if err != nil {
			return nil, err
		}
		if u := of(id); u != nil {
			u.Subscribe(l)
		}
	}
	return out, dbErr(rows.Err())
}
