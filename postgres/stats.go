package postgres

import (
	"context"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
)

// AppAttemptStats counts the application's attempts of [since, until) by
// step, event type and outcome, through the index attempts_app_created.
func (s *Store) AppAttemptStats(ctx context.Context, appID string, since, until time.Time, step time.Duration, eventTypes []string) ([]hookline.AttemptTally, error) {
	q := newQuery()
	expr := `floor(extract(epoch FROM a.created_at - ` + q.Arg(since) + `::timestamptz) * 1000000 / ` +
		q.Arg(hookline.StatsStep(step).Microseconds()) + `)::bigint`
	query, args := q.AppAttemptStats(expr, appID, since, until, eventTypes)
	return sqlbuild.AttemptTallies(ctx, reader{s}, query, args)
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
