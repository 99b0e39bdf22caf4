package sqlite

import (
	"context"
	"database/sql"
	"errors"
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
}

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

	statsMu sync.Mutex
	stats   WriterStats

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
	batch := make([]*op, 0, maxBatch)
	for {
		o, ok := <-w.s.ops
		if !ok {
			return
		}
		batch = append(batch[:0], o)
	fill:
		for len(batch) < maxBatch {
			select {
			case o, ok := <-w.s.ops:
				if !ok {
					break fill
				}
				batch = append(batch, o)
			default:
				break fill
			}
		}
		w.run(batch)
		clear(batch)
		if w.s.tailCheckpoint.CompareAndSwap(true, false) {
			// See checkpointLoop. PASSIVE: it waits for nobody.
			if _, err := w.conn.ExecContext(w.ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
				w.s.log.Warn("sqlite: checkpoint failed", "err", err)
			}
		}
	}
}

// run executes a batch in one transaction and answers each op.
//
// The ops of a batch were all under way at once, so any order is a correct
// one: the writer runs the CreateMessage ops first, all together, and the
// others after them in the order they came.
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
	m := mode{coalesce: true, safeFrom: len(batch)}
	for {
		again, err := w.try(batch, errs, &m)
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
	for i, o := range batch {
		o.done <- errs[i]
	}
}

// mode is how try runs a batch.
type mode struct {
	coalesce bool // run the CreateMessage ops together
	safeFrom int  // run the other ops from this index on in savepoints
}

// try runs the batch once. It returns again when it rolled the transaction
// back and changed m for another run; otherwise the batch is done:
// committed, or rolled back because no op succeeded. An error is the
// failure of the transaction itself.
func (w *writer) try(batch []*op, errs []error, m *mode) (again bool, err error) {
	clear(errs)
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
	if m.coalesce {
		var msgs []*msgOp
		var idx []int
		for i, o := range batch {
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
				m.coalesce = false
				return true, nil
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
	for i, o := range batch {
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
				if err, isClean = unclean(err); isClean {
					errs[i] = dbErr(err)
					continue
				}
				w.rollbackAll()
				if w.alone(batch, i) {
					errs[i] = dbErr(err)
					return false, nil // nothing else to run again
				}
				m.safeFrom = i
				return true, nil
			}
		} else if err := w.inSavepoint(o.fn); err != nil {
			err, _ = unclean(err)
			errs[i] = dbErr(err)
			if w.cacheDirty {
				clear(w.cache)
			}
			continue
		}
		ran++
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
	w.s.commits.Add(1)
	w.statsMu.Lock()
	w.stats.Commits++
	w.stats.Ops += int64(len(batch))
	w.stats.CommitTime += time.Since(t0)
	w.statsMu.Unlock()
	if w.due {
		w.s.signalDue()
	}
	return false, nil
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
}

// maxCachedApps bounds the cache; past it the cache starts over.
const maxCachedApps = 10000

// endpoints returns the endpoints of the application appID, or ENOTFOUND when
// there is no such application.
func (w *writer) endpoints(appID string) (*appEndpoints, error) {
	if c, ok := w.cache[appID]; ok {
		return c, nil
	}
	var one int
	if err := w.queryRow(`SELECT 1 FROM applications WHERE id = ?`, appID).Scan(&one); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errAppNotFound
		}
		return nil, err
	}
	rows, err := w.query(`SELECT `+endpointCols+` FROM endpoints WHERE app_id = ? ORDER BY id`, appID)
	if err != nil {
		return nil, err
	}
	c := &appEndpoints{byID: map[string]*hookline.Endpoint{}, byUID: map[string]*hookline.Endpoint{}}
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
// endpoint calls it.
func (w *writer) endpointsChanged(appID string) {
	delete(w.cache, appID)
	w.cacheDirty = true
	w.endpointsTouched = true
}

var errAppNotFound = hookline.Errorf(hookline.ENOTFOUND, "Application not found.")

// WriterStats counts the work of the writer since Open.
type WriterStats struct {
	Commits    int64         // transactions committed
	Ops        int64         // operations in them (Ops/Commits is the mean batch)
	CommitTime time.Duration // spent in COMMIT (writing the WAL and syncing it)
}

// Stats returns the counters of the writer.
func (s *Store) Stats() WriterStats {
	s.w.statsMu.Lock()
	defer s.w.statsMu.Unlock()
	return s.w.stats
}
