// Package postgres is Hookline's Store on PostgreSQL, for when one machine is
// not enough: several 'hookline serve' processes share one database, and the
// deliveries table is their common queue.
//
// Connections come from a pgx pool (jackc/pgx/v5). The tables live in one
// schema (WithSchema, or the first entry of the URL's search_path), so that
// several installations or tests can share a database. Open brings the
// schema up to date with embedded goose migrations, holding an advisory lock
// so that nodes starting together migrate one after the other.
//
// The queue: ClaimDue locks due rows with FOR UPDATE SKIP LOCKED and leases
// them in the same statement, so concurrent claimers on any node never get
// the same delivery while its lease lives; Complete changes only deliveries
// still leased by the caller. A lease that ends (its node died) makes the
// delivery due again for every node.
//
// Due: every transaction that makes deliveries due (Resend, Recover,
// Release, enabling an endpoint, a message created through the outbox) also
// runs pg_notify on the schema's channel, which PostgreSQL delivers only
// once the transaction has committed. Each Store listens on that channel on
// a connection of its own (reconnecting after failures) and relays
// notifications to Due, so the dispatchers of every node wake at once.
// CreateMessage, the hot path, does not notify in its transaction:
// PostgreSQL serialises the commits of notifying transactions on one lock,
// held through the commit's WAL flush, which would cap the store at one
// message per flush. It signals the node's own Due after the commit, and a
// background goroutine tells the other nodes with one pg_notify for all the
// messages committed while the previous one was under way (its payload
// names the node, whose own listener ignores it). Should the process die
// between a commit and that notification, the other nodes find the
// deliveries at their next look at the queue (within a minute). An idle
// store sends no queries but a ping of the listening connection once a
// minute.
//
// Caches: every API request reads the caller's token and most read an
// application, and every message the application's endpoints, a round trip
// each. A Store keeps those reads in memory while its listening connection
// is up, and forgets them all when a transaction on any node that deletes a
// token, or creates, changes or deletes an application or an endpoint,
// notifies the channel (it does so as it commits), when the listening
// connection is restored, and after cacheMaxAge in any case (the bound on
// staleness should a change bypass the Store, such as an edit by hand).
//
// Every call is bounded (WithTimeout). Errors that mean the database cannot
// be reached now (refused or lost connections, a server shutting down, the
// bound running out) carry hookline.EUNAVAILABLE, which the API answers with
// 503. Calls that failed that way before anything could have been committed
// are retried a few times on fresh connections first.
package postgres

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/migrate"
	"github.com/hookline/hookline/internal/readcache"
)

//go:embed migrations/*.sql
var migrations embed.FS

const (
	// defaultTimeout bounds one call of the Store.
	defaultTimeout = 10 * time.Second
	// defaultMaxConns is the pool size when neither WithMaxConns nor the
	// URL's pool_max_conns sets it.
	defaultMaxConns = 16
	// connectTimeout bounds the opening of one connection unless the URL
	// sets connect_timeout.
	connectTimeout = 5 * time.Second
	// pingEvery is how often the listening connection, when idle, is checked.
	pingEvery = time.Minute
)

// Option configures Open.
type Option func(*options)

type options struct {
	schema       string
	logger       *slog.Logger
	previousKeys [][]byte
	secretKey    []byte
	maxConns     int32
	timeout      time.Duration
}

// WithSchema keeps Hookline's tables in schema, created if missing. It
// overrides a search_path given in the URL. The default is the URL's
// search_path, else the server's (normally "public").
func WithSchema(schema string) Option { return func(o *options) { o.schema = schema } }

// WithLogger sets the logger of background work (the LISTEN connection, the
// periodic cleanup). The default discards.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithSecretKey encrypts secrets (endpoints', sources') at rest with
// AES-256-GCM under key, which must be 32 bytes, each bound to its row, as
// the sqlite store does; Open seals those written without a key, or by
// earlier versions (hookline.UpgradeSeals).
// Secrets sealed under one of previous (earlier master keys) are read too,
// and sealed under key when next written: see the rekey command.
func WithSecretKey(key []byte, previous ...[]byte) Option {
	return func(o *options) { o.secretKey, o.previousKeys = key, previous }
}

// WithMaxConns sets the size of the connection pool (default 16, or the
// URL's pool_max_conns). The store holds one more connection, for LISTEN.
func WithMaxConns(n int32) Option { return func(o *options) { o.maxConns = n } }

