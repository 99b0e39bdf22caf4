package sqlite

import (
	"database/sql"
	"errors"

	"github.com/hookline/hookline"
)

// appEndpoints is an application's endpoints as the writer last read them.
type appEndpoints struct {
	list  []*hookline.Endpoint // by id
	byID  map[string]*hookline.Endpoint
	byUID map[string]*hookline.Endpoint
	// throttle is the application's throttleRate.
	throttle *int
}

// maxCachedApps bounds the cache; past it the cache starts over.
const maxCachedApps = 10000

// endpoints returns the endpoints of the application appID, and its
// throttleRate, or ENOTFOUND when there is no such application.
func (w *writer) endpoints(appID string) (*appEndpoints, error) {
	if c, ok := w.cache[appID]; ok {
		return c, nil
	}
	var throttle sql.NullInt64
	if err := w.queryRow(`SELECT throttle_rate FROM applications WHERE id = ?`, appID).Scan(&throttle); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, hookline.ErrApplicationNotFound
		}
		return nil, err
	}
	rows, err := w.query(`SELECT `+endpointCols+` FROM endpoints WHERE app_id = ? ORDER BY id`, appID)
	if err != nil {
		return nil, err
	}
	c := &appEndpoints{byID: map[string]*hookline.Endpoint{}, byUID: map[string]*hookline.Endpoint{}}
	if throttle.Valid {
		r := int(throttle.Int64)
		c.throttle = &r
	}
	for rows.Next() {
		ep, err := w.s.scanEndpoint(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		c.list = append(c.list, ep)
		c.byID[ep.ID] = ep
		if ep.UID != nil {
			c.byUID[*ep.UID] = ep
		}
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(w.cache) >= maxCachedApps {
		clear(w.cache)
	}
	w.cache[appID] = c
	return c, nil
}

// endpointsChanged drops the cached endpoints of appID; every write to an
// endpoint, or to the application's throttleRate, calls it.
func (w *writer) endpointsChanged(appID string) {
	delete(w.cache, appID)
	w.cacheDirty = true
	w.endpointsTouched = true
}
