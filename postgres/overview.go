package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
)

// CountAttempts counts the attempts made in [since, until) by step and
// outcome, through the index attempts_created.
func (s *Store) CountAttempts(ctx context.Context, since, until time.Time, step time.Duration) ([]hookline.AttemptCount, error) {
	var counts []hookline.AttemptCount
	step = max(step, time.Second)
	err := s.do(ctx, func(ctx context.Context) error {
		counts = hookline.AttemptCounts(since, until, step)
		rows, err := s.pool.Query(ctx, `SELECT floor(extract(epoch FROM created_at - $1) * 1000000 / $2)::bigint, status = 0, count(*)
			FROM attempts WHERE created_at >= $1 AND created_at < $3 GROUP BY 1, 2`,
			since, step.Microseconds(), until)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var i, n int64
			var ok bool
			if err := rows.Scan(&i, &ok, &n); err != nil {
				return err
			}
			status := hookline.StatusFail
			if ok {
				status = hookline.StatusSuccess
			}
			hookline.AddAttempts(counts, i, status, n)
		}
		return rows.Err()
	})
	return counts, err
}

// FailingEndpoints lists the endpoints failing now, longest failing first.
func (s *Store) FailingEndpoints(ctx context.Context, appID string, limit int) ([]*hookline.FailingEndpoint, error) {
	q := `SELECT ` + endpointCols + `, failing_since FROM endpoints WHERE failing_since IS NOT NULL`
	args := []any{}
	if appID != "" {
		q += ` AND app_id = $1`
		args = append(args, appID)
	}
	args = append(args, limit)
	q += ` ORDER BY failing_since, id LIMIT $` + strconv.Itoa(len(args))
	page, err := list(ctx, s, q, args, limit, func(r sqlbuild.Scanner) (*hookline.FailingEndpoint, error) {
		var er endpointRow
		var since time.Time
		if err := r.Scan(append(er.dest(), &since)...); err != nil {
			return nil, err
		}
		ep, err := s.endpointOf(&er)
		if err != nil {
			return nil, err
		}
		return &hookline.FailingEndpoint{Endpoint: *ep, FailingSince: since.UTC()}, nil
	})
	return page.Items, err
}

// ExhaustedDeliveries lists the failed deliveries, the last to fail first:
// they are in the index deliveries_idle.
func (s *Store) ExhaustedDeliveries(ctx context.Context, limit int) ([]*hookline.DeliveryView, error) {
	page, err := list(ctx, s, `SELECT `+sqlbuild.Prefixed("d", deliveryCols)+`, `+sqlbuild.Prefixed("e", sqlbuild.ShownEndpointCols)+`
		FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id
		WHERE d.due_at IS NULL AND d.status = 2 ORDER BY d.updated_at DESC, d.id DESC LIMIT $1`, []any{limit}, limit,
		scanDeliveryView)
	return page.Items, err
}

// FindApplications lists the applications whose id is query, or whose uid
// or name holds it.
func (s *Store) FindApplications(ctx context.Context, query string, limit int) ([]*hookline.Application, error) {
	like := hookline.SearchPattern(query)
	page, err := list(ctx, s, `SELECT `+appCols+` FROM applications
		WHERE id = $1 OR lower(uid) LIKE $2 OR lower(name) LIKE $2 ORDER BY id LIMIT $3`,
		[]any{query, like, limit}, limit, func(r sqlbuild.Scanner) (*hookline.Application, error) { return scanApp(r) })
	return page.Items, err
}
