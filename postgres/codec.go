package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
)

// errCallTimeout is the cause of a call's context when the store's own bound
// (WithTimeout) ran out, as opposed to the caller's deadline.
var errCallTimeout = errors.New("postgres: the database did not answer in time")

var errUnavailable = hookline.ErrUnavailable

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
		return hookline.ErrNotFound
	}
	if isUnique(err) {
		return fmt.Errorf("postgres: %w: %w", hookline.ErrConflict, err)
	}
	if isDataException(err) {
		return fmt.Errorf("postgres: %w: %w", hookline.ErrUnstorable, err)
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

// isDataException reports whether err is PostgreSQL's refusal of a value
// (SQLSTATE class 22: a NUL in text, bytes that are not UTF-8, a number out
// of range...).
func isDataException(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && strings.HasPrefix(pe.Code, "22")
}

// notFound is ErrNoRows as notFound, one of hookline's ErrXNotFound; also
// ErrNotFound, which do made of ErrNoRows.
func notFound(ctx context.Context, err, notFound error) error {
	if errors.Is(err, pgx.ErrNoRows) || errors.Is(err, hookline.ErrNotFound) {
		return notFound
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
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(try) * 50 * time.Millisecond):
		}
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

// exec runs one statement under do and returns the number of rows it
// changed. The statement must be safe to run again.
func (s *Store) exec(ctx context.Context, sql string, args ...any) (int64, error) {
	var n int64
	err := s.do(ctx, func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, sql, args...)
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

// changeOne runs one statement under do, and returns notFound when it
// changed no row. The statement must be safe to run again.
func (s *Store) changeOne(ctx context.Context, notFound error, sql string, args ...any) error {
	n, err := s.exec(ctx, sql, args...)
	if err == nil && n == 0 {
		return notFound
	}
	return err
}

// exists returns notFound unless the query finds a row.
func (s *Store) exists(ctx context.Context, notFound error, sql string, args ...any) error {
	err := s.do(ctx, func(ctx context.Context) error {
		var one int
		return s.pool.QueryRow(ctx, sql, args...).Scan(&one)
	})
	if hookline.ErrorCode(err) == hookline.ENOTFOUND {
		return notFound
	}
	return err
}

// querier runs statements: a pool, a connection or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Times are stored as timestamptz, in microseconds.

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

// nullText stores an empty string as NULL.
func nullText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
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

// dialect is PostgreSQL's, for sqlbuild: list columns are arrays.
var dialect = sqlbuild.Dialect{
	Placeholder: sqlbuild.Dollar,
	Time:        func(t time.Time) any { return t },
	Has:         func(col, ph string) string { return ph + " = ANY(" + col + ")" },
	SameBytes:   func(col, ph string) string { return col + " IS NOT DISTINCT FROM " + ph },
	Bytes:       func(b []byte) any { return b },
	Micros: func(col, since string) string {
		return "floor(extract(epoch FROM " + col + " - " + since + "::timestamptz) * 1000000)::bigint"
	},
	Arrays: true,
}

// newQuery returns a query builder in PostgreSQL's dialect.
func newQuery() *sqlbuild.Query { return sqlbuild.New(&dialect) }

// reader runs the reads of sqlbuild's functions on the pool, under do.
type reader struct{ s *Store }

// Read implements sqlbuild.Reader.
func (r reader) Read(ctx context.Context, query string, args []any, start func(), row func(sqlbuild.Scanner) error) error {
	return r.s.do(ctx, func(ctx context.Context) error {
		start()
		rows, err := r.s.pool.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := row(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// shared is sqlbuild.Methods under a name of this package, embedded in
// Store: the methods both stores implement alike, through a reader and a
// writer.
type shared = sqlbuild.Methods

// writer runs the writes of sqlbuild's functions in transactions (tx).
type writer struct{ s *Store }

// Write implements sqlbuild.Writer.
func (w writer) Write(ctx context.Context, fn func(exec func(string, ...any) (int64, error)) error) error {
	return w.s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		return fn(func(query string, args ...any) (int64, error) {
			tag, err := tx.Exec(ctx, query, args...)
			return tag.RowsAffected(), err
		})
	})
}

// list runs a page query made by sqlbuild.Query.Page and scans its rows.
func list[T any](ctx context.Context, s *Store, query string, args []any, n int, scan func(sqlbuild.Scanner) (T, error)) (hookline.Page[T], error) {
	return sqlbuild.List(ctx, reader{s}, query, args, n, scan)
}

type pgconnTag = pgconn.CommandTag
