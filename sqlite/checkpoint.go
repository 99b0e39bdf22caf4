package sqlite

import (
	"context"
	"time"
)

// checkpointEvery is how often the checkpointer looks for new commits;
// restartEvery how often at most it makes the WAL start over.
const (
	checkpointEvery = 100 * time.Millisecond
	restartEvery    = time.Second
)

// checkpointLoop copies committed pages from the WAL into the database file
// on its own connection, so that no commit waits for a checkpoint (SQLite's
// automatic checkpoint runs inside the commit that crosses its threshold).
//
// A passive checkpoint blocks nobody, but under a steady stream of commits
// it never catches up with the end of the WAL, and the WAL only starts over
// from its beginning once a checkpoint has caught up: the file would grow
// for as long as the stream lasts, and appending to a file makes every sync
// dearer than overwriting it. So now and then, right after a passive
// checkpoint has done the bulk of the copying, the checkpointer asks the
// writer to checkpoint the few frames committed meanwhile between two
// batches; the next transaction then starts the WAL over.
func (s *Store) checkpointLoop(ctx context.Context) {
	defer close(s.checkpointDone)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	var seen int64
	var restarted time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n := s.commits.Load()
		if n == seen {
			continue
		}
		seen = n
		var busy, log, done int64
		err := s.cdb.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done)
		if err != nil {
			s.log.Warn("sqlite: checkpoint failed", "err", err)
			continue
		}
		if log > 0 && time.Since(restarted) >= restartEvery {
			restarted = time.Now()
			s.tailCheckpoint.Store(true)
		}
	}
}
