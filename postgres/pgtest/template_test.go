package pgtest_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"

	"github.com/hookline/hookline/postgres"
	"github.com/hookline/hookline/postgres/pgtest"
)

// TestMain fails the package's tests when they leave a goroutine running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// migrate brings the schema at url up to date by opening a store on it.
func migrate(ctx context.Context, url string) error {
	s, err := postgres.Open(ctx, url)
	if err != nil {
		return err
	}
	return s.Close()
}

// describe returns what a migration made in schema, one line a thing,
// sorted, with the schema's name replaced by "S".
func describe(t *testing.T, schema string) string {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var lines []string
	rows, err := conn.Query(ctx, `
		SELECT format('column %s.%s %s collate %s not null %s default %s identity %s generated %s storage %s',
			c.relname, a.attname, format_type(a.atttypid, a.atttypmod), co.collname, a.attnotnull,
			pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated, a.attstorage)
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		LEFT JOIN pg_collation co ON co.oid = a.attcollation
		LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
		WHERE c.relnamespace = $1::text::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
		UNION ALL
		SELECT format('relation %s kind %s options %s', c.relname, c.relkind, c.reloptions)
		FROM pg_class c WHERE c.relnamespace = $1::text::regnamespace
		UNION ALL
		SELECT 'index ' || replace(pg_get_indexdef(i.indexrelid), ' ON ' || $1::text || '.', ' ON S.')
		FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = $1::text::regnamespace
		UNION ALL
		SELECT format('constraint %s of %s: %s', n.conname, c.relname, pg_get_constraintdef(n.oid))
		FROM pg_constraint n JOIN pg_class c ON c.oid = n.conrelid WHERE c.relnamespace = $1::text::regnamespace
		UNION ALL
		SELECT format('sequence %s last value %s', sequencename, last_value) FROM pg_sequences WHERE schemaname = $1::text`,
		schema)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows, err = conn.Query(ctx, `SELECT format('goose version %s applied %s', version_id, is_applied)
		FROM `+schema+`.goose_db_version ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(lines)
	return strings.Join(append(lines, versions...), "\n")
}

// TestCloneIsTheMigratedSchema: a copy of the template is what migrating a
// new schema makes, down to the names of the indexes and the migration
// tool's versions, and a store opened on it finds it up to date.
func TestCloneIsTheMigratedSchema(t *testing.T) {
	migrated, migratedURL := pgtest.Schema(t)
	if err := migrate(t.Context(), migratedURL); err != nil {
		t.Fatal(err)
	}
	tp := &pgtest.Template{Migrate: migrate}
	t.Cleanup(func() {
		if err := tp.Drop(); err != nil {
			t.Error(err)
		}
	})
	clone, cloneURL := tp.Clone(t)
	want, got := describe(t, migrated), describe(t, clone)
	if got != want {
		t.Fatalf("the clone differs from a migrated schema:\n got %s\nwant %s", got, want)
	}
	if err := migrate(t.Context(), cloneURL); err != nil {
		t.Fatal(err)
	}
	if again := describe(t, clone); again != got {
		t.Fatalf("opening a store on the clone migrated it again:\n got %s\nwant %s", again, got)
	}
	if second, _ := tp.Clone(t); second == clone {
		t.Fatalf("two clones in one schema %s", clone)
	}
}

// recorder is a testing.TB whose Fatalf records the failure and ends the
// goroutine, as testing's does; the rest is t's.
type recorder struct {
	testing.TB
	failure string
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failure = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestCloneRefusesWhatItCannotCopy: a template holding a function fails
// Clone, rather than giving a copy without it.
func TestCloneRefusesWhatItCannotCopy(t *testing.T) {
	pgtest.URL(t)
	tp := &pgtest.Template{Migrate: func(ctx context.Context, url string) error {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `CREATE TABLE things (id int PRIMARY KEY);
			CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 42'`)
		return err
	}}
	t.Cleanup(func() {
		if err := tp.Drop(); err != nil {
			t.Error(err)
		}
	})
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		tp.Clone(r)
	}()
	<-done
	if !strings.Contains(r.failure, "holds a function answer, which Clone does not copy") {
		t.Fatalf("Clone of a template with a function: failure %q", r.failure)
	}
}
