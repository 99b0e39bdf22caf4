package sqlite

import (
	"context"
	"time"
)

// CheckWrite rewrites the one row of write_check through the writer and
// waits until the WAL holding it is synced, at most once every
// hookline.WriteCheckEvery. A full disk, a read-only file system and a
// failed sync (after which the store refuses every write) are errors.
func (s *Store) CheckWrite(ctx context.Context) error {
	return s.writeCheck.Check(ctx, time.Now(), func(ctx context.Context) error {
		return s.write(ctx, func(w *writer) error {
			_, err := w.exec(`UPDATE write_check SET checked_at = ? WHERE id = 1`, micros(time.Now()))
			return clean(err)
		})
	})
}
