package sqlite

import (
	"database/sql"
	"errors"
	"math"
	"time"
)

// run executes a batch in one transaction and answers each op.
//
// The ops of a batch were all under way at once, so any order is a correct
// one: the writer runs the CreateMessage ops first, all together, and the
// others after them in the order they came.
//
// While the syncer is still syncing an earlier commit, the transaction stays
// open and takes in the ops that arrive meanwhile: the commit happens when
// the disk is free, and holds as many ops as came during one sync. The
// batch grows with the load, and an idle store commits at once.
//
// Savepoints cost: SQLite copies every page an op touches into a
// sub-journal so that it could roll the op back. So the batch first runs
// without them. An op that fails before writing (most failures: an unknown
// id, a taken key) needs no undo. Should an op fail after writing, the
// transaction is rolled back and the batch runs again, the ops before that
// one as before and from it on each in its own savepoint; should the
// messages taken together fail, the batch runs again with each message on
// its own. Such failures are rare, and cost one rerun.
func (w *writer) run(batch []*op) {
	errs := make([]error, len(batch))
	m := mode{coalesce: true, safeFrom: math.MaxInt, extend: true}
	for {
		again, err := w.try(&batch, &errs, &m)
		if err != nil {
			for i := range errs {
				if errs[i] == nil {
					errs[i] = err
				}
			}
			break
		}
		if !again {
			break
		}
	}
	settleFeed(batch, errs, w.committed)
	if !w.committed {
		for i, o := range batch {
			o.done <- errs[i]
		}
		return
	}
	// Committed, but not yet on disk: the syncer answers the ops that
	// succeeded once it has synced the WAL, while this goroutine goes on with
	// the next batch.
	wait := make([]*op, 0, len(batch))
	for i, o := range batch {
		if errs[i] != nil || o.early {
			o.done <- errs[i]
		} else {
			wait = append(wait, o)
		}
	}
	if len(wait) > 0 {
		w.s.syncing.Add(1)
		w.s.syncq <- wait
	}
}

// mode is how try runs a batch.
type mode struct {
	coalesce bool // run the CreateMessage ops together
	safeFrom int  // run the other ops from this index on in savepoints
	extend   bool // take in ops that arrive while the syncer is busy
}

// outcomes of execOps
const (
	execOK    = iota // the ops ran; go on
	execRerun        // rolled back; run the batch again as m now says
	execAbort        // rolled back; nothing left to commit
	execFail         // rolled back; the batch fails (w.fatal says why)
)

// try runs the batch once. It returns again when it rolled the transaction
// back and changed m for another run; otherwise the batch is done:
// committed, or rolled back because no op succeeded. An error is the
// failure of the transaction itself. The batch may grow (see run).
func (w *writer) try(batchp *[]*op, errsp *[]error, m *mode) (again bool, err error) {
	batch, errs := *batchp, *errsp
	clear(errs)
	w.committed = false
	w.due = false
	w.endpointsTouched = false
	err = w.control(&w.begin, "BEGIN IMMEDIATE")
	if err != nil {
		// A transaction left open by a failed rollback would fail every
		// later BEGIN: end it and try once more.
		_ = w.control(&w.rollback, "ROLLBACK")
		err = w.control(&w.begin, "BEGIN IMMEDIATE")
	}
	if err != nil {
		return false, dbErr(err)
	}
	ran := 0
	for from := 0; ; {
		n, status := w.execOps(batch, errs, from, m)
		switch status {
		case execRerun:
			return true, nil
		case execAbort:
			return false, nil
		case execFail:
			return false, dbErr(w.fatal)
		}
		ran += n
		if !m.extend || len(batch) >= maxBatch || w.s.syncing.Load() == 0 {
			break
		}
		more := w.waitMore(maxBatch - len(batch))
		if len(more) == 0 {
			break
		}
		from = len(batch)
		batch = append(batch, more...)
		errs = append(errs, make([]error, len(more))...)
		*batchp, *errsp = batch, errs
	}
	if ran == 0 {
		w.rollbackAll()
		return false, nil
	}
	t0 := time.Now()
	if err := w.control(&w.commit, "COMMIT"); err != nil {
		w.rollbackAll()
		return false, dbErr(err)
	}
	w.committed = true
	w.s.commits.Add(1)
	w.statsMu.Lock()
	w.stats.Commits++
	w.stats.Ops += int64(len(batch))
	w.stats.CommitTime += time.Since(t0)
	w.statsMu.Unlock()
	// The dispatcher is woken at COMMIT, before the syncer has made the WAL
	// durable: a receiver may see a message a moment before its publisher
	// gets the 202. A power failure in between loses a message whose publish
	// never succeeded (the publisher retries it), never one that was
	// accepted; waking after the sync would add a sync time to every
	// delivery's latency.
	if w.due {
		w.s.signalDue()
	}
	return false, nil
}

