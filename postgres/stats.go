package postgres

import (
	"context"

	"github.com/hookline/hookline"
)

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
