package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
)

const eventTypeCols = `name, description, archived, deprecated, group_name, feature_flags, schemas, created_at, updated_at`

func scanEventType(r pgx.Row) (*hookline.EventType, error) {
	var (
		et      hookline.EventType
		schemas *string
		c, u    time.Time
	)
	if err := r.Scan(&et.Name, &et.Description, &et.Archived, &et.Deprecated, &et.GroupName, &et.FeatureFlags, &schemas, &c, &u); err != nil {
		return nil, err
	}
	if schemas != nil {
		et.Schemas = json.RawMessage(*schemas)
	}
	et.CreatedAt, et.UpdatedAt = c.UTC(), u.UTC()
	return &et, nil
}

// nullJSON stores nil as NULL and JSON as its text, as it was given.
func nullJSON(b json.RawMessage) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}

// CreateEventType stores et. A taken name is ECONFLICT, even when the event
// type of that name is archived.
func (s *Store) CreateEventType(ctx context.Context, et *hookline.EventType) error {
	if err := et.CheckStorable(); err != nil {
		return err
	}
	et.Prepare(hookline.Now())
	err := s.do(ctx, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `INSERT INTO event_types (`+eventTypeCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			et.Name, et.Description, et.Archived, et.Deprecated, et.GroupName, et.FeatureFlags, nullJSON(et.Schemas),
			et.CreatedAt, et.UpdatedAt)
		return err
	})
	if hookline.ErrorCode(err) == hookline.ECONFLICT {
		return hookline.ErrEventTypeConflict
	}
	return err
}

// EventType returns the event type of this name, archived or not.
func (s *Store) EventType(ctx context.Context, name string) (*hookline.EventType, error) {
	var et *hookline.EventType
	err := s.do(ctx, func(ctx context.Context) error {
		var err error
		et, err = scanEventType(s.pool.QueryRow(ctx, `SELECT `+eventTypeCols+` FROM event_types WHERE name = $1`, name))
		return err
	})
	if err != nil {
		return nil, notFound(ctx, err, hookline.ErrEventTypeNotFound)
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
	var created time.Time
	err := s.do(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `UPDATE event_types SET description = $1, archived = $2, deprecated = $3,
			group_name = $4, feature_flags = $5, schemas = $6, updated_at = $7 WHERE name = $8 RETURNING created_at`,
			et.Description, et.Archived, et.Deprecated, et.GroupName, et.FeatureFlags, nullJSON(et.Schemas), t, et.Name).Scan(&created)
	})
	if hookline.ErrorCode(err) == hookline.ENOTFOUND {
		return hookline.ErrEventTypeNotFound
	}
	if err != nil {
		return err
	}
	et.CreatedAt, et.UpdatedAt = created.UTC(), t
	return nil
}

// DeleteEventType archives the event type, or removes it when expunge is set.
func (s *Store) DeleteEventType(ctx context.Context, name string, expunge bool) error {
	if expunge {
		return s.changeOne(ctx, hookline.ErrEventTypeNotFound, `DELETE FROM event_types WHERE name = $1`, name)
	}
	return s.changeOne(ctx, hookline.ErrEventTypeNotFound,
		`UPDATE event_types SET archived = true, updated_at = $1 WHERE name = $2`, hookline.Now(), name)
}

// ListEventTypes lists event types by name.
func (s *Store) ListEventTypes(ctx context.Context, opts hookline.ListOptions, includeArchived bool) (hookline.Page[*hookline.EventType], error) {
	query, args, n := newQuery().ListEventTypes(`SELECT `+eventTypeCols+` FROM event_types`, opts, includeArchived)
	return list(ctx, s, query, args, n, func(r sqlbuild.Scanner) (*hookline.EventType, error) { return scanEventType(r) })
}
