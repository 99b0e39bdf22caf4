package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
)

// endpointCols are the columns of an endpoint but its authentication
// settings, endpointAuthCols; a query that returns an endpoint to be used
// for deliveries must select both and scan dest then authDest. (Those that
// select endpointCols alone read the URL with its credentials redacted and
// no settings but the current secret and the headers.) secret,
// headers_sealed and the authentication settings are sealed (see
// hookline.SecretBox.SealAuth); headers is where versions before
// headers_sealed kept the headers in clear; disabled_reason and disabled_at
// say why and since when a disabled endpoint is.
const (
	endpointCols = `id, app_id, uid, url, description, disabled, event_types, channels, throttle_rate,
	metadata, headers, secret, created_at, updated_at, headers_sealed, disabled_reason, disabled_at`
	endpointAuthCols = `secret_kind, previous_secrets, url_sealed, mtls, oauth`
	endpointAllCols  = endpointCols + `, ` + endpointAuthCols
)

// endpointRow holds the scan targets of endpointCols and endpointAuthCols.
type endpointRow struct {
	ep              hookline.Endpoint
	types, channels []string
	throttle        *int32
	meta            []byte
	c, u            time.Time
	auth            hookline.SealedAuth
	disabledReason  *string
	disabledAt      *time.Time
	// kind is read with endpointAuthCols, if at all.
	kind *int16
}

// dest returns the scan targets of endpointCols.
func (r *endpointRow) dest() []any {
	return []any{&r.ep.ID, &r.ep.AppID, &r.ep.UID, &r.ep.URL, &r.ep.Description, &r.ep.Disabled, &r.types,
		&r.channels, &r.throttle, &r.meta, &r.auth.ClearHeaders, &r.auth.Secret, &r.c, &r.u, &r.auth.Headers,
		&r.disabledReason, &r.disabledAt}
}

// authDest returns the scan targets of endpointAuthCols.
func (r *endpointRow) authDest() []any {
	return []any{&r.kind, &r.auth.Previous, &r.auth.URL, &r.auth.MTLS, &r.auth.OAuth}
}

// allDest returns the scan targets of endpointAllCols.
func (r *endpointRow) allDest() []any { return append(r.dest(), r.authDest()...) }

// shownDest returns the scan targets of sqlbuild.ShownEndpointCols.
func (r *endpointRow) shownDest() []any {
	return []any{&r.ep.ID, &r.ep.AppID, &r.ep.UID, &r.ep.URL, &r.ep.Description, &r.ep.Disabled, &r.types,
		&r.channels, &r.throttle, &r.meta, &r.c, &r.u, &r.disabledReason, &r.disabledAt}
}

// shown returns the endpoint of the shown columns r holds, without its
// secrets and headers.
func (r *endpointRow) shown() (*hookline.Endpoint, error) {
	ep := r.ep
	var err error
	ep.EventTypes = r.types
	ep.Channels = r.channels
	ep.ThrottleRate = intPtr(r.throttle)
	if ep.Metadata, err = mapOf(r.meta); err != nil {
		return nil, err
	}
	ep.CreatedAt, ep.UpdatedAt = r.c.UTC(), r.u.UTC()
	if r.disabledReason != nil {
		ep.DisabledReason = hookline.DisabledReason(*r.disabledReason)
	}
	ep.DisabledAt = utc(r.disabledAt)
	return &ep, nil
}

func (s *Store) endpointOf(r *endpointRow) (*hookline.Endpoint, error) {
	ep, err := r.shown()
	if err != nil {
		return nil, err
	}
	if r.kind != nil {
		ep.SecretKind = hookline.SecretKind(*r.kind)
	}
	if err := s.box.OpenAuth(&r.auth, ep, hookline.Now()); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return ep, nil
}

// scanEndpoint scans a row of endpointAllCols.
func (s *Store) scanEndpoint(sc pgx.Row) (*hookline.Endpoint, error) {
	var r endpointRow
	if err := sc.Scan(r.allDest()...); err != nil {
		return nil, err
	}
	return s.endpointOf(&r)
}

