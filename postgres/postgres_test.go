package postgres_test

import (
	"context"
	"net"
	neturl "net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/wait"
	"github.com/hookline/hookline/postgres"
	"github.com/hookline/hookline/postgres/pgtest"
	"github.com/hookline/hookline/storetest"
)

// open opens a Store on url and closes it when t ends.
func open(t *testing.T, url string, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// template is the schema migrated once for this test binary; the cases of
// the conformance suite get a copy each. TestMain drops it.
var template = &pgtest.Template{Migrate: func(ctx context.Context, url string) error {
	s, err := postgres.Open(ctx, url)
	if err != nil {
		return err
	}
	return s.Close()
}}

// TestStore runs the conformance suite, each test in a schema of its own.
func TestStore(t *testing.T) {
	pgtest.URL(t)
	t.Parallel()
	storetest.Run(t, func(t *testing.T) hookline.Store {
		_, url := template.Clone(t)
		return open(t, url)
	})
}

// TestStoreWithSecretKey runs the suite with endpoint secrets encrypted.
func TestStoreWithSecretKey(t *testing.T) {
	pgtest.URL(t)
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	storetest.Run(t, func(t *testing.T) hookline.Store {
		_, url := template.Clone(t)
		return open(t, url, postgres.WithSecretKey(key))
	})
}

func TestStoreSecretKey(t *testing.T) {
	pgtest.URL(t)
	t.Parallel()
	storetest.RunSecretKey(t, sealedDB)
}

func TestMigrations(t *testing.T) {
	pgtest.URL(t)
	t.Parallel()
	storetest.RunMigrations(t, sealedDB)
}

// sealedDB is a new schema for the storetest runners that change and read
// it by hand.
func sealedDB(t *testing.T) storetest.SealedDB {
	_, url := template.Clone(t)
	return storetest.SealedDB{
		Open: func(t *testing.T, key []byte, previous ...[]byte) hookline.Store {
			return open(t, url, postgres.WithSecretKey(key, previous...))
		},
		Exec: func(t *testing.T, query string, args ...any) { pgtest.Exec(t, url, query, args...) },
		Column: func(t *testing.T, query string, args ...any) [][]byte {
			conn, err := pgx.Connect(t.Context(), url)
			must(t, err)
			defer conn.Close(t.Context())
			rows, err := conn.Query(t.Context(), query, args...)
			must(t, err)
			col, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
			must(t, err)
			return col
		},
		Downgrade: func(t *testing.T, version int64) {
			cfg, err := pgx.ParseConfig(url)
			must(t, err)
			db := stdlib.OpenDB(*cfg)
			defer db.Close()
			must(t, postgres.MigrateDownTo(t.Context(), db, version))
		},
		Tables: func(s hookline.Store) hookline.SealedTables { return postgres.SealedTables(s.(*postgres.Store)) },
	}
}

// quiet reports whether s, a store on url, has had no Due signal from
// anything committed on the server so far. It needs no window of time: it
// has s cache app, an application of its schema, changes the application
// by hand, and notifies s's channel to forget its caches. PostgreSQL
// delivers a listener's notifications in the order their transactions
// committed, so once s reads the change, it has relayed every notification
// committed before, and a Due signal among them waits in s.Due().
func quiet(t *testing.T, s *postgres.Store, url string, app *hookline.Application) bool {
	t.Helper()
	ctx := t.Context()
	before, err := s.Application(ctx, app.ID)
	must(t, err)
	name := pgtest.Name("by_hand_")
	pgtest.Exec(t, url, `UPDATE applications SET name = $1 WHERE id = $2`, name, app.ID)
	if got, err := s.Application(ctx, app.ID); err != nil || got.Name != before.Name {
		t.Fatalf("Application after a change by hand = %+v, %v; want the cached one", got, err)
	}
	pgtest.Exec(t, url, `SELECT pg_notify($1, $2)`, postgres.Channel(s.Schema()), postgres.ForgetPayload)
	wait.For(t, "the store to relay the notifications committed so far", func() bool {
		got, err := s.Application(ctx, app.ID)
		must(t, err)
		return got.Name == name
	})
	select {
	case <-s.Due():
		return false
	default:
		return true
	}
}

// TestDueAcrossNodes: a change on one store wakes the dispatchers of every
// other store of the schema (through LISTEN/NOTIFY), not those of another
// schema.
func TestDueAcrossNodes(t *testing.T) {
	t.Parallel()
	_, url := template.Clone(t)
	_, otherURL := template.Clone(t)
	a, b := open(t, url), open(t, url)
	other := open(t, otherURL)
	ctx := t.Context()

	app := &hookline.Application{Name: "due"}
	must(t, a.CreateApplication(ctx, app))
	ep := &hookline.Endpoint{AppID: app.ID, URL: "https://example.com/hook"}
	must(t, a.CreateEndpoint(ctx, ep, 0))
	otherApp := &hookline.Application{Name: "other"}
	must(t, other.CreateApplication(ctx, otherApp))

	step := func(what string, fn func()) {
		t.Helper()
		storetest.Drain(b)
		storetest.Drain(other)
		fn()
		if !storetest.Signalled(b) {
			t.Fatalf("%s on one store did not signal Due on the other", what)
		}
		if !quiet(t, other, otherURL, otherApp) {
			t.Fatalf("%s signalled Due on a store of another schema", what)
		}
	}
	msg := &hookline.Message{AppID: app.ID, EventType: "x", Payload: []byte(`{}`)}
	step("CreateMessage", func() {
		_, err := a.CreateMessage(ctx, msg)
		must(t, err)
	})
	tasks, err := a.ClaimDue(ctx, "node-a", time.Now(), time.Hour, 10)
	must(t, err)
	if len(tasks) != 1 {
		t.Fatalf("claimed %d", len(tasks))
	}
	step("Release", func() { must(t, a.Release(ctx, "node-a")) })
	step("Resend", func() { must(t, a.Resend(ctx, app.ID, msg.ID, ep.ID)) })
	ep.Disabled = true
	must(t, a.UpdateEndpoint(ctx, ep))
	ep.Disabled = false
	step("Enabling an endpoint", func() { must(t, a.UpdateEndpoint(ctx, ep)) })
}

// TestListenReconnects ends the LISTEN connections as a database restart
// would: the stores connect again, signal Due (notifications may have been
// missed), and relay notifications again.
func TestListenReconnects(t *testing.T) {
	t.Parallel()
	schema, url := template.Clone(t)
	a, b := open(t, url), open(t, url)
	ctx := t.Context()
	app := &hookline.Application{Name: "reconnect"}
	must(t, a.CreateApplication(ctx, app))
	must(t, a.CreateEndpoint(ctx, &hookline.Endpoint{AppID: app.ID, URL: "https://example.com/hook"}, 0))

	for round := range 3 {
		storetest.Drain(b)
		if n := pgtest.Terminate(t, schema); n < 2 {
			t.Fatalf("round %d: terminated %d sessions, want at least the two LISTEN connections", round, n)
		}
		if !storetest.Signalled(b) {
			t.Fatalf("round %d: no Due signal after the LISTEN connection came back", round)
		}
		// Wait until both listen again, then a message on a wakes b.
		wait.For(t, "both stores to listen again", func() bool { return listeners(t, schema) == 2 })
		storetest.Drain(b)
		_, err := a.CreateMessage(ctx, &hookline.Message{AppID: app.ID, EventType: "x", Payload: []byte(`{}`)})
		must(t, err) // on a connection that was just terminated: retried on a new one
		if !storetest.Signalled(b) {
			t.Fatalf("round %d: a message on one store did not wake the other after a reconnect", round)
		}
	}
}

// listeners counts the sessions of schema's stores that are listening.
func listeners(t *testing.T, schema string) int {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), pgtest.URL(t))
	must(t, err)
	defer conn.Close(t.Context())
	var n int
	must(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
		WHERE application_name = $1 AND query LIKE 'LISTEN %'`, schema).Scan(&n))
	return n
}

// TestMigrateConcurrently opens several stores at once on a new schema, as
// nodes starting together do: the advisory lock lets one migrate and the
// others find the schema up to date.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	base := pgtest.URL(t)
	schema := pgtest.Name("hl_test_")
	t.Cleanup(func() { pgtest.Exec(t, base, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`) })
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(t.Context(), base, postgres.WithSchema(schema))
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
	s := open(t, base, postgres.WithSchema(schema))
	if s.Schema() != schema {
		t.Fatalf("Schema() = %q, want %q", s.Schema(), schema)
	}
	conn, err := pgx.Connect(t.Context(), base)
	must(t, err)
	defer conn.Close(t.Context())
	var applied int
	must(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM `+schema+`.goose_db_version WHERE version_id > 0`).Scan(&applied))
	files, err := os.ReadDir("migrations")
	must(t, err)
	if applied != len(files) {
		t.Fatalf("%d migrations recorded, want %d: each once", applied, len(files))
	}
}

// TestConnectionsTerminated ends every session of a store between calls, as
// a database restart does: the calls that follow succeed on new
// connections, and nothing written before is lost.
func TestConnectionsTerminated(t *testing.T) {
	t.Parallel()
	schema, url := template.Clone(t)
	s := open(t, url)
	ctx := t.Context()
	app := &hookline.Application{Name: "restart"}
	must(t, s.CreateApplication(ctx, app))
	must(t, s.CreateEndpoint(ctx, &hookline.Endpoint{AppID: app.ID, URL: "https://example.com/hook"}, 0))
	var ids []string
	for i := range 20 {
		if i%4 == 0 {
			pgtest.Terminate(t, schema)
		}
		m := &hookline.Message{AppID: app.ID, EventType: "x", Payload: []byte(`{}`)}
		if _, err := s.CreateMessage(ctx, m); err != nil {
			t.Fatalf("CreateMessage %d after terminated sessions: %v", i, err)
		}
		ids = append(ids, m.ID)
		if _, err := s.Application(ctx, app.ID); err != nil {
			t.Fatalf("Application after terminated sessions: %v", err)
		}
	}
	pgtest.Terminate(t, schema)
	tasks, err := s.ClaimDue(ctx, "w", time.Now().Add(time.Minute), time.Minute, 100)
	must(t, err)
	if len(tasks) != len(ids) {
		t.Fatalf("claimed %d deliveries, want %d", len(tasks), len(ids))
	}
}

// TestUnavailable: a database that cannot be reached is EUNAVAILABLE, within
// the store's time bound, both at Open and for a store whose database stops
// accepting connections; and the store recovers when it comes back.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	base := pgtest.URL(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	closedPort := ln.Addr().String()
	ln.Close()
	u, _ := neturl.Parse(base)
	u.Host = closedPort
	_, err = postgres.Open(t.Context(), u.String(), postgres.WithTimeout(2*time.Second))
	if code := hookline.ErrorCode(err); code != hookline.EUNAVAILABLE {
		t.Fatalf("Open on a closed port: %v (code %q), want EUNAVAILABLE", err, code)
	}

	db, url := pgtest.Database(t)
	s := open(t, url, postgres.WithTimeout(2*time.Second))
	ctx := t.Context()
	app := &hookline.Application{Name: "away"}
	must(t, s.CreateApplication(ctx, app))

	pgtest.Exec(t, base, `ALTER DATABASE `+db+` ALLOW_CONNECTIONS false`)
	pgtest.Terminate(t, db)
	start := time.Now()
	_, err = s.Application(ctx, app.ID)
	if code := hookline.ErrorCode(err); code != hookline.EUNAVAILABLE {
		t.Fatalf("Application while the database refuses connections: %v (code %q), want EUNAVAILABLE", err, code)
	}
	_, err = s.CreateMessage(ctx, &hookline.Message{AppID: app.ID, EventType: "x", Payload: []byte(`{}`)})
	if code := hookline.ErrorCode(err); code != hookline.EUNAVAILABLE {
		t.Fatalf("CreateMessage while the database refuses connections: %v (code %q), want EUNAVAILABLE", err, code)
	}
	t.Logf("two calls failed with EUNAVAILABLE in %v", time.Since(start))

	pgtest.Exec(t, base, `ALTER DATABASE `+db+` ALLOW_CONNECTIONS true`)
	if _, err := s.Application(ctx, app.ID); err != nil {
		t.Fatalf("Application once the database is back: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
