package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/hookline/hookline"
)

type op struct {
	ctx  context.Context
	fn   func(w *writer) error
	done chan error
	// msg, when set, is a CreateMessage the writer may run together with
	// the others of its batch; fn runs it alone.
	msg *msgOp
	// early answers the op when its transaction has committed, without
	// waiting for the WAL to reach the disk (a claim, a Complete: losing a
	// lease or an outcome to a power failure only makes deliveries due
	// again).
	early bool
	// lazy, with early, marks an op whose commit may wait: a batch of lazy
	// ops only waits up to lazyWait for another op to commit with (see
	// linger).
	lazy bool
}

// lazyWait is how long at most a batch of lazy ops waits for company. At low
// load every outcome would otherwise pay a commit of its own, about as dear
// as the message's it follows.
const lazyWait = 2 * time.Millisecond

// cleanError is the error of an op that failed before it wrote anything: no
// rollback is needed to undo it.
type cleanError struct{ err error }

func (e *cleanError) Error() string { return e.err.Error() }
func (e *cleanError) Unwrap() error { return e.err }

// clean marks err as the failure of an op that wrote nothing: a check that
// failed, or the first (and so far only) write statement of the op, which
// SQLite undid by itself.
func clean(err error) error {
	if err == nil {
		return nil
	}
	return &cleanError{err}
}

// unclean returns err without its clean mark, and whether it had one.
func unclean(err error) (error, bool) {
	var ce *cleanError
	if errors.As(err, &ce) {
		return ce.err, true
	}
	return err, false
}

// writer owns the one writing connection. Everything it holds is touched by
// the writer goroutine only, inside the transaction of the current batch.
type writer struct {
	s     *Store
	conn  *sql.Conn
	ctx   context.Context // the writer's own: an op's statements are shared work
	stmts map[string]*sql.Stmt

	valuesCache map[[2]int]string

	// cache holds each application's endpoints, loaded inside a transaction
	// and dropped by every write to that application's endpoints.
	cache map[string]*appEndpoints
	// cacheDirty is set by an op that wrote endpoints; if the op fails, the
	// whole cache is dropped (it may hold rows its savepoint rolled back).
	// endpointsTouched is the same for the whole transaction.
	cacheDirty, endpointsTouched bool
	// due is set by an op that made deliveries due; Due is signalled after
	// the commit.
	due bool
	// feed, when set, takes the deliveries due at once that CreateMessage
	// makes (see hookline.Feed).
	feed hookline.Feed

	statsMu sync.Mutex
	stats   WriterStats

	committed bool  // the last try committed
	fatal     error // why execOps failed the batch

	// msgSeq and delSeq are the last seq given to a message and a delivery.
	// A rolled-back transaction leaves a gap, which is harmless.
	msgSeq, delSeq int64

	begin, commit, rollback, savepoint, release, rollbackTo *sql.Stmt
}

func newWriter(s *Store, conn *sql.Conn) (*writer, error) {
	w := &writer{
		s:     s,
		conn:  conn,
		ctx:   context.Background(),
		stmts: make(map[string]*sql.Stmt),

		valuesCache: make(map[[2]int]string),
		cache:       make(map[string]*appEndpoints),
	}
	if err := conn.QueryRowContext(w.ctx, `SELECT coalesce(max(seq), 0) FROM messages`).Scan(&w.msgSeq); err != nil {
		return nil, err
	}
	if err := conn.QueryRowContext(w.ctx, `SELECT coalesce(max(seq), 0) FROM deliveries`).Scan(&w.delSeq); err != nil {
		return nil, err
	}
	return w, nil
}

// write queues fn to the writer and waits for the commit of its batch. fn
// runs in the batch's transaction; when it returns an error, what it wrote
// is rolled back and the other operations of the batch are not affected.
func (s *Store) write(ctx context.Context, fn func(w *writer) error) error {
	return s.submit(&op{ctx: ctx, fn: fn, done: make(chan error, 1)})
}

func (s *Store) submit(o *op) error {
	if err := s.brokenErr(); err != nil {
		return err
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return errClosed
	}
	select {
	case s.ops <- o:
	case <-o.ctx.Done():
		s.mu.RUnlock()
		return o.ctx.Err()
	}
	s.mu.RUnlock()
	select {
	case err := <-o.done:
		return err
	case <-o.ctx.Done():
		return o.ctx.Err()
	}
}

var errClosed = hookline.Errorf(hookline.EUNAVAILABLE, "The store is closed.")

// chore is work for the writer's connection outside any transaction
// (VACUUM cannot run in one), which the writer runs between two batches.
type chore struct {
	ctx  context.Context
	fn   func(ctx context.Context, conn *sql.Conn) error
	done chan error
}

// outside runs fn on the writer's connection between two batches, outside
// any transaction, and returns its error.
func (s *Store) outside(ctx context.Context, fn func(ctx context.Context, conn *sql.Conn) error) error {
	c := &chore{ctx: ctx, fn: fn, done: make(chan error, 1)}
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return errClosed
	}
	select {
	case s.chores <- c:
	case <-s.writerDone:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-c.done
}

func (w *writer) loop() {
	defer close(w.s.writerDone)
	defer close(w.s.syncq)
	for {
		var o *op
		select {
		case c := <-w.s.chores:
			c.done <- c.fn(c.ctx, w.conn)
			continue
		case next, ok := <-w.s.ops:
			if !ok {
				return
			}
			o = next
		}
		batch := w.drain([]*op{o}, maxBatch)
		if allLazy(batch) {
			batch = w.linger(batch)
		}
		w.run(batch)
		if w.s.tailCheckpoint.CompareAndSwap(true, false) {
			// See checkpointLoop. PASSIVE: it waits for nobody.
			if _, err := w.conn.ExecContext(w.ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
				w.s.log.Warn("sqlite: checkpoint failed", "err", err)
			}
		}
	}
}

// drain adds the ops queued now to batch, until it holds n.
func (w *writer) drain(batch []*op, n int) []*op {
	for len(batch) < n {
		select {
		case o, ok := <-w.s.ops:
			if !ok {
				return batch
			}
			batch = append(batch, o)
		default:
			return batch
		}
	}
	return batch
}

func allLazy(batch []*op) bool {
	for _, o := range batch {
		if !o.lazy {
			return false
		}
	}
	return true
}

// linger adds to a batch of lazy ops those that arrive within s.lazyWait,
// and returns as soon as one of them is not lazy, the batch is full, or
// the queue is closed.
func (w *writer) linger(batch []*op) []*op {
	t := time.NewTimer(w.s.lazyWait)
	defer t.Stop()
	for len(batch) < maxBatch {
		select {
		case o, ok := <-w.s.ops:
			if !ok {
				return batch
			}
			batch = w.drain(append(batch, o), maxBatch)
			if !allLazy(batch) {
				return batch
			}
		case <-t.C:
			return batch
		}
	}
	return batch
}

func (w *writer) close() error {
	var errs []error
	for _, st := range w.stmts {
		errs = append(errs, st.Close())
	}
	for _, st := range []*sql.Stmt{w.begin, w.commit, w.rollback, w.savepoint, w.release, w.rollbackTo} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	errs = append(errs, w.conn.Close())
	return errors.Join(errs...)
}
