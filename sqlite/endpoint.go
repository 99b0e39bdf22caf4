package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
)

// endpointCols are the columns of an endpoint; secret, headers_sealed and
// those from secret_kind on hold its secrets, sealed (see
// hookline.SecretBox.SealAuth); headers is where versions before
// headers_sealed kept the headers in clear; disabled_reason and disabled_at
// say why and since when a disabled endpoint is.
const endpointCols = `id, app_id, uid, url, description, disabled, event_types, channels, throttle_rate,
	metadata, headers, secret, created_at, updated_at, secret_kind, previous_secrets, url_sealed, mtls, oauth,
	headers_sealed, disabled_reason, disabled_at`

// endpointRow holds the scan targets of endpointCols.
type endpointRow struct {
	ep                    hookline.Endpoint
	uid                   sql.NullString
	types, channels, meta sql.NullString
	throttle              sql.NullInt64
	c, u                  int64
	kind                  sql.NullInt64
	auth                  hookline.SealedAuth
	disabledReason        sql.NullString
	disabledAt            sql.NullInt64
}

func (r *endpointRow) dest() []any {
	return []any{&r.ep.ID, &r.ep.AppID, &r.uid, &r.ep.URL, &r.ep.Description, &r.ep.Disabled, &r.types,
		&r.channels, &r.throttle, &r.meta, &r.auth.ClearHeaders, &r.auth.Secret, &r.c, &r.u,
		&r.kind, &r.auth.Previous, &r.auth.URL, &r.auth.MTLS, &r.auth.OAuth, &r.auth.Headers,
		&r.disabledReason, &r.disabledAt}
}

// shownDest returns the scan targets of sqlbuild.ShownEndpointCols.
func (r *endpointRow) shownDest() []any {
	return []any{&r.ep.ID, &r.ep.AppID, &r.uid, &r.ep.URL, &r.ep.Description, &r.ep.Disabled, &r.types,
		&r.channels, &r.throttle, &r.meta, &r.c, &r.u, &r.disabledReason, &r.disabledAt}
}

// shown returns the endpoint of the shown columns r holds, without its
// secrets and headers.
func (r *endpointRow) shown() (*hookline.Endpoint, error) {
	ep := r.ep
	var err error
	ep.UID = stringPtrOf(r.uid)
	ep.ThrottleRate = intPtrOf(r.throttle)
	if ep.EventTypes, err = listOf(r.types); err != nil {
		return nil, err
	}
	if ep.Channels, err = listOf(r.channels); err != nil {
		return nil, err
	}
	if ep.Metadata, err = mapOf(r.meta); err != nil {
		return nil, err
	}
	ep.CreatedAt, ep.UpdatedAt = fromMicros(r.c), fromMicros(r.u)
	ep.DisabledReason, ep.DisabledAt = hookline.DisabledReason(r.disabledReason.String), timePtrOf(r.disabledAt)
	return &ep, nil
}

func (s *Store) endpointOf(r *endpointRow) (*hookline.Endpoint, error) {
	ep, err := r.shown()
	if err != nil {
		return nil, err
	}
	ep.SecretKind = hookline.SecretKind(r.kind.Int64)
	if err := s.box.OpenAuth(&r.auth, ep, hookline.Now()); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return ep, nil
}

