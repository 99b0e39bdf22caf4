package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline"
)

// errCallTimeout is the cause of a call's context when the store's own bound
// (WithTimeout) ran out, as opposed to the caller's deadline.
var errCallTimeout = errors.New("postgres: the database did not answer in time")

var errUnavailable = hookline.Errorf(hookline.EUNAVAILABLE, "The database is unavailable.")

// isUnavailable reports whether err means the database cannot be reached
// now: a connection refused, lost or closed, a server shutting down or
// starting, out of connections; rather than a bug or a rejected statement.
func isUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "53"),             // insufficient resources (too many connections, disk full)
			strings.HasPrefix(pe.Code, "57P"),            // admin/crash shutdown, cannot connect now
			pe.Code == "55000" && pe.Severity == "FATAL", // database not accepting connections
			pe.Code == "40001", pe.Code == "40P01",       // serialization failure, deadlock: try again
			pe.Code == "25006": // read-only transaction: a standby or a failover in progress
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "closed pool") ||
		strings.Contains(msg, "conn busy")
}

// serverGone reports whether err says the server ended the session (it was
// terminated, or is shutting down or restarting): the other connections of
// the pool are then likely dead too.
func serverGone(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03")
}

// dbErr gives err a code: errors that carry one pass unchanged; a missing
// row is ENOTFOUND; a taken unique key ECONFLICT; an unreachable database,
// or the store's own time bound running out, EUNAVAILABLE. The caller's
// own cancellation or deadline passes unchanged. Anything else stays
// uncoded (EINTERNAL).
func dbErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var he *hookline.Error
	if errors.As(err, &he) {
		return err
	}
	if ctx.Err() != nil {
		if context.Cause(ctx) == errCallTimeout {
			return fmt.Errorf("postgres: %w: %w", errUnavailable, errCallTimeout)
		}
		return ctx.Err()
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return hookline.Errorf(hookline.ENOTFOUND, "Not found.")
	}
	if isUnique(err) {
		return fmt.Errorf("postgres: %w: %w", hookline.Errorf(hookline.ECONFLICT, "A unique key is taken."), err)
	}
	if isUnavailable(err) {
		return fmt.Errorf("postgres: %w: %w", errUnavailable, err)
	}
	return fmt.Errorf("postgres: %w", err)
}

// isUnique reports whether err is the violation of a unique key.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// notFound is ErrNoRows as the ENOTFOUND of what.
func notFound(ctx context.Context, err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return hookline.Errorf(hookline.ENOTFOUND, "%s not found.", what)
	}
	return dbErr(ctx, err)
}

// maxTries is how many times a call that failed on an unavailable database,
// before anything could have been committed, is tried.
const maxTries = 3

// do runs fn under the store's time bound and gives its error a code. fn
// must be safe to run again: when it fails because the database is
// unavailable (a connection died under it, typically after a restart), it
// is run again on another connection, up to maxTries times while the bound
// allows. fn returns errCommitUnknown-wrapped errors for failures that must
// not be retried.
func (s *Store) do(ctx context.Context, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeoutCause(ctx, s.timeout, errCallTimeout)
	defer cancel()
	var err error
	for try := 1; ; try++ {
		err = fn(ctx)
		if err == nil || ctx.Err() != nil || !isUnavailable(err) || errors.Is(err, errCommitUnknown) {
			break
		}
		if serverGone(err) {
			// Every pooled connection was likely ended with this one.
			s.pool.Reset()
		}
		if try == maxTries {
			break
		}
		sleep(ctx, time.Duration(try)*50*time.Millisecond)
	}
	return dbErr(ctx, err)
}

// errCommitUnknown marks a COMMIT whose outcome is unknown: the connection
// failed after it was sent. Such a call is not retried.
var errCommitUnknown = errors.New("the outcome of the commit is unknown")

// tx runs fn in a transaction on a pooled connection, under do: a failure
// to reach the database before COMMIT was sent runs fn again in a new
// transaction.
func (s *Store) tx(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) error {
	return s.do(ctx, func(ctx context.Context) error {
		return inTx(ctx, s.pool, fn)
	})
}

func inTx(ctx context.Context, pool *pgxpool.Pool, fn func(ctx context.Context, tx pgx.Tx) error) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(ctx, tx); err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		tx.Rollback(rctx)
		cancel()
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		if mayHaveCommitted(err) {
			return fmt.Errorf("%w: %w", errCommitUnknown, err)
		}
		return err
	}
	return nil
}

