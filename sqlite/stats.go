package sqlite

import (
	"context"
	"database/sql"

	"github.com/hookline/hookline"
)

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