func (s *Store) scanEndpoint(sc scanner) (*hookline.Endpoint, error) {
	var r endpointRow
	if err := sc.Scan(r.dest()...); err != nil {
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
	return s.write(ctx, func(w *writer) error {
		eps, err := w.endpoints(ep.AppID)
		if err != nil {
			return clean(err)
		}
		if max > 0 && len(eps.list) >= max {
			return clean(hookline.ErrTooManyEndpoints(max))
		}
		_, err = w.exec(`INSERT INTO endpoints (`+endpointCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ep.ID, ep.AppID, nullString(ep.UID), auth.ShownURL, ep.Description, boolInt(ep.Disabled),
			jsonList(ep.EventTypes), jsonList(ep.Channels), nullInt(ep.ThrottleRate), jsonMap(ep.Metadata),
			auth.Secret, micros(ep.CreatedAt), micros(ep.UpdatedAt), int64(ep.SecretKind), nullBytes(auth.Previous),
			nullBytes(auth.URL), nullBytes(auth.MTLS), nullBytes(auth.OAuth), nullBytes(auth.Headers),
			nullText(string(ep.DisabledReason)), nullTimePtr(ep.DisabledAt))
		w.endpointsChanged(ep.AppID)
		if isUnique(err) {
			return clean(hookline.ErrEndpointConflict)
		}
		if err != nil {
			return clean(err)
		}
		return s.markClear(w)
	})
}

// Endpoint returns the endpoint of the application with this id or uid.
func (s *Store) Endpoint(ctx context.Context, appID, idOrUID string) (*hookline.Endpoint, error) {
	ep, err := s.scanEndpoint(s.queryRow(ctx,
		`SELECT `+endpointCols+` FROM endpoints WHERE app_id = ? AND (id = ? OR uid = ?) LIMIT 1`,
		appID, idOrUID, idOrUID))
	if err != nil {
		return nil, notFound(err, hookline.ErrEndpointNotFound)
	}
	return ep, nil
}

// releaseHeldQuery makes the held deliveries of the endpoint ?2 due at ?1
// (see hookline.Endpoint.ReleasesHeld).
const releaseHeldQuery = `UPDATE deliveries SET next_attempt_at = ?1, due_at = ?1
	WHERE endpoint_id = ?2 AND status = 1 AND held = 1 AND due_at > ?1`

// UpdateEndpoint writes every field of ep but its creation time, which it
// reads back, and its secret and SecretKind when ep.Secret is empty; it sets
// UpdatedAt and prunes ep's expired previous secrets.
func (s *Store) UpdateEndpoint(ctx context.Context, ep *hookline.Endpoint) error {
	if err := ep.CheckStorable(); err != nil {
		return err
	}
	t := hookline.Now()
	auth := s.box.SealAuth(ep, t)
	var kind any
	if auth.Secret != nil {
		kind = int64(ep.SecretKind)
	}
	var created int64
	err := s.write(ctx, func(w *writer) error {
		eps, err := w.endpoints(ep.AppID)
		if err != nil {
			return clean(notFoundAs(err, hookline.ErrEndpointNotFound))
		}
		old := eps.byID[ep.ID]
		if old == nil {
			return clean(hookline.ErrEndpointNotFound)
		}
		ep.PrepareUpdate(old, t)
		err = w.queryRow(`UPDATE endpoints SET uid = ?, url = ?, description = ?, disabled = ?, event_types = ?,
			channels = ?, throttle_rate = ?, metadata = ?, headers = NULL, secret = coalesce(?, secret),
			secret_kind = coalesce(?, secret_kind), previous_secrets = ?, url_sealed = ?, mtls = ?, oauth = ?,
			headers_sealed = ?, updated_at = ?, disabled_reason = ?, disabled_at = ?
			WHERE app_id = ? AND id = ? RETURNING created_at`,
			nullString(ep.UID), auth.ShownURL, ep.Description, boolInt(ep.Disabled), jsonList(ep.EventTypes),
			jsonList(ep.Channels), nullInt(ep.ThrottleRate), jsonMap(ep.Metadata), nullBytes(auth.Secret),
			kind, nullBytes(auth.Previous), nullBytes(auth.URL), nullBytes(auth.MTLS), nullBytes(auth.OAuth),
			nullBytes(auth.Headers), micros(t), nullText(string(ep.DisabledReason)), nullTimePtr(ep.DisabledAt),
			ep.AppID, ep.ID).Scan(&created)
		w.endpointsChanged(ep.AppID)
		if isUnique(err) {
			return clean(hookline.ErrEndpointConflict)
		}
		if err != nil {
			return clean(notFound(err, hookline.ErrEndpointNotFound))
		}
		if err := s.markClear(w); err != nil {
			return err
		}
		if old.Disabled && !ep.Disabled {
			// Back in the queue go the deliveries parked while it was disabled.
			_, err = w.exec(`UPDATE deliveries SET due_at = CASE status WHEN 1 THEN next_attempt_at ELSE lease_until END
				WHERE endpoint_id = ? AND status IN (1, 3) AND due_at IS NULL`, ep.ID)
			if err != nil {
				return err
			}
			w.due = true
		}
		if ep.ReleasesHeld(old) {
			n, err := w.affected(releaseHeldQuery, micros(t), ep.ID)
			if err != nil {
				return err
			}
			w.due = w.due || n > 0
		}
		return nil
	})
	if err != nil {
		return err
	}
	ep.CreatedAt, ep.UpdatedAt = fromMicros(created), t
	return nil
}

// DeleteEndpoint deletes the endpoint. What the API shows of it moves to
// deleted_endpoints, and its deliveries stay, so that it is still among
// the destinations of its messages; those waiting for an attempt fail, and
// one in flight ends as its attempt does. Its attempts stay.
func (s *Store) DeleteEndpoint(ctx context.Context, appID, id string) error {
	now := micros(hookline.Now())
	return s.write(ctx, func(w *writer) error {
		if err := w.changeOne(hookline.ErrEndpointNotFound, sqlbuild.KeepDeletedEndpoint(sqlbuild.Question), now, appID, id); err != nil {
			return err
		}
		if _, err := w.exec(`DELETE FROM endpoints WHERE app_id = ? AND id = ?`, appID, id); err != nil {
			return err
		}
		w.endpointsChanged(appID)
		_, err := w.exec(`UPDATE deliveries SET status = 2, due_at = NULL, next_attempt_at = NULL, held = 0, updated_at = ?
			WHERE endpoint_id = ? AND status = 1`, now, id)
		return err
	})
}

// ListEndpoints lists the application's endpoints by id.
func (s *Store) ListEndpoints(ctx context.Context, appID string, opts hookline.ListOptions) (hookline.Page[*hookline.Endpoint], error) {
	query, args, n := newQuery().ListEndpoints(`SELECT `+endpointCols+` FROM endpoints`, appID, opts)
	return list(ctx, s.rdb, query, args, n, s.scanEndpoint)
}

// endpointExists returns ENOTFOUND unless the application has the endpoint.
func (s *Store) endpointExists(ctx context.Context, appID, id string) error {
	var one int
	err := s.queryRow(ctx, `SELECT 1 FROM endpoints WHERE app_id = ? AND id = ?`, appID, id).Scan(&one)
	return notFound(err, hookline.ErrEndpointNotFound)
}
