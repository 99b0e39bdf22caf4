package postgres

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline/internal/wait"
	"github.com/hookline/hookline/postgres/pgtest"
)

// TestMigrationLockOfSearchPath: a URL that names no schema of its own
// (the search_path comes from the server, here from the URL's options) still
// migrates under the lock of the schema it migrates: while another session
// holds that lock, Open waits for it.
func TestMigrationLockOfSearchPath(t *testing.T) {
	t.Parallel()
	schema, _ := pgtest.Schema(t)
	base := pgtest.URL(t)
	appName := pgtest.Name("hl_lock_")
	url := pgtest.WithParam(t, base, "options", "-csearch_path="+schema)
	url = pgtest.WithParam(t, url, "application_name", appName)
	ctx := t.Context()

	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(`+migrationLock+`)`, schema); err != nil {
		t.Fatal(err)
	}
	type result struct {
		s   *Store
		err error
	}
	opened := make(chan result, 1)
	go func() {
		s, err := Open(ctx, url)
		opened <- result{s, err}
	}()
	wait.For(t, "Open to wait for the migration lock", func() bool {
		select {
		case r := <-opened:
			if r.s != nil {
				r.s.Close()
			}
			t.Fatalf("Open returned (err %v) while the migration lock of %s was held: it migrated that schema under another lock", r.err, schema)
		default:
		}
		var waiting int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1
			AND wait_event_type = 'Lock' AND wait_event = 'advisory'`, appName).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		return waiting > 0
	})
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock(`+migrationLock+`)`, schema); err != nil {
		t.Fatal(err)
	}
	r := <-opened
	if r.err != nil {
		t.Fatalf("Open once the lock was free: %v", r.err)
	}
	defer r.s.Close()
	if r.s.Schema() != schema {
		t.Fatalf("Schema() = %q, want %q", r.s.Schema(), schema)
	}
}
