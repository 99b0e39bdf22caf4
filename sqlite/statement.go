package sqlite

import (
	"database/sql"
	"strings"
)

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

// changeOne runs q, and fails (clean) with notFound when it changed no
// row.
func (w *writer) changeOne(notFound error, q string, args ...any) error {
	n, err := w.affected(q, args...)
	if err != nil {
		return clean(err)
	}
	if n == 0 {
		return clean(notFound)
	}
	return nil
}

// affected runs q and returns the number of rows it changed.
func (w *writer) affected(q string, args ...any) (int64, error) {
	res, err := w.exec(q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
