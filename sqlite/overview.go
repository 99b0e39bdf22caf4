package sqlite

import (
	"context"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
)

// CountAttempts counts the attempts made in [since, until) by step and
// outcome, through the index attempts_created.
func (s *Store) CountAttempts(ctx context.Context, since, until time.Time, step time.Duration) ([]hookline.AttemptCount, error) {
	counts := hookline.AttemptCounts(since, until, step)
	step = max(step, time.Second)
	rows, err := s.rdb.QueryContext(ctx, `SELECT (created_at - ?) / ?, status = 0, count(*) FROM attempts
		WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2`,
		micros(since), step.Microseconds(), micros(since), micros(until))
	if err != nil {
		return nil, dbErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var i, n int64
		var ok bool
		if err := rows.Scan(&i, &ok, &n); err != nil {
			return nil, dbErr(err)
		}
		status := hookline.StatusFail
		if ok {
			status = hookline.StatusSuccess
		}
		hookline.AddAttempts(counts, i, status, n)
	}
	return counts, dbErr(rows.Err())
}

// FailingEndpoints lists the endpoints failing now, longest failing first.
func (s *Store) FailingEndpoints(ctx context.Context, appID string, limit int) ([]*hookline.FailingEndpoint, error) {
	q := `SELECT ` + endpointCols + `, failing_since FROM endpoints WHERE failing_since IS NOT NULL`
	args := []any{}
	if appID != "" {
		q += ` AND app_id = ?`
		args = append(args, appID)
	}
	page, err := list(ctx, s.rdb, q+` ORDER BY failing_since, id LIMIT ?`, append(args, limit), limit,
		func(sc scanner) (*hookline.FailingEndpoint, error) {
			var r endpointRow
			var since int64
			if err := sc.Scan(append(r.dest(), &since)...); err != nil {
				return nil, err
			}
			ep, err := s.endpointOf(&r)
			if err != nil {
				return nil, err
			}
			return &hookline.FailingEndpoint{Endpoint: *ep, FailingSince: fromMicros(since)}, nil
		})
	return page.Items, err
}

// ExhaustedDeliveries lists the failed deliveries, the last to fail first:
// they are in the index deliveries_idle.
func (s *Store) ExhaustedDeliveries(ctx context.Context, limit int) ([]*hookline.DeliveryView, error) {
	page, err := list(ctx, s.rdb, `SELECT `+deliveryCols+`, `+sqlbuild.Prefixed("e", sqlbuild.ShownEndpointCols)+`
		FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id
		WHERE d.due_at IS NULL AND d.status = 2 ORDER BY d.updated_at DESC, d.seq DESC LIMIT ?`, []any{limit}, limit,
		scanDeliveryView)
	return page.Items, err
}

// FindApplications lists the applications whose id is query, or whose uid
// or name holds it.
func (s *Store) FindApplications(ctx context.Context, query string, limit int) ([]*hookline.Application, error) {
	like := hookline.SearchPattern(query)
	page, err := list(ctx, s.rdb, `SELECT `+appCols+` FROM applications
		WHERE id = ? OR lower(uid) LIKE ? ESCAPE '\' OR lower(name) LIKE ? ESCAPE '\' ORDER BY id LIMIT ?`,
		[]any{query, like, like, limit}, limit, scanApp)
	return page.Items, err
}