// waitMore waits for ops to arrive (and returns up to n of them) or for the
// syncer to finish (and returns none).
func (w *writer) waitMore(n int) []*op {
	select {
	case o, ok := <-w.s.ops:
		if !ok {
			return nil
		}
		return w.drain([]*op{o}, n)
	case <-w.s.syncIdle:
		return nil
	}
}

// execOps runs batch[from:] in the open transaction and returns how many ops
// succeeded. On execRerun and execAbort it has rolled the transaction back.
func (w *writer) execOps(batch []*op, errs []error, from int, m *mode) (int, int) {
	ran := 0
	if m.coalesce {
		var msgs []*msgOp
		var idx []int
		for i := from; i < len(batch); i++ {
			o := batch[i]
			if o.msg == nil {
				continue
			}
			if errs[i] = o.ctx.Err(); errs[i] == nil {
				msgs = append(msgs, o.msg)
				idx = append(idx, i)
			}
		}
		if len(msgs) > 0 {
			merrs := make([]error, len(msgs))
			if err := w.createMessages(msgs, merrs); err != nil {
				w.rollbackAll()
				if isFatal(err) {
					w.fatal = err
					return 0, execFail
				}
				m.coalesce, m.extend = false, false
				return 0, execRerun
			}
			for j, i := range idx {
				if merrs[j] != nil {
					errs[i], _ = unclean(merrs[j])
				} else {
					ran++
				}
			}
		}
	}
	for i := from; i < len(batch); i++ {
		o := batch[i]
		if o.msg != nil && m.coalesce {
			continue
		}
		if err := o.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		w.cacheDirty = false
		if i < m.safeFrom {
			if err := o.fn(w); err != nil {
				var isClean bool
				err, isClean = unclean(err)
				if isFatal(err) {
					// SQLite may have ended the transaction itself.
					w.rollbackAll()
					w.fatal = err
					return 0, execFail
				}
				if isClean {
					errs[i] = dbErr(err)
					continue
				}
				w.rollbackAll()
				if w.alone(batch, i) {
					errs[i] = dbErr(err)
					return 0, execAbort // nothing else to run again
				}
				m.safeFrom, m.extend = i, false
				return 0, execRerun
			}
		} else if err := w.inSavepoint(o.fn); err != nil {
			err, _ = unclean(err)
			if isFatal(err) {
				w.rollbackAll()
				w.fatal = err
				return 0, execFail
			}
			errs[i] = dbErr(err)
			if w.cacheDirty {
				clear(w.cache)
			}
			continue
		}
		ran++
	}
	return ran, execOK
}

// alone reports whether batch[i] is the only op of the batch that could
// still commit.
func (w *writer) alone(batch []*op, i int) bool {
	for j, o := range batch {
		if j != i && o.ctx.Err() == nil {
			return false
		}
	}
	return true
}

// rollbackAll rolls the transaction back, and with it what the cache may
// have read of endpoints written in it.
func (w *writer) rollbackAll() {
	_ = w.control(&w.rollback, "ROLLBACK")
	if w.endpointsTouched {
		clear(w.cache)
	}
}

// inSavepoint runs fn in a savepoint, rolled back when fn fails.
func (w *writer) inSavepoint(fn func(w *writer) error) error {
	if err := w.control(&w.savepoint, "SAVEPOINT op"); err != nil {
		return err
	}
	err := fn(w)
	if err != nil {
		if rerr := w.control(&w.rollbackTo, "ROLLBACK TO op"); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	if rerr := w.control(&w.release, "RELEASE op"); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

func (w *writer) control(st **sql.Stmt, q string) error {
	if *st == nil {
		p, err := w.conn.PrepareContext(w.ctx, q)
		if err != nil {
			return err
		}
		*st = p
	}
	_, err := (*st).ExecContext(w.ctx)
	return err
}