// WithTimeout bounds every call of the Store, waiting for a pooled
// connection included (default 10 s). A call that runs out of it fails with
// EUNAVAILABLE.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// Store is a hookline.Store on PostgreSQL. It is safe for concurrent use, and
// several Stores, in one process or many, may share one database and schema.
type Store struct {
	shared  // the methods both stores implement alike
	pool    *pgxpool.Pool
	schema  string // the schema of the tables
	channel string // the NOTIFY channel of the schema
	log     *slog.Logger
	box     *hookline.SecretBox // encrypts secrets; nil stores them as they are
	timeout time.Duration

	due chan struct{}
	// node names this Store in the notifications it sends; announce queues
	// one (see announceLoop).
	node     string
	announce chan struct{}

	// apps, tokens and endpoints cache reads while listening is set (see
	// the package documentation).
	apps      readcache.Cache[*hookline.Application] // by id and by uid
	tokens    readcache.Cache[*hookline.Token]       // by hash
	endpoints readcache.Cache[*appEndpoints]         // by application id
	listening atomic.Bool

	// feed takes new deliveries for this process's dispatcher (SetFeed);
	// CreateMessage holds feedMu for reading while it uses it.
	feedMu sync.RWMutex
	feed   hookline.Feed

	writeCheck hookline.WriteCheck // answers CheckWrite

	listenConf *pgx.ConnConfig
	stop       context.CancelFunc
	bg         sync.WaitGroup
	closeOnce  sync.Once
}

// Store is a hookline.Store with the optional interfaces its wiring uses.
var (
	_ hookline.Store          = (*Store)(nil)
	_ hookline.Feeder         = (*Store)(nil)
	_ hookline.FigureReporter = (*Store)(nil)
)

// Open connects to the database at url (postgres://user@host:5432/db?...,
// with any of pgx's parameters; the scheme postgres or postgresql, in any
// case), brings the schema up to date and starts listening for Due
// notifications.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	url = lowerScheme(url)
	o := options{logger: slog.New(slog.DiscardHandler), timeout: defaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.timeout <= 0 {
		o.timeout = defaultTimeout
	}
	conf, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, hookline.Errorf(hookline.EINVALID, "postgres: invalid database URL: %s", redact(err))
	}
	cc := conf.ConnConfig
	if o.schema != "" {
		cc.RuntimeParams["search_path"] = pgx.Identifier{o.schema}.Sanitize()
	} else if sp := cc.RuntimeParams["search_path"]; sp != "" {
		o.schema = firstSchema(sp)
	}
	if cc.RuntimeParams["application_name"] == "" {
		cc.RuntimeParams["application_name"] = "hookline"
	}
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = connectTimeout
	}
	if o.maxConns > 0 {
		conf.MaxConns = o.maxConns
	} else if !strings.Contains(url, "pool_max_conns") {
		conf.MaxConns = defaultMaxConns
	}

	s := &Store{
		log:       o.logger,
		timeout:   o.timeout,
		due:       make(chan struct{}, 1),
		node:      rand.Text(),
		announce:  make(chan struct{}, 1),
		apps:      readcache.Cache[*hookline.Application]{MaxAge: cacheMaxAge},
		tokens:    readcache.Cache[*hookline.Token]{MaxAge: cacheMaxAge},
		endpoints: readcache.Cache[*appEndpoints]{MaxAge: cacheMaxAge},
	}
	s.shared = shared{Reader: reader{s}, Writer: writer{s}, Query: newQuery, EndpointExists: s.endpointExists}
	if s.box, err = hookline.NewSecretBox(o.secretKey, o.previousKeys...); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}

	octx, cancel := context.WithTimeout(ctx, max(o.timeout, time.Minute))
	defer cancel()
	s.pool, err = pgxpool.NewWithConfig(octx, conf)
	if err != nil {
		return nil, openError(err)
	}
	if err := s.migrate(octx, o.schema); err != nil {
		s.pool.Close()
		return nil, openError(err)
	}
	if err := s.pool.QueryRow(octx, `SELECT current_schema()`).Scan(&s.schema); err != nil {
		s.pool.Close()
		return nil, openError(err)
	}
	s.channel = Channel(s.schema)
	if s.box, err = hookline.UpgradeSeals(ctx, s.box, s.shared, s.log, "postgres"); err != nil {
		s.pool.Close()
		return nil, openError(err)
	}

	s.listenConf = cc.Copy()
	s.listenConf.OnNotification = func(_ *pgconn.PgConn, n *pgconn.Notification) {
		switch n.Payload {
		case forgetPayload:
			s.forget()
		case s.node: // its own announcement: signalled already
		default:
			s.signalDue()
		}
	}
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = stop
	listening := make(chan struct{})
	s.bg.Add(3)
	go s.listenLoop(bg, listening)
	go s.announceLoop(bg)
	go func() {
		defer s.bg.Done()
		// Every node runs it; they skip the rows another is deleting.
		hookline.RunCleanup(bg, s, s.log, "postgres")
	}()
	// Wait (boundedly) for LISTEN, so that a notification sent right after
	// Open returns is not missed.
	wait := time.NewTimer(o.timeout)
	defer wait.Stop()
	select {
	case <-listening:
	case <-wait.C:
		s.log.Warn("postgres: not listening for Due notifications yet; retrying in the background")
	}
	return s, nil
}

