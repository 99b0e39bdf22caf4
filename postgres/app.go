package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
)

const appCols = `id, uid, name, throttle_rate, metadata, created_at, updated_at`

func scanApp(r pgx.Row) (*hookline.Application, error) {
	var (
		a        hookline.Application
		throttle *int32
		meta     []byte
		c, u     time.Time
	)
	if err := r.Scan(&a.ID, &a.UID, &a.Name, &throttle, &meta, &c, &u); err != nil {
		return nil, err
	}
	a.ThrottleRate = intPtr(throttle)
	var err error
	if a.Metadata, err = mapOf(meta); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = c.UTC(), u.UTC()
	return &a, nil
}

// CreateApplication stores app, giving it an id and creation time when they
// are unset.
func (s *Store) CreateApplication(ctx context.Context, app *hookline.Application) error {
	if err := app.CheckStorable(); err != nil {
		return err
	}
	app.Prepare(hookline.Now())
	err := s.do(ctx, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `INSERT INTO applications (`+appCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			app.ID, app.UID, app.Name, app.ThrottleRate, jsonMap(app.Metadata), app.CreatedAt, app.UpdatedAt)
		return err
	})
	if hookline.ErrorCode(err) == hookline.ECONFLICT {
		return hookline.ErrApplicationConflict
	}
	return err
}

// Application returns the application with this id or uid.
func (s *Store) Application(ctx context.Context, idOrUID string) (*hookline.Application, error) {
	caching := s.listening.Load()
	cached, gen, ok := s.apps.Get(idOrUID)
	if caching && ok {
		return cached.Clone(), nil
	}
	var a *hookline.Application
	err := s.do(ctx, func(ctx context.Context) error {
		var err error
		a, err = scanApp(s.pool.QueryRow(ctx,
			`SELECT `+appCols+` FROM applications WHERE id = $1 OR uid = $1 LIMIT 1`, idOrUID))
		return err
	})
	if err != nil {
		return nil, notFound(ctx, err, hookline.ErrApplicationNotFound)
	}
	if caching {
		s.apps.Put(idOrUID, a.Clone(), gen)
	}
	return a, nil
}

// UpdateApplication writes every field of app but its creation time, which
// it reads back; it sets UpdatedAt.
func (s *Store) UpdateApplication(ctx context.Context, app *hookline.Application) error {
	if err := app.CheckStorable(); err != nil {
		return err
	}
	t := hookline.Now()
	var created time.Time
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE applications SET uid = $1, name = $2, throttle_rate = $3, metadata = $4,
			updated_at = $5 WHERE id = $6 RETURNING created_at`,
			app.UID, app.Name, app.ThrottleRate, jsonMap(app.Metadata), t, app.ID).Scan(&created)
		if err != nil {
			return err
		}
		return s.forgetOnCommit(ctx, tx)
	})
	s.forget()
	switch hookline.ErrorCode(err) {
	case "":
	case hookline.ECONFLICT:
		return hookline.ErrApplicationConflict
	case hookline.ENOTFOUND:
		return hookline.ErrApplicationNotFound
	default:
		return err
	}
	app.CreatedAt, app.UpdatedAt = created.UTC(), t
	return nil
}

// DeleteApplication deletes the application and everything in it: endpoints,
// messages, deliveries, attempts and its tokens, in one transaction.
func (s *Store) DeleteApplication(ctx context.Context, id string) error {
	defer s.forget()
	return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM applications WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return hookline.ErrApplicationNotFound
		}
		for _, q := range []string{
			`DELETE FROM attempts WHERE message_id IN (SELECT id FROM messages WHERE app_id = $1)`,
			`DELETE FROM attempts WHERE endpoint_id IN (SELECT id FROM endpoints WHERE app_id = $1)`,
			`DELETE FROM deliveries WHERE endpoint_id IN (SELECT id FROM endpoints WHERE app_id = $1)`,
			`DELETE FROM deliveries WHERE endpoint_id IN (SELECT id FROM deleted_endpoints WHERE app_id = $1)`,
			`DELETE FROM deleted_endpoints WHERE app_id = $1`,
			`DELETE FROM messages WHERE app_id = $1`,
			`DELETE FROM endpoints WHERE app_id = $1`,
			`DELETE FROM tokens WHERE app_id = $1`,
			`DELETE FROM background_tasks WHERE app_id = $1`,
		} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return err
			}
		}
		return s.forgetOnCommit(ctx, tx)
	})
}

// ListApplications lists applications by id.
func (s *Store) ListApplications(ctx context.Context, opts hookline.ListOptions) (hookline.Page[*hookline.Application], error) {
	query, args, n := newQuery().Page(`SELECT `+appCols+` FROM applications`, "id", opts)
	return list(ctx, s, query, args, n, func(r sqlbuild.Scanner) (*hookline.Application, error) { return scanApp(r) })
}
