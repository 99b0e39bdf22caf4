package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/hookline/hookline"
)

// taskCols are the columns of a background task, which scanTask reads.
const taskCols = `id, app_id, task, status, params, cursor, data, lease_owner, lease_until, created_at, updated_at, expires_at`

func scanTask(sc scanner) (*hookline.BackgroundTask, error) {
	var (
		t                hookline.BackgroundTask
		typ, status      string
		params, data     string
		owner            sql.NullString
		until, expires   sql.NullInt64
		created, updated int64
	)
	err := sc.Scan(&t.ID, &t.AppID, &typ, &status, &params, &t.Cursor, &data, &owner, &until, &created, &updated, &expires)
	if err != nil {
		return nil, err
	}
	t.Type, t.Status = hookline.TaskType(typ), hookline.TaskStatus(status)
	t.Params, t.Data = []byte(params), []byte(data)
	t.LeaseOwner, t.LeaseUntil = owner.String, timePtrOf(until)
	t.CreatedAt, t.UpdatedAt = fromMicros(created), fromMicros(updated)
	t.ExpiresAt = timePtrOf(expires)
	return &t, nil
}

// CreateBackgroundTask stores t as Prepare makes it.
func (s *Store) CreateBackgroundTask(ctx context.Context, t *hookline.BackgroundTask) error {
	t.Prepare(hookline.Now())
	return s.write(ctx, func(w *writer) error {
		_, err := w.exec(`INSERT INTO background_tasks (`+taskCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.AppID, string(t.Type), string(t.Status), string(t.Params), t.Cursor, string(t.Data),
			nullText(t.LeaseOwner), nullTimePtr(t.LeaseUntil), micros(t.CreatedAt), micros(t.UpdatedAt), nullTimePtr(t.ExpiresAt))
		return clean(err)
	})
}

// BackgroundTask returns the task with this id, of the application appID
// unless appID is "".
func (s *Store) BackgroundTask(ctx context.Context, appID, id string) (*hookline.BackgroundTask, error) {
	t, err := scanTask(s.queryRow(ctx, `SELECT `+taskCols+` FROM background_tasks WHERE id = ? AND (? = '' OR app_id = ?)`,
		id, appID, appID))
	if err != nil {
		return nil, notFound(err, hookline.ErrTaskNotFound)
	}
	return t, nil
}

// ListBackgroundTasks lists the tasks of the application appID, or of
// every application when appID is "", by id.
func (s *Store) ListBackgroundTasks(ctx context.Context, appID string, f hookline.TaskFilter) (hookline.Page[*hookline.BackgroundTask], error) {
	query, args, n := newQuery().ListBackgroundTasks(`SELECT `+taskCols+` FROM background_tasks`, appID, f)
	return list(ctx, s.rdb, query, args, n, scanTask)
}

// ClaimBackgroundTask leases the oldest running task whose lease is free
// at now to owner, in one op of the writer.
func (s *Store) ClaimBackgroundTask(ctx context.Context, owner string, now time.Time, lease time.Duration) (*hookline.BackgroundTask, error) {
	var t *hookline.BackgroundTask
	err := s.write(ctx, func(w *writer) error {
		var err error
		t, err = scanTask(w.queryRow(`UPDATE background_tasks SET lease_owner = ?, lease_until = ?
			WHERE id = (SELECT id FROM background_tasks WHERE status = 'running'
				AND (lease_until IS NULL OR lease_until <= ? OR lease_owner = ?) ORDER BY id LIMIT 1)
			RETURNING `+taskCols, owner, micros(now.Add(lease)), micros(now), owner))
		if err == sql.ErrNoRows {
			t, err = nil, nil
		}
		return clean(err)
	})
	return t, err
}

// SaveBackgroundTask writes t's progress while owner holds its lease.
func (s *Store) SaveBackgroundTask(ctx context.Context, owner string, t *hookline.BackgroundTask) error {
	t.UpdatedAt = hookline.StoredTime(t.UpdatedAt)
	return s.write(ctx, func(w *writer) error {
		return w.changeOne(hookline.ErrTaskLeaseLost, `UPDATE background_tasks SET status = ?, cursor = ?, data = ?,
				lease_owner = ?, lease_until = ?, updated_at = ?, expires_at = ?
			WHERE id = ? AND lease_owner = ? AND status = 'running'`,
			string(t.Status), t.Cursor, string(t.Data), nullText(t.LeaseOwner), nullTimePtr(t.LeaseUntil),
			micros(t.UpdatedAt), nullTimePtr(t.ExpiresAt), t.ID, owner)
	})
}

// ReplayMissing creates a pending, manual delivery to the endpoint for each
// message of msgIDs that has none, in one op of the writer.
func (s *Store) ReplayMissing(ctx context.Context, appID, endpointID string, msgIDs []string) (int, error) {
	t := micros(hookline.Now())
	var n int
	err := s.write(ctx, func(w *writer) error {
		due, err := w.dueAt(appID, endpointID, t)
		if err != nil {
			return err
		}
		for _, id := range msgIDs {
			var seq, created int64
			err := w.queryRow(`SELECT seq, created_at FROM messages WHERE app_id = ? AND id = ?`, appID, id).Scan(&seq, &created)
			if err == sql.ErrNoRows {
				continue
			}
			if err != nil {
				return err
			}
			w.delSeq++
			added, err := w.affected(`INSERT INTO deliveries (`+delInsertCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (endpoint_id, message_id) DO NOTHING`,
				w.delSeq, deliveryID(t/1000, w.delSeq), appID, seq, id, endpointID, int64(hookline.StatusPending),
				int64(hookline.TriggerManual), 0, t, due, created, t, t)
			if err != nil {
				return err
			}
			n += int(added)
		}
		if n > 0 {
			w.due = true
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
