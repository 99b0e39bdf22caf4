// Package sqlite is Hookline's default Store: one SQLite file (modernc.org/sqlite,
// pure Go) in WAL mode.
//
// Every write goes through one writer goroutine that owns the only writing
// connection. It takes all the operations queued at the moment (up to a
// bound) into ONE transaction and commits once: many concurrent API requests
// share one commit and one sync of the WAL (group commit). Operations of a
// batch that fail do not fail the others (see writer.run). CreateMessage
// calls of a batch are inserted together, with multi-row statements.
//
// A write is durable when its method returns nil. The writer commits with
// synchronous=NORMAL and hands the commit to a syncer goroutine, which
// fdatasyncs the WAL and only then answers the callers: the guarantee of
// synchronous=FULL, but the writer goes on with the next batch while the
// disk syncs the last one, and while a sync is under way the open
// transaction takes in every op that arrives, so the batch grows with the
// load.
//
// Reads run on a separate pool of query-only connections, which WAL lets
// proceed while the writer commits. A checkpointer copies the WAL into the
// database on a connection of its own, never in the path of a commit.
//
// This process must be the only writer of the file: the writer keeps each
// application's endpoints in memory for matching messages and for the tasks
// it hands out, and every endpoint write made through the Store refreshes it.
//
// Tasks returned by ClaimDue share the slices and maps of their endpoint with
// that cache and with each other; treat them as read-only.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/migrate"
	"github.com/hookline/hookline/internal/readcache"
)

//go:embed migrations/*.sql
var migrations embed.FS

const (
	// maxBatch bounds the operations one transaction of the writer holds.
	maxBatch = 256
	// queueLen is the buffer of the writer's queue.
	queueLen = 4096
	// busyTimeoutMS is how long a connection waits for a lock held by another
	// process (a migration, a backup) before giving up.
	busyTimeoutMS = 10000
)

// pageSize is the page size of a new database: SQLite's default, which
// measured best. Larger pages mean fewer WAL frames (fewer write system
// calls) a commit but more bytes, and the sync of those bytes is what a
// commit waits for (see docs/benchmarks-sqlite.md).
const pageSize = 4096

// Option configures Open.
type Option func(*options)

type options struct {
	logger       *slog.Logger
	previousKeys [][]byte
	secretKey    []byte
	readers      int
	mustExist    bool
}

// WithLogger sets the logger of background work (the periodic cleanup). The
// default discards.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithSecretKey encrypts secrets (endpoints', sources') at rest with
// AES-256-GCM under key, which must be 32 bytes, each bound to its row (see
// hookline.SecretBox). Without it secrets are stored as they are. A file
// written with a key cannot be read without it; secrets written without a
// key, or by earlier versions, are sealed by Open when the key opens every
// secret the file holds (hookline.UpgradeSeals).
// Secrets sealed under one of previous (earlier master keys) are read too,
// and sealed under key when next written: see the rekey command.
func WithSecretKey(key []byte, previous ...[]byte) Option {
	return func(o *options) { o.secretKey, o.previousKeys = key, previous }
}

// MustExist makes Open fail, with an error that wraps fs.ErrNotExist,
// when no file is at the path, instead of creating the database.
func MustExist() Option { return func(o *options) { o.mustExist = true } }

// WithReaders sets the size of the pool of reading connections (default
// 2×GOMAXPROCS, at least 4).
func WithReaders(n int) Option { return func(o *options) { o.readers = n } }

