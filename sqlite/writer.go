package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hookline/hookline"
)

// op is one write operation queued to the writer.
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

func (w *writer) loop() {
	defer close(w.s.writerDone)
	defer close(w.s.syncq)
	for {
		o, ok := <-w.s.ops
		if !ok {
			return
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

// stmt returns the prepared statement of q, preparing it on first use.
func (w *writer) stmt(q string) (*sql.Stmt, error) {
	if st, ok := w.stmts[q]; ok {
		return st, nil
	}
	st, err := w.conn.PrepareContext(w.ctx, q)
	if err != nil {
		return nil, err
	}
	w.stmts[q] = st
	return st, nil
}

func (w *writer) exec(q string, args ...any) (sql.Result, error) {
	st, err := w.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(w.ctx, args...)
}

func (w *writer) query(q string, args ...any) (*sql.Rows, error) {
	st, err := w.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(w.ctx, args...)
}

func (w *writer) queryRow(q string, args ...any) *sql.Row {
	st, err := w.stmt(q)
	if err != nil {
		// A *sql.Row cannot be made with an error; run it unprepared so the
		// error surfaces from Scan.
		return w.conn.QueryRowContext(w.ctx, q, args...)
	}
	return st.QueryRowContext(w.ctx, args...)
}

// chunkSizes are the row counts of the multi-row statements the writer
// prepares: a batch of n rows runs as a few of them, greatest first.
var chunkSizes = [...]int{256, 64, 16, 4, 1}

// values returns "(?, ...), ..." for rows rows of cols columns.
func (w *writer) values(rows, cols int) string {
	key := [2]int{rows, cols}
	if v, ok := w.valuesCache[key]; ok {
		return v
	}
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	v := strings.Repeat(row+", ", rows-1) + row
	w.valuesCache[key] = v
	return v
}

// eachChunk calls fn with the VALUES list and the arguments of every chunk
// of the rows in args (cols arguments a row).
func (w *writer) eachChunk(cols int, args []any, fn func(values string, args []any) error) error {
	for n := len(args) / cols; n > 0; {
		k := 1
		for _, c := range chunkSizes {
			if c <= n {
				k = c
				break
			}
		}
		if err := fn(w.values(k, cols), args[:k*cols]); err != nil {
			return err
		}
		args = args[k*cols:]
		n -= k
	}
	return nil
}

// insertRows inserts rows: head is "INSERT INTO t (cols) VALUES ".
func (w *writer) insertRows(head string, cols int, args []any) error {
	return w.eachChunk(cols, args, func(values string, args []any) error {
		_, err := w.exec(head+values, args...)
		return err
	})
}

// affected runs q and returns the number of rows it changed.
func (w *writer) affected(q string, args ...any) (int64, error) {
	res, err := w.exec(q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
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

// appEndpoints is an application's endpoints as the writer last read them.
type appEndpoints struct {
	list  []*hookline.Endpoint // by id
	byID  map[string]*hookline.Endpoint
	byUID map[string]*hookline.Endpoint
	// throttle is the application's throttleRate.
	throttle *int
}

// maxCachedApps bounds the cache; past it the cache starts over.
const maxCachedApps = 10000

// endpoints returns the endpoints of the application appID, and its
// throttleRate, or ENOTFOUND when there is no such application.
func (w *writer) endpoints(appID string) (*appEndpoints, error) {
	if c, ok := w.cache[appID]; ok {
		return c, nil
	}
	var throttle sql.NullInt64
	if err := w.queryRow(`SELECT throttle_rate FROM applications WHERE id = ?`, appID).Scan(&throttle); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, hookline.ErrApplicationNotFound
		}
		return nil, err
	}
	rows, err := w.query(`SELECT `+endpointCols+` FROM endpoints WHERE app_id = ? ORDER BY id`, appID)
	if err != nil {
		return nil, err
	}
	c := &appEndpoints{byID: map[string]*hookline.Endpoint{}, byUID: map[string]*hookline.Endpoint{}}
	if throttle.Valid {
		r := int(throttle.Int64)
		c.throttle = &r
	}
	for rows.Next() {
		ep, err := w.s.scanEndpoint(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		c.list = append(c.list, ep)
		c.byID[ep.ID] = ep
		if ep.UID != nil {
			c.byUID[*ep.UID] = ep
		}
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(w.cache) >= maxCachedApps {
		clear(w.cache)
	}
	w.cache[appID] = c
	return c, nil
}

// endpointsChanged drops the cached endpoints of appID; every write to an
// endpoint, or to the application's throttleRate, calls it.
func (w *writer) endpointsChanged(appID string) {
	delete(w.cache, appID)
	w.cacheDirty = true
	w.endpointsTouched = true
}

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
