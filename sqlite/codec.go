package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlbuild"
)

const (
	sqliteBUSY     = sqlite3.SQLITE_BUSY
	sqliteLOCKED   = sqlite3.SQLITE_LOCKED
	sqliteCANTOPEN = sqlite3.SQLITE_CANTOPEN
	sqliteIOERR    = sqlite3.SQLITE_IOERR
	sqliteFULL     = sqlite3.SQLITE_FULL
	sqliteNOTADB   = sqlite3.SQLITE_NOTADB
	sqliteCORRUPT  = sqlite3.SQLITE_CORRUPT
	sqlitePERM     = sqlite3.SQLITE_PERM
	sqliteREADONLY = sqlite3.SQLITE_READONLY
)

// isUnique reports whether err is the violation of a unique key.
func isUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isFatal reports whether err is a failure of the database rather than of
// one statement (a full disk, an I/O error, a lock, no memory, corruption):
// SQLite may have rolled the whole transaction back by itself, and no op of
// the batch can succeed.
func isFatal(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqliteBUSY, sqliteLOCKED, sqliteIOERR, sqliteFULL, sqliteCORRUPT, sqliteNOTADB, sqlite3.SQLITE_NOMEM,
		sqlite3.SQLITE_INTERRUPT, sqliteREADONLY, sqliteCANTOPEN:
		return true
	}
	return false
}

// dbErr gives err a code: errors that already carry one, and context errors,
// pass unchanged; a missing row is ENOTFOUND; a taken unique key ECONFLICT;
// a database that cannot be reached (locked, I/O, full, closed)
// EUNAVAILABLE; anything else stays uncoded (EINTERNAL).
func dbErr(err error) error {
	if err == nil {
		return nil
	}
	var he *hookline.Error
	if errors.As(err, &he) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return hookline.ErrNotFound
	}
	if errors.Is(err, sql.ErrConnDone) || strings.Contains(err.Error(), "sql: database is closed") {
		return fmt.Errorf("sqlite: %w: %w", errClosed, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CONSTRAINT:
			if isUnique(err) {
				return fmt.Errorf("sqlite: %w: %w", hookline.ErrConflict, err)
			}
		case sqliteBUSY, sqliteLOCKED, sqliteCANTOPEN, sqliteIOERR, sqliteFULL, sqlitePERM, sqliteREADONLY:
			return fmt.Errorf("sqlite: %w: %w", hookline.ErrUnavailable, err)
		}
	}
	return fmt.Errorf("sqlite: %w", err)
}

// notFound is ErrNoRows as notFound, one of hookline's ErrXNotFound.
func notFound(err, notFound error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound
	}
	return dbErr(err)
}

// Times are stored as Unix microseconds.

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// nullTime stores a zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return micros(t)
}

func nullTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return micros(*t)
}

func timeOf(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicros(v.Int64)
}

func timePtrOf(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

func nullString(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// nullText stores an empty string as NULL.
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func stringPtrOf(v sql.NullString) *string {
	if !v.Valid {
		return nil
	}
	s := v.String
	return &s
}

func nullInt(i *int) any {
	if i == nil {
		return nil
	}
	return int64(*i)
}

func intPtrOf(v sql.NullInt64) *int {
	if !v.Valid {
		return nil
	}
	i := int(v.Int64)
	return &i
}

// jsonList stores nil as NULL and any other list as a JSON array.
func jsonList[T ~string](l []T) any {
	if l == nil {
		return nil
	}
	b, _ := json.Marshal(l)
	return string(b)
}

// listOf reads what jsonList stored: NULL as nil, an empty array as an
// empty list.
func listOf(v sql.NullString) ([]string, error) { return listOfT[string](v) }

// listOfT is listOf for a list of another string type.
func listOfT[T ~string](v sql.NullString) ([]T, error) {
	if !v.Valid {
		return nil, nil
	}
	l := []T{}
	if err := json.Unmarshal([]byte(v.String), &l); err != nil {
		return nil, fmt.Errorf("sqlite: bad list %q: %w", v.String, err)
	}
	return l, nil
}

// jsonMap stores nil as NULL and any other map as a JSON object.
func jsonMap(m map[string]string) any {
	if m == nil {
		return nil
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func mapOf(v sql.NullString) (map[string]string, error) {
	if !v.Valid {
		return nil, nil
	}
	m := map[string]string{}
	if err := json.Unmarshal([]byte(v.String), &m); err != nil {
		return nil, fmt.Errorf("sqlite: bad map: %w", err)
	}
	return m, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// scanner is a *sql.Row or *sql.Rows.
type scanner = sqlbuild.Scanner

// reader runs the reads of sqlbuild's functions on db, a reading pool.
type reader struct{ db *sql.DB }

// Read implements sqlbuild.Reader.
func (r reader) Read(ctx context.Context, query string, args []any, start func(), row func(sqlbuild.Scanner) error) error {
	start()
	rows, err := r.db.QueryContext(ctx, query, args...)
	if err != nil {
		return dbErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return dbErr(err)
		}
	}
	return dbErr(rows.Err())
}

// shared is sqlbuild.Methods under a name of this package, embedded in
// Store: the methods both stores implement alike, through a reader and a
// writer.
type shared = sqlbuild.Methods

// opWriter runs the writes of sqlbuild's functions through the store's
// writer, each fn one op.
type opWriter struct{ s *Store }

// Write implements sqlbuild.Writer.
func (x opWriter) Write(ctx context.Context, fn func(exec func(string, ...any) (int64, error)) error) error {
	return x.s.write(ctx, func(w *writer) error { return fn(w.affected) })
}

// list runs a page query made by sqlbuild.Query.Page and scans its rows.
func list[T any](ctx context.Context, db *sql.DB, query string, args []any, n int, scan func(scanner) (T, error)) (hookline.Page[T], error) {
	return sqlbuild.List(ctx, reader{db}, query, args, n, scan)
}

// dialect is SQLite's, for sqlbuild: list columns hold JSON arrays.
var dialect = sqlbuild.Dialect{
	Placeholder: sqlbuild.Question,
	Time:        func(t time.Time) any { return micros(t) },
	Has: func(col, ph string) string {
		return "EXISTS (SELECT 1 FROM json_each(" + col + ") WHERE value = " + ph + ")"
	},
	Micros: func(col, since string) string { return "(" + col + " - " + since + ")" },
	// The columns that kept secrets in clear hold text, which is not bytes.
	SameBytes: func(col, ph string) string { return "CAST(" + col + " AS BLOB) IS " + ph },
	Bytes:     func(b []byte) any { return nullBytes(b) },
}

// newQuery returns a query builder in SQLite's dialect.
func newQuery() *sqlbuild.Query { return sqlbuild.New(&dialect) }

// nullBytes is b as an argument: NULL when nil.
func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}
