package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
)

// AppAttemptStats counts the application's attempts of [since, until) by
// step, event type and outcome, through the index attempts_app_created.
func (s *Store) AppAttemptStats(ctx context.Context, appID string, since, until time.Time, step time.Duration, eventTypes []string) ([]hookline.AttemptTally, error) {
	q := newQuery()
	expr := `(a.created_at - ` + q.Arg(micros(since)) + `) / ` + q.Arg(hookline.StatsStep(step).Microseconds())
	query, args := q.AppAttemptStats(expr, appID, since, until, eventTypes)
	return sqlbuild.AttemptTallies(ctx, reader{s.rdb}, query, args)
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
