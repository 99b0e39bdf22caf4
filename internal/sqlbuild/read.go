package sqlbuild

import (
	"context"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

// Scanner is one row of a result: *sql.Rows, *sql.Row, pgx.Rows, pgx.Row.
type Scanner interface {
	Scan(dest ...any) error
}

// Reader runs the read statements of the functions below: each store's,
// on its own connections, with its own retries and its own errors.
type Reader interface {
	// Read runs query with args and calls row for each row of the result,
	// stopping at the first error. A store that runs the statement again
	// after a failure calls start before each run, so that what the rows
	// of a failed run added is dropped.
	Read(ctx context.Context, query string, args []any, start func(), row func(Scanner) error) error
}

// Rows runs query and returns what scan makes of each of its rows.
func Rows[T any](ctx context.Context, r Reader, query string, args []any, scan func(Scanner) (T, error)) ([]T, error) {
	var items []T
	err := r.Read(ctx, query, args, func() { items = items[:0] }, func(sc Scanner) error {
		it, err := scan(sc)
		if err == nil {
			items = append(items, it)
		}
		return err
	})
	return items, err
}

// List runs a page query of n items made by Query.Page and scans its rows.
func List[T any](ctx context.Context, r Reader, query string, args []any, n int, scan func(Scanner) (T, error)) (hookline.Page[T], error) {
	items, err := Rows(ctx, r, query, args, scan)
	if err != nil {
		return hookline.Page[T]{}, err
	}
	return PageOf(items, n), nil
}

// CountCapped runs a count query made by Query.CountAttemptsByEndpoint,
// which counts up to max+1, and returns the count up to max and whether
// there were more.
func CountCapped(ctx context.Context, r Reader, query string, args []any, max int) (int, bool, error) {
	var n int
	err := r.Read(ctx, query, args, func() { n = 0 }, func(sc Scanner) error { return sc.Scan(&n) })
	if err != nil {
		return 0, false, err
	}
	return min(n, max), n > max, nil
}

// AttemptTallies runs a query made by Query.AppAttemptStats.
func AttemptTallies(ctx context.Context, r Reader, query string, args []any) ([]hookline.AttemptTally, error) {
	return Rows(ctx, r, query, args, func(sc Scanner) (hookline.AttemptTally, error) {
		var t hookline.AttemptTally
		return t, sc.Scan(&t.Step, &t.EventType, &t.Status, &t.Count)
	})
}

// AppUsage counts the applications' messages of [since, until) and their
// deliveries, with the queries q makes (Query.UsageMessages and
// Query.UsageDeliveries, one builder each).
func AppUsage(ctx context.Context, r Reader, q func() *Query, appIDs []string, since, until time.Time) ([]hookline.AppUsage, error) {
	out, of := hookline.PerApp(appIDs, func(id string) hookline.AppUsage { return hookline.AppUsage{AppID: id} })
	if len(appIDs) == 0 {
		return out, nil
	}
	for _, st := range []struct {
		build func(*Query) (string, []any)
		count func(*hookline.AppUsage) *int64
	}{
		{func(q *Query) (string, []any) { return q.UsageMessages(appIDs, since, until) },
			func(u *hookline.AppUsage) *int64 { return &u.Messages }},
		{func(q *Query) (string, []any) { return q.UsageDeliveries(appIDs, since, until) },
			func(u *hookline.AppUsage) *int64 { return &u.Destinations }},
	} {
		query, args := st.build(q())
		start := func() {
			for i := range out {
				*st.count(&out[i]) = 0
			}
		}
		err := r.Read(ctx, query, args, start, func(sc Scanner) error {
			var id string
			var n int64
			if err := sc.Scan(&id, &n); err != nil {
				return err
			}
			if u := of(id); u != nil {
				*st.count(u) = n
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// EndpointStats runs a query made by Query.EndpointStats.
func EndpointStats(ctx context.Context, r Reader, query string, args []any) (*hookline.EndpointStats, error) {
	var st hookline.EndpointStats
	err := r.Read(ctx, query, args, func() { st = hookline.EndpointStats{} }, func(sc Scanner) error {
		var status int16
		var n int64
		if err := sc.Scan(&status, &n); err != nil {
			return err
		}
		st.Add(hookline.Status(status), n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &st, nil
}

// DeliveryCounts runs CountDeliveries.
func DeliveryCounts(ctx context.Context, r Reader) (hookline.DeliveryCounts, error) {
	var c hookline.DeliveryCounts
	err := r.Read(ctx, CountDeliveries, nil, func() { c = hookline.DeliveryCounts{} }, func(sc Scanner) error {
		var status int16
		var held bool
		var n int64
		if err := sc.Scan(&status, &held, &n); err != nil {
			return err
		}
		c.Add(hookline.Status(status), held, n)
		return nil
	})
	return c, err
}

// Writer runs the write statements of the functions below: each store's,
// in its own transactions, with its own retries and its own errors.
type Writer interface {
	// Write runs fn in a transaction, with exec, which runs a statement and
	// returns the number of rows it changed. A store that runs the
	// transaction again after a failure calls fn again.
	Write(ctx context.Context, fn func(exec func(query string, args ...any) (int64, error)) error) error
}

// Methods are the store methods both drivers implement alike, over the
// driver's Reader and Writer: a driver's Store embeds Methods and has them.
// Methods is also the store's hookline.SealedTables.
type Methods struct {
	Reader Reader
	Writer Writer
	// Query returns a builder in the driver's dialect.
	Query func() *Query
	// EndpointExists returns hookline.ErrEndpointNotFound when the
	// application has no such endpoint.
	EndpointExists func(ctx context.Context, appID, endpointID string) error
}

// CountAttemptsByEndpoint counts the endpoint's attempts that f keeps, up
// to max, through the index attempts_endpoint.
func (r Methods) CountAttemptsByEndpoint(ctx context.Context, appID, endpointID string, f hookline.AttemptFilter, max int) (int, bool, error) {
	if err := r.EndpointExists(ctx, appID, endpointID); err != nil {
		return 0, false, err
	}
	query, args := r.Query().CountAttemptsByEndpoint(appID, endpointID, f, max)
	return CountCapped(ctx, r.Reader, query, args, max)
}

// AppAttemptStats counts the application's attempts of [since, until) by
// step, event type and outcome, through the index attempts_app_created.
func (r Methods) AppAttemptStats(ctx context.Context, appID string, since, until time.Time, step time.Duration, eventTypes []string) ([]hookline.AttemptTally, error) {
	query, args := r.Query().AppAttemptStats(appID, since, until, step, eventTypes)
	return AttemptTallies(ctx, r.Reader, query, args)
}

// AppUsage counts the applications' messages of [since, until) and their
// deliveries.
func (r Methods) AppUsage(ctx context.Context, appIDs []string, since, until time.Time) ([]hookline.AppUsage, error) {
	return AppUsage(ctx, r.Reader, r.Query, appIDs, since, until)
}

// EndpointStats counts the deliveries to the application's endpoint by
// status, for messages created in [since, until) where those are set.
func (r Methods) EndpointStats(ctx context.Context, appID, endpointID string, since, until *time.Time) (*hookline.EndpointStats, error) {
	if err := r.EndpointExists(ctx, appID, endpointID); err != nil {
		return nil, err
	}
	query, args := r.Query().EndpointStats(endpointID, since, until)
	return EndpointStats(ctx, r.Reader, query, args)
}

// CountDeliveries counts the deliveries by state.
func (r Methods) CountDeliveries(ctx context.Context) (hookline.DeliveryCounts, error) {
	return DeliveryCounts(ctx, r.Reader)
}

// HeldDeliveries counts the held deliveries of each of the endpoints that
// has some.
func (r Methods) HeldDeliveries(ctx context.Context, endpointIDs []string) (map[string]int64, error) {
	held := map[string]int64{}
	if len(endpointIDs) == 0 {
		return held, nil
	}
	query, args := r.Query().HeldDeliveries(endpointIDs)
	err := r.Reader.Read(ctx, query, args, func() { clear(held) }, func(sc Scanner) error {
		var id string
		var n int64
		if err := sc.Scan(&id, &n); err != nil {
			return err
		}
		held[id] = n
		return nil
	})
	return held, err
}

// SealedRows reads a page of the columns of k (hookline.SealedTables).
func (r Methods) SealedRows(ctx context.Context, k *hookline.SealedKind, after string) ([]hookline.SealedRow, error) {
	names := k.Names()
	q := r.Query()
	q.Where("id > ?", after)
	query, _ := q.SQL(`SELECT id, ` + strings.Join(names, ", ") + ` FROM ` + k.Table)
	query += ` ORDER BY id LIMIT ` + q.Arg(hookline.ResealBatch)
	return Rows(ctx, r.Reader, query, q.Args(), func(sc Scanner) (hookline.SealedRow, error) {
		row := hookline.SealedRow{Values: make([][]byte, len(names))}
		dest := []any{&row.ID}
		for i := range row.Values {
			dest = append(dest, &row.Values[i])
		}
		return row, sc.Scan(dest...)
	})
}

// Reseal is the statement of hookline.SealedTables.ResealRows for one row:
// it writes the columns of now (k.Names) where the row still holds those of
// was.
func (q *Query) Reseal(k *hookline.SealedKind, was, now hookline.SealedRow) (string, []any) {
	names := k.Names()
	set := make([]string, len(names))
	for i, c := range names {
		set[i] = c + ` = ` + q.Arg(q.d.Bytes(now.Values[i]))
	}
	q.Where("id = ?", now.ID)
	for i, c := range names {
		q.Where(q.d.SameBytes(c, q.Arg(q.d.Bytes(was.Values[i]))))
	}
	return q.SQL(`UPDATE ` + k.Table + ` SET ` + strings.Join(set, ", "))
}

// ResealRows writes the rows of now in one transaction, each where its
// columns still hold those of was (hookline.SealedTables).
func (r Methods) ResealRows(ctx context.Context, k *hookline.SealedKind, was, now []hookline.SealedRow) (int, error) {
	n := 0
	err := r.Writer.Write(ctx, func(exec func(string, ...any) (int64, error)) error {
		n = 0
		for i, row := range now {
			query, args := r.Query().Reseal(k, was[i], row)
			changed, err := exec(query, args...)
			if err != nil {
				return err
			}
			n += int(changed)
		}
		return nil
	})
	return n, err
}

// LegacySeals reads the mark of sealed_format (hookline.SealedTables).
func (r Methods) LegacySeals(ctx context.Context) (bool, error) {
	var legacy bool
	err := r.Reader.Read(ctx, `SELECT legacy FROM sealed_format WHERE id = 1`, nil, func() {}, func(sc Scanner) error {
		return sc.Scan(&legacy)
	})
	return legacy, err
}

// MarkSealsBound clears the mark of sealed_format (hookline.SealedTables).
func (r Methods) MarkSealsBound(ctx context.Context) error {
	return r.Writer.Write(ctx, func(exec func(string, ...any) (int64, error)) error {
		q := r.Query()
		query, args := q.SQL(`UPDATE sealed_format SET legacy = ` + q.Arg(false) + ` WHERE id = 1`)
		_, err := exec(query, args...)
		return err
	})
}
