package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/hookline/hookline"
)

const eventTypeCols = `name, description, archived, deprecated, group_name, feature_flags, schemas, created_at, updated_at`

func scanEventType(r scanner) (*hookline.EventType, error) {
	var (
		et      hookline.EventType
		group   sql.NullString
		flags   sql.NullString
		schemas sql.NullString
		c, u    int64
	)
	if err := r.Scan(&et.Name, &et.Description, &et.Archived, &et.Deprecated, &group, &flags, &schemas, &c, &u); err != nil {
		return nil, err
	}
	if group.Valid {
		et.GroupName = &group.String
	}
	var err error
	if et.FeatureFlags, err = listOf(flags); err != nil {
		return nil, err
	}
	if schemas.Valid {
		et.Schemas = json.RawMessage(schemas.String)
	}
	et.CreatedAt, et.UpdatedAt = fromMicros(c), fromMicros(u)
	return &et, nil
}

func nullJSON(b json.RawMessage) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// CreateEventType stores et. A taken name is ECONFLICT, even when the event
// type of that name is archived.
func (s *Store) CreateEventType(ctx context.Context, et *hookline.EventType) error {
	if err := et.CheckStorable(); err != nil {
		return err
	}
	et.Prepare(hookline.Now())
	return s.write(ctx, func(w *writer) error {
		_, err := w.exec(`INSERT INTO event_types (`+eventTypeCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			et.Name, et.Description, boolInt(et.Archived), boolInt(et.Deprecated), nullString(et.GroupName), jsonList(et.FeatureFlags),
			nullJSON(et.Schemas), micros(et.CreatedAt), micros(et.UpdatedAt))
		if isUnique(err) {
			return clean(hookline.ErrEventTypeConflict)
		}
		return clean(err)
	})
}

// EventType returns the event type of this name, archived or not.
func (s *Store) EventType(ctx context.Context, name string) (*hookline.EventType, error) {
	et, err := scanEventType(s.queryRow(ctx,
		`SELECT `+eventTypeCols+` FROM event_types WHERE name = ?`, name))
	if err != nil {
		return nil, notFound(err, hookline.ErrEventTypeNotFound)
	}
	return et, nil
}

// UpdateEventType writes every field of et but its name and creation time,
// which it reads back; it sets UpdatedAt.
func (s *Store) UpdateEventType(ctx context.Context, et *hookline.EventType) error {
	if err := et.CheckStorable(); err != nil {
		return err
	}
	t := hookline.Now()
	var created int64
	err := s.write(ctx, func(w *writer) error {
		err := w.queryRow(`UPDATE event_types SET description = ?, archived = ?, deprecated = ?, group_name = ?,
			feature_flags = ?, schemas = ?, updated_at = ? WHERE name = ? RETURNING created_at`,
			et.Description, boolInt(et.Archived), boolInt(et.Deprecated), nullString(et.GroupName), jsonList(et.FeatureFlags),
			nullJSON(et.Schemas), micros(t), et.Name).Scan(&created)
		return clean(notFound(err, hookline.ErrEventTypeNotFound))
	})
	if err != nil {
		return err
	}
	et.CreatedAt, et.UpdatedAt = fromMicros(created), t
	return nil
}

// DeleteEventType archives the event type, or removes it when expunge is set.
func (s *Store) DeleteEventType(ctx context.Context, name string, expunge bool) error {
	return s.write(ctx, func(w *writer) error {
		if expunge {
			return w.changeOne(hookline.ErrEventTypeNotFound, `DELETE FROM event_types WHERE name = ?`, name)
		}
		return w.changeOne(hookline.ErrEventTypeNotFound,
			`UPDATE event_types SET archived = 1, updated_at = ? WHERE name = ?`, micros(hookline.Now()), name)
	})
}

// ListEventTypes lists event types by name.
func (s *Store) ListEventTypes(ctx context.Context, opts hookline.ListOptions, includeArchived bool) (hookline.Page[*hookline.EventType], error) {
	query, args, n := newQuery().ListEventTypes(`SELECT `+eventTypeCols+` FROM event_types`, opts, includeArchived)
	return list(ctx, s.rdb, query, args, n, scanEventType)
}
