package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
)

// taskCols are the columns of a background task, which scanTask reads.
const taskCols = `id, app_id, task, status, params, cursor, data, lease_owner, lease_until, created_at, updated_at, expires_at`

func scanTask(row pgx.Row) (*hookline.BackgroundTask, error) {
	var (
		t                hookline.BackgroundTask
		typ, status      string
		params, data     []byte
		owner            *string
		until, expires   *time.Time
		created, updated time.Time
	)
	err := row.Scan(&t.ID, &t.AppID, &typ, &status, &params, &t.Cursor, &data, &owner, &until, &created, &updated, &expires)
	if err != nil {
		return nil, err
	}
	t.Type, t.Status = hookline.TaskType(typ), hookline.TaskStatus(status)
	t.Params, t.Data = params, data
	if owner != nil {
		t.LeaseOwner = *owner
	}
	t.LeaseUntil, t.ExpiresAt = utc(until), utc(expires)
	t.CreatedAt, t.UpdatedAt = created.UTC(), updated.UTC()
	return &t, nil
}

// CreateBackgroundTask stores t as Prepare makes it.
func (s *Store) CreateBackgroundTask(ctx context.Context, t *hookline.BackgroundTask) error {
	t.Prepare(hookline.Now())
	_, err := s.exec(ctx, `INSERT INTO background_tasks (`+taskCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (id) DO NOTHING`,
		t.ID, t.AppID, string(t.Type), string(t.Status), string(t.Params), t.Cursor, string(t.Data),
		nullText(t.LeaseOwner), t.LeaseUntil, t.CreatedAt, t.UpdatedAt, t.ExpiresAt)
	return err
}

// BackgroundTask returns the task with this id, of the application appID
// unless appID is "".
func (s *Store) BackgroundTask(ctx context.Context, appID, id string) (*hookline.BackgroundTask, error) {
	var t *hookline.BackgroundTask
	err := s.do(ctx, func(ctx context.Context) error {
		var err error
		t, err = scanTask(s.pool.QueryRow(ctx, `SELECT `+taskCols+` FROM background_tasks
			WHERE id = $1 AND ($2 = '' OR app_id = $2)`, id, appID))
		return err
	})
	if hookline.ErrorCode(err) == hookline.ENOTFOUND {
		return nil, hookline.ErrTaskNotFound
	}
	return t, err
}

// ListBackgroundTasks lists the tasks of the application appID, or of
// every application when appID is "", by id.
func (s *Store) ListBackgroundTasks(ctx context.Context, appID string, f hookline.TaskFilter) (hookline.Page[*hookline.BackgroundTask], error) {
	query, args, n := newQuery().ListBackgroundTasks(`SELECT `+taskCols+` FROM background_tasks`, appID, f)
	return list(ctx, s, query, args, n, func(r sqlbuild.Scanner) (*hookline.BackgroundTask, error) { return scanTask(r) })
}

// ClaimBackgroundTask leases the oldest running task whose lease is free
// at now to owner. Runners of several nodes skip the row another is
// claiming (SKIP LOCKED): one of them gets it.
func (s *Store) ClaimBackgroundTask(ctx context.Context, owner string, now time.Time, lease time.Duration) (*hookline.BackgroundTask, error) {
	var t *hookline.BackgroundTask
	err := s.do(ctx, func(ctx context.Context) error {
		var err error
		t, err = scanTask(s.pool.QueryRow(ctx, `UPDATE background_tasks SET lease_owner = $1, lease_until = $2
			WHERE id = (SELECT id FROM background_tasks WHERE status = 'running'
				AND (lease_until IS NULL OR lease_until <= $3 OR lease_owner = $1) ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
			RETURNING `+taskCols, owner, now.Add(lease), now))
		return err
	})
	if hookline.ErrorCode(err) == hookline.ENOTFOUND {
		return nil, nil
	}
	return t, err
}

// SaveBackgroundTask writes t's progress while owner holds its lease.
func (s *Store) SaveBackgroundTask(ctx context.Context, owner string, t *hookline.BackgroundTask) error {
	t.UpdatedAt = hookline.StoredTime(t.UpdatedAt)
	return s.changeOne(ctx, hookline.ErrTaskLeaseLost, `UPDATE background_tasks SET status = $1, cursor = $2, data = $3,
			lease_owner = $4, lease_until = $5, updated_at = $6, expires_at = $7
		WHERE id = $8 AND lease_owner = $9 AND status = 'running'`,
		string(t.Status), t.Cursor, string(t.Data), nullText(t.LeaseOwner), t.LeaseUntil, t.UpdatedAt, t.ExpiresAt, t.ID, owner)
}

// ReplayMissing creates a pending, manual delivery to the endpoint for each
// message of msgIDs that has none, in one transaction; every node's
// dispatcher is notified when it created any.
func (s *Store) ReplayMissing(ctx context.Context, appID, endpointID string, msgIDs []string) (int, error) {
	t := hookline.Now()
	n, err := s.requeue(ctx, s.tx, func(ctx context.Context, tx pgx.Tx) (int64, error) {
		due, err := dueAt(ctx, tx, appID, endpointID, t)
		if err != nil {
			return 0, err
		}
		var n int64
		for _, id := range msgIDs {
			tag, err := tx.Exec(ctx, `INSERT INTO deliveries (id, app_id, message_id, endpoint_id, status, trigger_type,
					attempts, next_attempt_at, due_at, msg_created_at, created_at, updated_at)
				SELECT $1, $2, m.id, $4, 1, 1, 0, $5, $6, m.created_at, $5, $5 FROM messages m WHERE m.app_id = $2 AND m.id = $3 FOR SHARE
				ON CONFLICT (endpoint_id, message_id) DO NOTHING`,
				hookline.NewID(hookline.PrefixDelivery), appID, id, endpointID, t, due)
			if err != nil {
				return 0, err
			}
			n += tag.RowsAffected()
		}
		return n, nil
	})
	return int(n), err
}
