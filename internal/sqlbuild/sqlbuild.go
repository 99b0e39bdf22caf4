// Package sqlbuild builds the SQL text the store drivers share: the
// conditions of a list and its filters, keyset pagination, qualified column
// lists. A driver describes its dialect (placeholders, how a time is bound,
// how a list column is searched) and keeps its own SQL for everything else.
package sqlbuild

import (
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline"
)

// Dialect is what differs between the drivers in the statements built here.
type Dialect struct {
	// Placeholder spells the placeholder of the nth argument of a
	// statement, counting from 1.
	Placeholder func(n int) string
	// Time is t as an argument.
	Time func(t time.Time) any
	// Has is the condition "the list column col holds the value of the
	// placeholder ph".
	Has func(col, ph string) string
	// Micros is the whole microseconds from the time of the placeholder
	// since to the time column col, a bigint.
	Micros func(col, since string) string
	// SameBytes is the condition "col holds the bytes of the placeholder
	// ph", true for two NULLs.
	SameBytes func(col, ph string) string
	// Bytes is b as an argument, nil as NULL.
	Bytes func(b []byte) any
	// Arrays says the driver binds a []string as one argument, so that
	// "col is one of vals" is col = ANY(ph) rather than col IN (ph, ...).
	Arrays bool
}

// Question spells every placeholder "?" (SQLite).
func Question(int) string { return "?" }

// Dollar spells the nth placeholder "$n" (PostgreSQL).
func Dollar(n int) string { return "$" + strconv.Itoa(n) }

// Query gathers the conditions of a statement and their arguments. The zero
// Query is not usable: make one with New.
type Query struct {
	d     *Dialect
	where []string
	args  []any
}

// New returns a Query in dialect d.
func New(d *Dialect) *Query { return &Query{d: d} }

// Arg adds an argument and returns its placeholder.
func (q *Query) Arg(v any) string {
	q.args = append(q.args, v)
	return q.d.Placeholder(len(q.args))
}

// Where adds a condition; each "?" in cond stands for the next of args and
// is replaced by its placeholder. A "?" beyond args stays as it is.
func (q *Query) Where(cond string, args ...any) {
	if len(args) == 0 {
		q.where = append(q.where, cond)
		return
	}
	var b strings.Builder
	i := 0
	for _, c := range []byte(cond) {
		if c == '?' && i < len(args) {
			b.WriteString(q.Arg(args[i]))
			i++
			continue
		}
		b.WriteByte(c)
	}
	q.where = append(q.where, b.String())
}

// In adds vals as arguments and returns the condition "col is one of
// vals". vals must not be empty.
func (q *Query) In(col string, vals []string) string {
	if q.d.Arrays {
		return col + " = ANY(" + q.Arg(vals) + ")"
	}
	var b strings.Builder
	b.WriteString(col)
	b.WriteString(" IN (")
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(q.Arg(v))
	}
	b.WriteByte(')')
	return b.String()
}

// Has adds v as an argument and returns the condition "the list column col
// holds v".
func (q *Query) Has(col, v string) string { return q.d.Has(col, q.Arg(v)) }

// Args returns the arguments added so far, in placeholder order.
func (q *Query) Args() []any { return q.args }

// SQL returns sel followed by " WHERE " and the conditions joined with AND
// (sel alone when there are none), and the arguments.
func (q *Query) SQL(sel string) (string, []any) {
	var b strings.Builder
	q.writeSelect(&b, sel)
	return b.String(), q.args
}

func (q *Query) writeSelect(b *strings.Builder, sel string) {
	b.WriteString(sel)
	for i, w := range q.where {
		if i == 0 {
			b.WriteString(" WHERE ")
		} else {
			b.WriteString(" AND ")
		}
		b.WriteString(w)
	}
}

// Page returns the statement of one page of a list keyset-paginated on key:
// "<sel> WHERE ... AND key >/< iterator ORDER BY key [DESC] LIMIT n+1",
// its arguments, and n, the page size (see Limit). sel holds everything up
// to the WHERE. The extra row tells whether another page follows (PageOf).
func (q *Query) Page(sel, key string, opts hookline.ListOptions) (string, []any, int) {
	n := opts.PageSize()
	if opts.Iterator != "" {
		if opts.Descending {
			q.Where(key+" < ?", opts.Iterator)
		} else {
			q.Where(key+" > ?", opts.Iterator)
		}
	}
	var b strings.Builder
	q.writeSelect(&b, sel)
	b.WriteString(" ORDER BY ")
	b.WriteString(key)
	if opts.Descending {
		b.WriteString(" DESC")
	}
	b.WriteString(" LIMIT ")
	b.WriteString(q.Arg(n + 1))
	return b.String(), q.args, n
}

// PageOf makes the page of the rows a Page statement returned, for a page
// size of n: the first n items, and Done unless there was one more. A nil
// items makes an empty page.
func PageOf[T any](items []T, n int) hookline.Page[T] {
	if items == nil {
		items = []T{}
	}
	if len(items) > n {
		return hookline.Page[T]{Items: items[:n]}
	}
	return hookline.Page[T]{Items: items, Done: true}
}

// Prefixed qualifies every column of the comma-separated list cols with the
// table alias a: Prefixed("m", "id, name") is "m.id, m.name".
func Prefixed(a, cols string) string {
	out := make([]byte, 0, len(cols)*2)
	start := true
	for i := 0; i < len(cols); i++ {
		c := cols[i]
		if start && c != ' ' && c != '\t' && c != '\n' {
			out = append(out, a...)
			out = append(out, '.')
			start = false
		}
		out = append(out, c)
		if c == ',' {
			start = true
		}
	}
	return string(out)
}
