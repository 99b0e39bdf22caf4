package sqlite

import (
	"context"
	"database/sql"

	"github.com/hookline/hookline"
)

const appCols = `id, uid, name, throttle_rate, metadata, created_at, updated_at`

func scanApp(r scanner) (*hookline.Application, error) {
	var (
		a        hookline.Application
		uid      sql.NullString
		throttle sql.NullInt64
		meta     sql.NullString
		c, u     int64
	)
	if err := r.Scan(&a.ID, &uid, &a.Name, &throttle, &meta, &c, &u); err != nil {
		return nil, err
	}
	a.UID = stringPtrOf(uid)
	a.ThrottleRate = intPtrOf(throttle)
	var err error
	if a.Metadata, err = mapOf(meta); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = fromMicros(c), fromMicros(u)
	return &a, nil
}

// CreateApplication stores app, giving it an id and creation time when they
// are unset.
func (s *Store) CreateApplication(ctx context.Context, app *hookline.Application) error {
	if err := app.CheckStorable(); err != nil {
		return err
	}
	app.Prepare(hookline.Now())
	return s.write(ctx, func(w *writer) error {
		_, err := w.exec(`INSERT INTO applications (`+appCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			app.ID, nullString(app.UID), app.Name, nullInt(app.ThrottleRate), jsonMap(app.Metadata),
			micros(app.CreatedAt), micros(app.UpdatedAt))
		if isUnique(err) {
			return clean(hookline.ErrApplicationConflict)
		}
		return clean(err)
	})
}

// Application returns the application with this id or uid.
func (s *Store) Application(ctx context.Context, idOrUID string) (*hookline.Application, error) {
	cached, gen, ok := s.apps.Get(idOrUID)
	if ok {
		return cached.Clone(), nil
	}
	a, err := scanApp(s.queryRow(ctx,
		`SELECT `+appCols+` FROM applications WHERE id = ? OR uid = ? LIMIT 1`, idOrUID, idOrUID))
	if err != nil {
		return nil, notFound(err, hookline.ErrApplicationNotFound)
	}
	s.apps.Put(idOrUID, a.Clone(), gen)
	return a, nil
}

// UpdateApplication writes every field of app but its creation time, which
// it reads back; it sets UpdatedAt.
func (s *Store) UpdateApplication(ctx context.Context, app *hookline.Application) error {
	if err := app.CheckStorable(); err != nil {
		return err
	}
	defer s.apps.Invalidate()
	t := hookline.Now()
	var created int64
	err := s.write(ctx, func(w *writer) error {
		err := w.queryRow(`UPDATE applications SET uid = ?, name = ?, throttle_rate = ?, metadata = ?, updated_at = ?
			WHERE id = ? RETURNING created_at`,
			nullString(app.UID), app.Name, nullInt(app.ThrottleRate), jsonMap(app.Metadata), micros(t), app.ID).Scan(&created)
		if isUnique(err) {
			return clean(hookline.ErrApplicationConflict)
		}
		if err == nil {
			w.endpointsChanged(app.ID) // the cache holds its throttleRate
		}
		return clean(notFound(err, hookline.ErrApplicationNotFound))
	})
	if err != nil {
		return err
	}
	app.CreatedAt, app.UpdatedAt = fromMicros(created), t
	return nil
}

// DeleteApplication deletes the application and everything in it: endpoints,
// messages, deliveries, attempts and its tokens.
func (s *Store) DeleteApplication(ctx context.Context, id string) error {
	defer s.apps.Invalidate()
	defer s.tokens.Invalidate() // the application's tokens go with it
	return s.write(ctx, func(w *writer) error {
		if err := w.changeOne(hookline.ErrApplicationNotFound, `DELETE FROM applications WHERE id = ?`, id); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM attempts WHERE message_id IN (SELECT id FROM messages WHERE app_id = ?)`,
			`DELETE FROM attempts WHERE endpoint_id IN (SELECT id FROM endpoints WHERE app_id = ?)`,
			`DELETE FROM deliveries WHERE endpoint_id IN (SELECT id FROM endpoints WHERE app_id = ?)`,
			`DELETE FROM deliveries WHERE endpoint_id IN (SELECT id FROM deleted_endpoints WHERE app_id = ?)`,
			`DELETE FROM deleted_endpoints WHERE app_id = ?`,
			`DELETE FROM messages WHERE app_id = ?`,
			`DELETE FROM endpoints WHERE app_id = ?`,
			`DELETE FROM tokens WHERE app_id = ?`,
			`DELETE FROM background_tasks WHERE app_id = ?`,
		} {
			if _, err := w.exec(q, id); err != nil {
				return err
			}
		}
		w.endpointsChanged(id)
		return nil
	})
}

// ListApplications lists applications by id.
func (s *Store) ListApplications(ctx context.Context, opts hookline.ListOptions) (hookline.Page[*hookline.Application], error) {
	query, args, n := newQuery().Page(`SELECT `+appCols+` FROM applications`, "id", opts)
	return list(ctx, s.rdb, query, args, n, scanApp)
}