// Store is a hookline.Store on a SQLite file. It is safe for concurrent use.
type Store struct {
	shared // the methods both stores implement alike
	path   string
	lock   *os.File // held open while the Store is (see lock)
	log    *slog.Logger
	box    *hookline.SecretBox // encrypts secrets; nil stores them as they are

	wdb *sql.DB // one connection, owned by the writer goroutine
	rdb *sql.DB // query-only pool

	claimStmt *sql.Stmt // claimQuery on rdb
	// reads caches the reading pool's prepared statements by their text:
	// parsing a statement costs more than running most of them.
	reads sync.Map // string -> *sql.Stmt

	// apps and tokens cache the reads every API request makes. This process
	// is the only writer of the file, so every change goes through the
	// Store, which invalidates them after committing.
	apps   readcache.Cache[*hookline.Application] // by id and by uid
	tokens readcache.Cache[*hookline.Token]       // by hash
	cdb    *sql.DB                                // one connection, the checkpointer's

	syncq    chan []*op    // committed ops waiting for the WAL sync
	syncing  atomic.Int64  // commits handed to the syncer and not yet synced
	syncIdle chan struct{} // the syncer caught up
	lazyWait time.Duration // the const lazyWait; a test may set it before the first op
	syncDone chan struct{}
	walPath  string
	wal      *os.File // the syncer's
	brokenMu sync.Mutex
	broken   error // a sync failed: no more writes

	writeCheck hookline.WriteCheck // answers CheckWrite

	commits        atomic.Int64 // commits so far, for the checkpointer
	tailCheckpoint atomic.Bool  // the writer should checkpoint between batches
	checkpointDone chan struct{}

	mu     sync.RWMutex // guards closed against sends on ops
	closed bool
	ops    chan *op
	chores chan *chore // work the writer runs outside transactions
	w      *writer

	writerDone     chan struct{}
	stopBackground context.CancelFunc // ends the cleanup and the checkpointer
	cleanupDone    chan struct{}
	closeOnce      sync.Once
	closeErr       error

	due chan struct{}
}

// Store is a hookline.Store with the optional interfaces its wiring uses.
var (
	_ hookline.Store          = (*Store)(nil)
	_ hookline.FigureReporter = (*Store)(nil)
)