// CreateEndpoint stores ep in its application (ENOTFOUND when there is no
// such application), giving it an id, a creation time and a signing secret
// when they are unset, and pruning its expired previous secrets.
func (s *Store) CreateEndpoint(ctx context.Context, ep *hookline.Endpoint, max int) error {
	auth, err := s.box.SealNew(ep)
	if err != nil {
		return err
	}
	var n int64
	err = s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if max > 0 {
			// The application's row, locked, makes concurrent creates of
			// its endpoints count one after the other. The count is a
			// statement of its own: at READ COMMITTED, its snapshot is
			// taken once the lock is held, and sees the creates before.
			var one int
			err := tx.QueryRow(ctx, `SELECT 1 FROM applications WHERE id = $1 FOR UPDATE`, ep.AppID).Scan(&one)
			if err == pgx.ErrNoRows {
				return nil // n stays 0: no such application
			}
			var have int
			if err == nil {
				err = tx.QueryRow(ctx, `SELECT count(*) FROM endpoints WHERE app_id = $1`, ep.AppID).Scan(&have)
			}
			if err != nil {
				return err
			}
			if have >= max {
				return hookline.ErrTooManyEndpoints(max)
			}
		}
		tag, err := tx.Exec(ctx, `INSERT INTO endpoints (`+endpointAllCols+`)
			SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21
			WHERE EXISTS (SELECT 1 FROM applications WHERE id = $2)`,
			ep.ID, ep.AppID, ep.UID, auth.ShownURL, ep.Description, ep.Disabled, ep.EventTypes, ep.Channels,
			ep.ThrottleRate, jsonMap(ep.Metadata), auth.Secret, ep.CreatedAt, ep.UpdatedAt, auth.Headers,
			nullText(string(ep.DisabledReason)), ep.DisabledAt,
			int16(ep.SecretKind), auth.Previous, auth.URL, auth.MTLS, auth.OAuth)
		if n = tag.RowsAffected(); err != nil || n == 0 {
			return err
		}
		if err := s.markClear(ctx, tx); err != nil {
			return err
		}
		return s.forgetOnCommit(ctx, tx)
	})
	s.forget()
	switch {
	case hookline.ErrorCode(err) == hookline.ECONFLICT:
		return hookline.ErrEndpointConflict
	case err != nil:
		return err
	case n == 0:
		return hookline.ErrApplicationNotFound
	}
	return nil
}

// Endpoint returns the endpoint of the application with this id or uid.
func (s *Store) Endpoint(ctx context.Context, appID, idOrUID string) (*hookline.Endpoint, error) {
	var ep *hookline.Endpoint
	err := s.do(ctx, func(ctx context.Context) error {
		var err error
		ep, err = s.scanEndpoint(s.pool.QueryRow(ctx,
			`SELECT `+endpointAllCols+` FROM endpoints WHERE app_id = $1 AND (id = $2 OR uid = $2) LIMIT 1`,
			appID, idOrUID))
		return err
	})
	if err != nil {
		return nil, notFound(ctx, err, hookline.ErrEndpointNotFound)
	}
	return ep, nil
}

// parkQuery takes the deliveries of the endpoint $1 out of the queue while
// it is disabled; unparkQuery puts them back.
const (
	parkQuery   = `UPDATE deliveries SET due_at = NULL WHERE endpoint_id = $1 AND due_at IS NOT NULL`
	unparkQuery = `UPDATE deliveries SET due_at = CASE status WHEN 1 THEN next_attempt_at ELSE lease_until END
		WHERE endpoint_id = $1 AND status IN (1, 3) AND due_at IS NULL`
)

// releaseHeldQuery makes the held deliveries of the endpoint $2 due at $1
// (see hookline.Endpoint.ReleasesHeld).
const releaseHeldQuery = `UPDATE deliveries SET next_attempt_at = $1, due_at = $1
	WHERE endpoint_id = $2 AND status = 1 AND held AND due_at > $1`