// lowerScheme returns url with its scheme in lower case when it is
// postgres:// or postgresql:// in any case (URL schemes are
// case-insensitive; pgx recognises only the lower-case ones).
func lowerScheme(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if ok && (strings.EqualFold(scheme, "postgres") || strings.EqualFold(scheme, "postgresql")) {
		return strings.ToLower(scheme) + "://" + rest
	}
	return url
}

// firstSchema returns the first schema of a search_path setting.
func firstSchema(sp string) string {
	first, _, _ := strings.Cut(sp, ",")
	first = strings.TrimSpace(first)
	if len(first) >= 2 && first[0] == '"' && first[len(first)-1] == '"' {
		return strings.ReplaceAll(first[1:len(first)-1], `""`, `"`)
	}
	if first == "$user" {
		return ""
	}
	return strings.ToLower(first)
}

// migrationLock is the key of the advisory lock held while migrating; the
// schema name is mixed in, so stores of other schemas migrate at once.
const migrationLock = `hashtextextended('hookline migrate ' || $1, 0)`

// migrate creates the schema if needed and applies the embedded migrations,
// under a session advisory lock: nodes that start together wait for each
// other (pg_advisory_lock blocks; no polling), and the later ones find
// nothing left to do. schema is "" when the connections' search_path
// decides (set on the server, for the role or the database, or by the URL's
// options): the lock is then keyed on the schema it resolves to, so nodes
// that reach the same schema by any route take the same lock.
func (s *Store) migrate(ctx context.Context, schema string) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	lockKey := schema
	if lockKey == "" {
		var current *string // NULL when no schema of the search_path exists
		if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&current); err != nil {
			return err
		}
		if current == nil {
			return hookline.Errorf(hookline.EINVALID,
				"postgres: no schema of the search_path exists; name one with search_path in the URL")
		}
		lockKey = *current
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(`+migrationLock+`)`, lockKey); err != nil {
		return err
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock(`+migrationLock+`)`, lockKey); err != nil {
			// The lock goes with the session: drop the connection.
			conn.Conn().Close(uctx)
		}
	}()
	if schema != "" {
		if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil {
			return fmt.Errorf("create schema %s: %w", schema, err)
		}
	}
	db := stdlib.OpenDB(*s.pool.Config().ConnConfig.Copy())
	defer db.Close()
	db.SetMaxOpenConns(1)
	return migrate.Up(ctx, db, goose.DialectPostgres, migrations)
}

// openError explains a failure to open the store.
func openError(err error) error {
	var he *hookline.Error
	if errors.As(err, &he) {
		return err
	}
	if isUnavailable(err) {
		return fmt.Errorf("postgres: open: %w: %s", hookline.Errorf(hookline.EUNAVAILABLE, "The database cannot be reached."), redact(err))
	}
	return fmt.Errorf("postgres: open: %s", redact(err))
}

// redact returns the message of err, which pgx writes without passwords.
func redact(err error) string { return err.Error() }

// Pool returns the store's connection pool, for an application that writes
// messages in its own transactions (see the outbox package) or for
// monitoring. Closing the store closes it.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Schema returns the schema the store's tables are in.
func (s *Store) Schema() string { return s.schema }

// Traits says that several nodes may share the queue, and that each
// Complete is a round trip and a commit of its own.
func (s *Store) Traits() hookline.QueueTraits { return hookline.QueueTraits{} }

// Close stops listening and closes the pool. It is safe to call more than
// once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stop()
		s.bg.Wait()
		s.pool.Close()
	})
	return nil
}