// Open opens the SQLite database at path, creating it when it does not exist
// (unless MustExist), brings its schema up to date, and starts the writer.
//
// A database has one Store at a time: Open takes an OS lock on a file beside
// it (path + ".lock"), held until Close or the end of the process, and fails
// with an error that wraps ErrInUse and names the holder's pid ("hookline.db
// is in use by process 4242") when another Store, of any process, holds it.
// A new database file, and so its WAL and shared-memory files, which SQLite
// creates with its mode, and the lock file are readable by their owner only
// (0600).
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	if o.readers <= 0 {
		o.readers = max(4, 2*runtime.GOMAXPROCS(0))
	}
	s := &Store{
		path:        path,
		log:         o.logger,
		ops:         make(chan *op, queueLen),
		chores:      make(chan *chore),
		writerDone:  make(chan struct{}),
		cleanupDone: make(chan struct{}),
		due:         make(chan struct{}, 1),

		checkpointDone: make(chan struct{}),
		syncq:          make(chan []*op, queueLen),
		syncDone:       make(chan struct{}),
		syncIdle:       make(chan struct{}, 1),
		lazyWait:       lazyWait,
	}
	var err error
	if s.box, err = hookline.NewSecretBox(o.secretKey, o.previousKeys...); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if path == "" || path == ":memory:" {
		return nil, hookline.Errorf(hookline.EINVALID, "sqlite: a file path is required (WAL needs a file)")
	}
	abs, err := realPath(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	fi, err := os.Stat(abs)
	switch {
	case err == nil && fi.IsDir():
		return nil, hookline.Errorf(hookline.EINVALID, "sqlite: %s is a directory", path)
	case errors.Is(err, fs.ErrNotExist) && o.mustExist:
		return nil, fmt.Errorf("sqlite: %s: %w", path, fs.ErrNotExist)
	case err == nil && links(fi) > 1:
		// Each name would have a lock file, and a WAL, of its own.
		return nil, hookline.Errorf(hookline.EINVALID,
			"sqlite: %s has %d hard links: a second name of the file would let a second process open it; keep one", path, links(fi))
	}
	if s.lock, err = lock(path, abs); err != nil {
		if errors.Is(err, ErrInUse) {
			return nil, err
		}
		return nil, fmt.Errorf("sqlite: cannot open %s: %w: %w", path,
			hookline.Errorf(hookline.EUNAVAILABLE, "The database cannot be opened."), err)
	}
	// SQLite would create the file with mode 0644 and give its WAL the same.
	if f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		s.lock.Close()
		return nil, openError(path, err)
	}

	// SQLite commits with fsync by default; fdatasync is as durable for the
	// database and WAL files and skips flushing their timestamps.
	_, _ = sqlite.Fdatasync(true)

	s.wdb, err = sql.Open("sqlite", dsn(abs, false))
	if err != nil {
		s.lock.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxLifetime(0)
	s.wdb.SetConnMaxIdleTime(0)

	fail := func(err error) (*Store, error) {
		s.wdb.Close()
		if s.rdb != nil {
			s.rdb.Close()
		}
		if s.cdb != nil {
			s.cdb.Close()
		}
		s.lock.Close()
		return nil, openError(path, err)
	}
	if err := s.wdb.PingContext(ctx); err != nil {
		return fail(err)
	}
	// The page size of a new database, then WAL (which is persistent: every
	// later connection finds the file in WAL mode). The page size must come
	// first: a database in WAL mode cannot change it.
	if _, err := s.wdb.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size = %d", pageSize)); err != nil {
		return fail(err)
	}
	// A new database (no page yet) is in incremental auto-vacuum mode, so
	// that Prune gives the pages of what it deleted back to the file
	// system. The mode of a database made before stays (it changes only
	// before the first table, or with VACUUM, as Reseal's compact does):
	// its free pages are reused, not given back. An existing database is
	// not asked: the pragma would write to it.
	var pages int
	if err := s.wdb.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return fail(err)
	}
	if pages == 0 {
		if _, err := s.wdb.ExecContext(ctx, "PRAGMA auto_vacuum = INCREMENTAL"); err != nil {
			return fail(err)
		}
	}
	var mode string
	if err := s.wdb.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return fail(err)
	}
	if mode != "wal" {
		return fail(fmt.Errorf("journal_mode is %q, not wal", mode))
	}
	if err := migrate.Up(ctx, s.wdb, goose.DialectSQLite3, migrations); err != nil {
		return fail(err)
	}

	s.cdb, err = sql.Open("sqlite", checkpointerDSN(abs))
	if err != nil {
		return fail(err)
	}
	s.cdb.SetMaxOpenConns(1)
	s.cdb.SetMaxIdleConns(1)
	s.cdb.SetConnMaxLifetime(0)
	s.cdb.SetConnMaxIdleTime(0)

	s.rdb, err = sql.Open("sqlite", dsn(abs, true))
	if err != nil {
		return fail(err)
	}
	s.shared = shared{Reader: reader{s.rdb}, Writer: opWriter{s}, Query: newQuery, EndpointExists: s.endpointExists}
	s.rdb.SetMaxOpenConns(o.readers)
	s.rdb.SetMaxIdleConns(o.readers)
	s.rdb.SetConnMaxLifetime(0)
	s.rdb.SetConnMaxIdleTime(0)
	if err := s.rdb.PingContext(ctx); err != nil {
		return fail(err)
	}

	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return fail(err)
	}
	// The one read on a hot path, prepared (on each reading connection as
	// database/sql hands it out) rather than parsed on every claim.
	if s.claimStmt, err = s.rdb.PrepareContext(ctx, claimQuery); err != nil {
		conn.Close()
		return fail(err)
	}
	if s.w, err = newWriter(s, conn); err != nil {
		conn.Close()
		return fail(err)
	}
	s.walPath = abs + "-wal"
	go s.w.loop()
	go s.syncLoop()
	bg, stop := context.WithCancel(context.Background())
	s.stopBackground = stop
	go func() {
		defer close(s.cleanupDone)
		hookline.RunCleanup(bg, s, s.log, "sqlite")
	}()
	go s.checkpointLoop(bg)
	if s.box, err = hookline.UpgradeSeals(ctx, s.box, s.shared, s.log, "sqlite"); err != nil {
		s.Close()
		return nil, openError(path, err)
	}
	return s, nil
}