// mayHaveCommitted reports whether err, the failure of a COMMIT or of a
// statement run outside a transaction, leaves it unknown whether it took
// effect: the connection failed after the statement was sent. It did not
// when it was never sent or when the server answered with an error.
func mayHaveCommitted(err error) bool {
	return err != nil && !pgconn.SafeToRetry(err) && !errors.As(err, new(*pgconn.PgError))
}

// querier runs statements: a pool, a connection or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Times are stored as timestamptz, in microseconds.

// now is the current time at the precision stored.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// norm is t as it reads back: UTC, in microseconds.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

func normPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := norm(*t)
	return &v
}

// utc returns t in UTC; a NULL time (nil) stays nil.
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

// nullTime stores a zero time as NULL.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func intPtr(v *int32) *int {
	if v == nil {
		return nil
	}
	i := int(*v)
	return &i
}

// jsonMap stores nil as NULL and any other map as a JSON object.
func jsonMap(m map[string]string) []byte {
	if m == nil {
		return nil
	}
	b, _ := json.Marshal(m)
	return b
}

func mapOf(b []byte) (map[string]string, error) {
	if b == nil {
		return nil, nil
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("postgres: bad map: %w", err)
	}
	return m, nil
}

// listOf returns a scanned text[]: nil for NULL, a non-nil slice otherwise.
func listOf(l []string, valid bool) []string {
	if !valid {
		return nil
	}
	if l == nil {
		return []string{}
	}
	return l
}

func (s *Store) sealSecret(secret []byte) []byte { return s.box.Seal(secret) }

func (s *Store) openSecret(b []byte) ([]byte, error) {
	secret, err := s.box.Open(b)
	if err != nil {
		return nil, fmt.Errorf("postgres: endpoint secret: %w", err)
	}
	return secret, nil
}

// listQuery builds the query of one page of a keyset-paginated list.
type listQuery struct {
	where []string
	args  []any
}

// arg adds an argument and returns its placeholder.
func (q *listQuery) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// add adds a condition; each "?" in cond is replaced by the placeholder of
// the next of args.
func (q *listQuery) add(cond string, args ...any) {
	var b strings.Builder
	i := 0
	for _, c := range []byte(cond) {
		if c == '?' && i < len(args) {
			b.WriteString(q.arg(args[i]))
			i++
			continue
		}
		b.WriteByte(c)
	}
	q.where = append(q.where, b.String())
}

// limit is the page size of opts: 50 when unset, at most MaxListLimit.
func limit(opts hookline.ListOptions) int {
	switch {
	case opts.Limit <= 0:
		return 50
	case opts.Limit > hookline.MaxListLimit:
		return hookline.MaxListLimit
	}
	return opts.Limit
}

// sql returns "<sel> WHERE ... AND key >/< iterator ORDER BY key LIMIT n+1"
// and its arguments. sel holds everything up to the WHERE.
func (q *listQuery) sql(sel, key string, opts hookline.ListOptions) (string, []any, int) {
	n := limit(opts)
	if opts.Iterator != "" {
		if opts.Descending {
			q.add(key+" < ?", opts.Iterator)
		} else {
			q.add(key+" > ?", opts.Iterator)
		}
	}
	var b strings.Builder
	b.WriteString(sel)
	for i, w := range q.where {
		if i == 0 {
			b.WriteString(" WHERE ")
		} else {
			b.WriteString(" AND ")
		}
		b.WriteString(w)
	}
	b.WriteString(" ORDER BY ")
	b.WriteString(key)
	if opts.Descending {
		b.WriteString(" DESC")
	}
	b.WriteString(" LIMIT ")
	b.WriteString(q.arg(n + 1))
	return b.String(), q.args, n
}

// list runs a page query and scans its rows.
func list[T any](ctx context.Context, s *Store, query string, args []any, n int, scan func(pgx.Rows) (T, error)) (hookline.Page[T], error) {
	var items []T
	err := s.do(ctx, func(ctx context.Context) error {
		items = items[:0]
		rows, err := s.pool.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			it, err := scan(rows)
			if err != nil {
				return err
			}
			items = append(items, it)
		}
		return rows.Err()
	})
	if err != nil {
		return hookline.Page[T]{}, err
	}
	if items == nil {
		items = []T{}
	}
	p := hookline.Page[T]{Items: items, Done: len(items) <= n}
	if !p.Done {
		p.Items = items[:n]
	}
	return p, nil
}

type pgconnTag = pgconn.CommandTag
