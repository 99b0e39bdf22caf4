package postgres

import (
	"context"
	"time"
)

// CheckWrite rewrites the one row of write_check in a transaction of its
// own, whose commit PostgreSQL flushes, at most once every
// hookline.WriteCheckEvery. A database that refuses writes (a standby, a
// read-only transaction default, a full disk) or cannot be reached is an
// error.
func (s *Store) CheckWrite(ctx context.Context) error {
	return s.writeCheck.Check(ctx, time.Now(), func(ctx context.Context) error {
		return s.do(ctx, func(ctx context.Context) error {
			_, err := s.pool.Exec(ctx, `UPDATE write_check SET checked_at = now() WHERE id = 1`)
			return err
		})
	})
}