// realPath returns the absolute path of the database file at path with its
// symbolic links resolved: those of the file when it exists, else those of
// its directory. SQLite follows them too, so every name of one file (a
// symbolic link to it, or to its directory) gives the same lock file and
// WAL.
func realPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real, nil
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		// No such directory: the open that follows says so.
		return abs, nil
	}
	return filepath.Join(dir, filepath.Base(abs)), nil
}

// dsn returns the URI of the database file with the connection's pragmas.
func dsn(abs string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		// NORMAL: a commit writes the WAL without syncing it; the syncer
		// syncs it before any op of the commit is answered (see syncLoop),
		// so a write is on disk when its method returns, as with FULL.
		// Checkpoints sync the WAL before and the database after, as ever.
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_pragma", "journal_size_limit(67108864)")
		q.Add("_pragma", "cache_size(-32768)")
		// The checkpointer copies the WAL into the database, not the commits.
		q.Add("_pragma", "wal_autocheckpoint(0)")
	}
	u := url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}
	return u.String()
}

// checkpointerDSN is the URI of the checkpointer's connection. A passive
// checkpoint takes no lock it would wait for but the checkpointer's own.
func checkpointerDSN(abs string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(20)")
	q.Add("_pragma", "synchronous(FULL)")
	u := url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}
	return u.String()
}

// openError explains a failure to open the database.
func openError(path string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqliteNOTADB, sqliteCORRUPT:
			return fmt.Errorf("sqlite: %s is not a Hookline database or is corrupt: %w", path, err)
		case sqliteCANTOPEN, sqlitePERM, sqliteREADONLY:
			return fmt.Errorf("sqlite: cannot open %s: %w: %w", path,
				hookline.Errorf(hookline.EUNAVAILABLE, "The database cannot be opened."), err)
		}
	}
	return fmt.Errorf("sqlite: open %s: %w", path, err)
}

// Traits says that one process alone uses a SQLite file, whose dispatcher
// owns the leases as "sqlite-local", and that outcomes share the writer's
// commits.
func (s *Store) Traits() hookline.QueueTraits {
	return hookline.QueueTraits{SoleOwner: "sqlite-local", GathersOutcomes: true}
}

// Due receives a value after a commit that created due deliveries.
func (s *Store) Due() <-chan struct{} { return s.due }

func (s *Store) signalDue() {
	select {
	case s.due <- struct{}{}:
	default:
	}
}

// Close stops the writer after it ran every queued operation, and closes the
// database. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stopBackground()
		<-s.cleanupDone
		<-s.checkpointDone
		s.mu.Lock()
		s.closed = true
		close(s.ops)
		s.mu.Unlock()
		<-s.writerDone
		<-s.syncDone
		if st := s.Stats(); st.Commits > 0 {
			s.log.Debug("sqlite: writer closed", "commits", st.Commits, "ops", st.Ops,
				"ops_per_commit", float64(st.Ops)/float64(st.Commits), "commit_time", st.CommitTime,
				"syncs", st.Syncs, "sync_time", st.SyncTime)
		}
		if s.wal != nil {
			s.wal.Close()
		}
		s.claimStmt.Close()
		s.reads.Range(func(_, st any) bool { st.(*sql.Stmt).Close(); return true })
		err1 := s.w.close()
		err2 := s.wdb.Close()
		err3 := s.rdb.Close()
		err4 := s.cdb.Close()
		// Last: the file is free once nothing of this Store touches it.
		err5 := s.lock.Close()
		s.closeErr = errors.Join(err1, err2, err3, err4, err5)
	})
	return s.closeErr
}

// queryRow runs a read on the reading pool as a prepared statement, prepared
// once per query text and per connection.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st, ok := s.reads.Load(query); ok {
		return st.(*sql.Stmt).QueryRowContext(ctx, args...)
	}
	st, err := s.rdb.PrepareContext(ctx, query)
	if err != nil {
		// The error (or a closed store) surfaces from the plain query.
		return s.rdb.QueryRowContext(ctx, query, args...)
	}
	if prev, loaded := s.reads.LoadOrStore(query, st); loaded {
		st.Close()
		st = prev.(*sql.Stmt)
	}
	return st.QueryRowContext(ctx, args...)
}
