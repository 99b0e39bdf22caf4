package postgres

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Channel returns the NOTIFY channel on which the stores of schema relay
// Due: "hookline_due_" and 16 hex digits of the MD5 of the schema name (a
// channel name is at most 63 bytes; a schema name may be as long).
func Channel(schema string) string {
	sum := md5.Sum([]byte(schema))
	return "hookline_due_" + hex.EncodeToString(sum[:8])
}

// channelSQL computes Channel in SQL from a schema name.
const channelSQL = `'hookline_due_' || left(md5(%s), 16)`

// Due receives a value after a commit on any node, made through a Store or
// the outbox on this schema, that made deliveries due; and after the
// listening connection was restored, since notifications may have been
// missed meanwhile.
func (s *Store) Due() <-chan struct{} { return s.due }

func (s *Store) signalDue() {
	select {
	case s.due <- struct{}{}:
	default:
	}
}

// cacheMaxAge bounds how long a cached token, application or endpoint is
// used.
const cacheMaxAge = 30 * time.Second

// forgetPayload is the payload of the notification that makes every Store
// of the schema forget its cached tokens, applications and endpoints.
const forgetPayload = "forget"

// forgetOnCommit makes every Store of the schema, this one included,
// forget its cached tokens, applications and endpoints once tx commits. The
// caller also calls forget after the commit: this Store's own notification
// arrives a little later.
func (s *Store) forgetOnCommit(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, s.channel, forgetPayload)
	return err
}

// forget drops the cached tokens, applications and endpoints.
func (s *Store) forget() {
	s.apps.Invalidate()
	s.tokens.Invalidate()
	s.endpoints.Invalidate()
}

// announceDue makes announceLoop tell the other nodes that deliveries are
// due. It never blocks: calls while a notification is queued add nothing.
func (s *Store) announceDue() {
	select {
	case s.announce <- struct{}{}:
	default:
	}
}

// announceLoop sends the Due notification of the commits announceDue was
// called for, one at a time: the calls made while one is under way are
// covered by the next, so a busy node sends about one per round trip
// instead of one per message. A failure is logged and not retried: the
// other nodes look at the queue again within a minute, and this node's own
// dispatcher was signalled already.
func (s *Store) announceLoop(ctx context.Context) {
	defer s.bg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.announce:
		}
		nctx, cancel := context.WithTimeout(ctx, s.timeout)
		_, err := s.pool.Exec(nctx, `SELECT pg_notify($1, $2)`, s.channel, s.node)
		cancel()
		if err != nil && ctx.Err() == nil {
			s.log.Warn("postgres: cannot notify the other nodes of new deliveries", "err", redact(err))
		}
	}
}

// listenLoop keeps a connection listening on the store's channel until ctx
// ends, reconnecting with backoff after every failure. listening is closed
// once the first LISTEN succeeded.
func (s *Store) listenLoop(ctx context.Context, listening chan struct{}) {
	defer s.bg.Done()
	var once sync.Once
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		up := false
		err := s.listen(ctx, func() {
			up = true
			once.Do(func() { close(listening) })
		})
		if ctx.Err() != nil {
			return
		}
		if up {
			backoff = 100 * time.Millisecond
		}
		s.log.Warn("postgres: the LISTEN connection failed; reconnecting", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// listen opens a connection, listens on the channel and waits for
// notifications (handled by the connection's OnNotification) until the
// connection fails or ctx ends. It calls up once it listens.
func (s *Store) listen(ctx context.Context, up func()) error {
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	conn, err := pgx.ConnectConfig(cctx, s.listenConf)
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Close(cctx)
		cancel()
	}()
	cctx, cancel = context.WithTimeout(ctx, s.timeout)
	_, err = conn.Exec(cctx, `LISTEN `+pgx.Identifier{s.channel}.Sanitize())
	cancel()
	if err != nil {
		return err
	}
	// Whatever was notified while this connection was not listening is
	// missed: cache afresh, and look at the queue.
	s.forget()
	s.listening.Store(true)
	defer s.listening.Store(false)
	up()
	s.signalDue()
	for {
		wctx, cancel := context.WithTimeout(ctx, pingEvery)
		err := conn.PgConn().WaitForNotification(wctx)
		cancel()
		if err == nil {
			continue // OnNotification signalled
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !pgconn.Timeout(err) && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		// A quiet minute: make sure the connection still works.
		pctx, cancel := context.WithTimeout(ctx, s.timeout)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return err
		}
	}
}
