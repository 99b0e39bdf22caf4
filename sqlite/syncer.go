package sqlite

import (
	"fmt"
	"os"
	"time"

	"github.com/hookline/hookline"
)

// WriterStats counts the work of the writer since Open.
type WriterStats struct {
	Commits    int64         // transactions committed
	Ops        int64         // operations in them (Ops/Commits is the mean batch)
	CommitTime time.Duration // spent in COMMIT (writing the WAL)
	Syncs      int64         // syncs of the WAL (each makes one or more commits durable)
	SyncTime   time.Duration // spent syncing
}

// Stats returns the counters of the writer.
func (s *Store) Stats() WriterStats {
	s.w.statsMu.Lock()
	defer s.w.statsMu.Unlock()
	return s.w.stats
}

// Figures reports the writer's counters (hookline.FigureReporter): the
// commits, the operations in them, and the time spent committing and
// syncing the WAL.
func (s *Store) Figures() []hookline.Figure {
	st := s.Stats()
	return []hookline.Figure{
		{Name: "sqlite_commits_total", Help: "Transactions the SQLite writer committed.", Counter: true, Value: float64(st.Commits)},
		{Name: "sqlite_operations_total", Help: "Operations in the committed transactions (per commit: divide by the commits).", Counter: true, Value: float64(st.Ops)},
		{Name: "sqlite_commit_seconds_total", Help: "Time spent in COMMIT, writing the WAL.", Counter: true, Value: st.CommitTime.Seconds()},
		{Name: "sqlite_syncs_total", Help: "Syncs of the WAL to disk; each makes one or more commits durable.", Counter: true, Value: float64(st.Syncs)},
		{Name: "sqlite_sync_seconds_total", Help: "Time spent syncing the WAL.", Counter: true, Value: st.SyncTime.Seconds()},
	}
}

// syncLoop makes commits durable and answers their ops. The writer commits
// with synchronous=NORMAL, which writes the WAL but does not sync it, and
// queues the ops of each commit here; this goroutine syncs the WAL once for
// every commit queued so far, then answers their ops. An op therefore
// returns nil only once its commit is on disk, as with synchronous=FULL,
// but the sync of one commit overlaps the work of the next ones instead of
// stalling the writer, and one sync often covers several commits.
func (s *Store) syncLoop() {
	defer close(s.syncDone)
	var pending []*op
	for ops := range s.syncq {
		pending = append(pending[:0], ops...)
		rounds := 1
	more:
		for {
			select {
			case ops, ok := <-s.syncq:
				if !ok {
					break more
				}
				pending = append(pending, ops...)
				rounds++
			default:
				break more
			}
		}
		t0 := time.Now()
		err := s.syncWAL()
		s.w.statsMu.Lock()
		s.w.stats.Syncs++
		s.w.stats.SyncTime += time.Since(t0)
		s.w.statsMu.Unlock()
		for _, o := range pending {
			o.done <- err
		}
		clear(pending)
		if s.syncing.Add(-int64(rounds)) == 0 {
			select {
			case s.syncIdle <- struct{}{}:
			default:
			}
		}
	}
}

// syncWAL syncs the WAL file. A failure leaves it unknown what reached the
// disk: the store refuses every later write.
func (s *Store) syncWAL() error {
	if err := s.brokenErr(); err != nil {
		return err
	}
	if s.wal == nil {
		f, err := os.OpenFile(s.walPath, os.O_RDWR, 0)
		if err != nil {
			return s.breakDown(err)
		}
		s.wal = f
	}
	if err := datasync(s.wal); err != nil {
		return s.breakDown(err)
	}
	return nil
}

func (s *Store) breakDown(err error) error {
	s.log.Error("sqlite: cannot sync the WAL; refusing further writes", "err", err)
	e := fmt.Errorf("sqlite: sync %s: %w: %w", s.walPath,
		hookline.Errorf(hookline.EUNAVAILABLE, "The database cannot be written."), err)
	s.brokenMu.Lock()
	defer s.brokenMu.Unlock()
	if s.broken == nil {
		s.broken = e
	}
	return s.broken
}

// brokenErr is the error of a failed sync, or nil.
func (s *Store) brokenErr() error {
	s.brokenMu.Lock()
	defer s.brokenMu.Unlock()
	return s.broken
}