// UpdateEndpoint writes every field of ep but its creation time, which it
// reads back, and its secret and SecretKind when ep.Secret is empty; it sets
// UpdatedAt and prunes ep's expired previous secrets.
// Disabling the endpoint parks its deliveries; enabling it again puts them
// back in the queue, makes its held ones due (as a change of its URL does)
// and signals Due on every node.
func (s *Store) UpdateEndpoint(ctx context.Context, ep *hookline.Endpoint) error {
	if err := ep.CheckStorable(); err != nil {
		return err
	}
	t := hookline.Now()
	auth := s.box.SealAuth(ep, t)
	var kind *int16
	if auth.Secret != nil {
		k := int16(ep.SecretKind)
		kind = &k
	}
	var created time.Time
	var due bool
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		due = false
		old, err := s.scanEndpoint(tx.QueryRow(ctx, `SELECT `+endpointAllCols+` FROM endpoints
			WHERE app_id = $1 AND id = $2 FOR UPDATE`, ep.AppID, ep.ID))
		if err == pgx.ErrNoRows {
			return hookline.ErrEndpointNotFound
		}
		if err != nil {
			return err
		}
		ep.PrepareUpdate(old, t)
		err = tx.QueryRow(ctx, `UPDATE endpoints SET uid = $1, url = $2, description = $3, disabled = $4,
			event_types = $5, channels = $6, throttle_rate = $7, metadata = $8, headers = NULL,
			headers_sealed = $9, secret = coalesce($10, secret), updated_at = $11,
			secret_kind = coalesce($14, secret_kind), previous_secrets = $15, url_sealed = $16, mtls = $17, oauth = $18,
			disabled_reason = $19, disabled_at = $20
			WHERE app_id = $12 AND id = $13 RETURNING created_at`,
			ep.UID, auth.ShownURL, ep.Description, ep.Disabled, ep.EventTypes, ep.Channels, ep.ThrottleRate,
			jsonMap(ep.Metadata), auth.Headers, auth.Secret, t, ep.AppID, ep.ID,
			kind, auth.Previous, auth.URL, auth.MTLS, auth.OAuth,
			nullText(string(ep.DisabledReason)), ep.DisabledAt).Scan(&created)
		if err != nil {
			return err
		}
		if err := s.markClear(ctx, tx); err != nil {
			return err
		}
		// moved counts the deliveries put back in the queue, or due sooner.
		var moved pgconnTag
		switch {
		case !old.Disabled && ep.Disabled:
			_, err = tx.Exec(ctx, parkQuery, ep.ID)
		case old.Disabled && !ep.Disabled:
			// Back in the queue go the deliveries parked while it was disabled.
			moved, err = tx.Exec(ctx, unparkQuery, ep.ID)
		}
		due = moved.RowsAffected() > 0
		if err == nil && ep.ReleasesHeld(old) {
			moved, err = tx.Exec(ctx, releaseHeldQuery, t, ep.ID)
			due = due || moved.RowsAffected() > 0
		}
		if err == nil && due {
			err = s.notify(ctx, tx)
		}
		if err != nil {
			return err
		}
		return s.forgetOnCommit(ctx, tx)
	})
	s.forget()
	if hookline.ErrorCode(err) == hookline.ECONFLICT {
		return hookline.ErrEndpointConflict
	}
	if err != nil {
		return err
	}
	if due {
		s.signalDue()
	}
	ep.CreatedAt, ep.UpdatedAt = created.UTC(), t
	return nil
}

// DeleteEndpoint deletes the endpoint and its deliveries; its attempts stay.
func (s *Store) DeleteEndpoint(ctx context.Context, appID, id string) error {
	defer s.forget()
	return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		now := hookline.Now()
		tag, err := tx.Exec(ctx, sqlbuild.KeepDeletedEndpoint(sqlbuild.Dollar), now, appID, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return hookline.ErrEndpointNotFound
		}
		if _, err := tx.Exec(ctx, `DELETE FROM endpoints WHERE app_id = $1 AND id = $2`, appID, id); err != nil {
			return err
		}
		if _, err = tx.Exec(ctx, `UPDATE deliveries SET status = 2, due_at = NULL, next_attempt_at = NULL, held = false,
			updated_at = $1 WHERE endpoint_id = $2 AND status = 1`, now, id); err != nil {
			return err
		}
		return s.forgetOnCommit(ctx, tx)
	})
}

// ListEndpoints lists the application's endpoints by id.
func (s *Store) ListEndpoints(ctx context.Context, appID string, opts hookline.ListOptions) (hookline.Page[*hookline.Endpoint], error) {
	query, args, n := newQuery().ListEndpoints(`SELECT `+endpointAllCols+` FROM endpoints`, appID, opts)
	return list(ctx, s, query, args, n, func(r sqlbuild.Scanner) (*hookline.Endpoint, error) { return s.scanEndpoint(r) })
}

// endpointExists returns ENOTFOUND unless the application has the endpoint.
func (s *Store) endpointExists(ctx context.Context, appID, id string) error {
	return s.exists(ctx, hookline.ErrEndpointNotFound, `SELECT 1 FROM endpoints WHERE app_id = $1 AND id = $2`, appID, id)
}

// notify queues the Due notification of the store's schema in tx: PostgreSQL
// delivers it to every listening node when tx commits, never before.
func (s *Store) notify(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, s.channel)
	return err
}
