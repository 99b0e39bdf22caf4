package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/internal/wait"
	"github.com/hookline/hookline/postgres"
	"github.com/hookline/hookline/postgres/pgtest"
)

func TestIsPostgresURL(t *testing.T) {
	for dsn, want := range map[string]bool{
		"postgres://u@h:5432/db":           true,
		"postgresql://u@h/db?sslmode=off":  true,
		"POSTGRES://u@h/db":                true,
		"PostgreSQL://u@h/db":              true,
		"hookline.db":                      false,
		"/var/lib/hookline/postgres.db":    false,
		"./postgres://not-a-scheme":        false,
		"postgresx://u@h/db":               false,
		"file:hookline.db?_pragma=foo":     false,
		"host=127.0.0.1 dbname=test":       false, // key/value strings are not taken for PostgreSQL
		"mysql://u@h/db":                   false,
		"postgres:/missing-slash/hookline": false,
	} {
		if got := isPostgresURL(dsn); got != want {
			t.Errorf("isPostgresURL(%q) = %v, want %v", dsn, got, want)
		}
	}
}

// withScheme returns the URL raw with its scheme replaced.
func withScheme(raw, scheme string) string {
	_, rest, _ := strings.Cut(raw, "://")
	return scheme + "://" + rest
}

// migrated counts four of Hookline's tables (goose's included) in schema.
func migrated(t *testing.T, schema string) int {
	t.Helper()
	return queryInt(t, pgtest.URL(t), `SELECT count(*) FROM information_schema.tables
		WHERE table_schema = $1 AND table_name IN ('goose_db_version', 'deliveries', 'messages', 'tokens')`, schema)
}

// TestMigratePostgres: 'hookline migrate' creates the tables on PostgreSQL,
// whether the URL comes from --db or HOOKLINE_DB, with the scheme postgres or
// postgresql in any case; and nothing is written beside it as a SQLite file
// would be.
func TestMigratePostgres(t *testing.T) {
	t.Chdir(t.TempDir()) // a SQLite fallback would leave files here
	for _, tc := range []struct {
		name   string
		scheme string
		env    bool
	}{
		{"flag postgres", "postgres", false},
		{"flag postgresql", "postgresql", false},
		{"HOOKLINE_DB postgresql", "postgresql", true},
		{"flag POSTGRES", "POSTGRES", false},
		{"HOOKLINE_DB PostgreSQL", "PostgreSQL", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			schema, url := pgtest.Schema(t)
			dsn := withScheme(url, tc.scheme)
			args := []string{"migrate"}
			env := map[string]string{}
			if tc.env {
				env["HOOKLINE_DB"] = dsn
			} else {
				args = append(args, "--db", dsn)
			}
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), args, func(k string) string { return env[k] }, strings.NewReader(""), &stdout, &stderr)
			if code != 0 {
				t.Fatalf("hookline migrate: exit %d\n%s", code, stderr.String())
			}
			if !strings.Contains(stdout.String(), "database is up to date") {
				t.Errorf("stdout: %q", stdout.String())
			}
			if n := migrated(t, schema); n != 4 {
				t.Fatalf("%d of 4 tables in schema %s after hookline migrate", n, schema)
			}
		})
	}
	if files, _ := os.ReadDir("."); len(files) > 0 {
		t.Errorf("hookline migrate on PostgreSQL left %d files in the working directory (%s...)", len(files), files[0].Name())
	}
}

// TestServeHookline_DB: 'hookline serve' with HOOKLINE_DB set to a
// PostgreSQL URL (its scheme in mixed case) serves from that database: no
// master key file is generated beside it, and an application created
// through the API is a row of the schema.
func TestServeHookline_DB(t *testing.T) {
	t.Chdir(t.TempDir())
	schema, url := pgtest.Schema(t)
	const token = "hk_cli_test_token_0123456789abcdef"
	env := map[string]string{
		"HOOKLINE_DB":          withScheme(url, "Postgres"),
		"HOOKLINE_LISTEN":      "127.0.0.1:0",
		"HOOKLINE_ADMIN_TOKEN": token,
		"HOOKLINE_SECRET_KEY":  testMasterKey,
	}
	cfg, err := parseServeFlags(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, func(a string) { addr <- a }, io.Discard, io.Discard) }()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("serve with HOOKLINE_DB=%s: %v", redactDB(env["HOOKLINE_DB"]), err)
	}
	var app struct{ ID string }
	code, err := apiCall(&http.Client{Timeout: 10 * time.Second}, "POST", base+"/api/v1/app", token,
		map[string]any{"name": "cli"}, &app)
	if err != nil || code != 201 {
		t.Fatalf("create app: %d %v", code, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if n := queryInt(t, pgtest.URL(t), `SELECT count(*) FROM `+schema+`.applications WHERE id = $1`, app.ID); n != 1 {
		t.Fatalf("application %s not found in schema %s", app.ID, schema)
	}
	if files, _ := os.ReadDir("."); len(files) > 0 {
		t.Errorf("serve on PostgreSQL left %d files in the working directory (%s...)", len(files), files[0].Name())
	}
}

// stale is a Store whose first TokenByHash misses, as it does for a node
// whose look came just before another node stored the same token.
type stale struct {
	hookline.Store
	looked bool
}

func (s *stale) TokenByHash(ctx context.Context, hash []byte) (*hookline.Token, error) {
	if !s.looked {
		s.looked = true
		return nil, hookline.Errorf(hookline.ENOTFOUND, "Token not found.")
	}
	return s.Store.TokenByHash(ctx, hash)
}

// TestEnsureAdminTokenStoredMeanwhile: the token of HOOKLINE_ADMIN_TOKEN
// stored by another node between this node's look and its insert is no
// error: the insert's conflict on the same hash means it is there.
func TestEnsureAdminTokenStoredMeanwhile(t *testing.T) {
	_, url := pgtest.Schema(t)
	store, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	const token = "hk_raced_test_token_0123456789abcdef"
	if err := store.CreateToken(t.Context(), &hookline.Token{Hash: api.HashToken(token)}); err != nil {
		t.Fatal(err)
	}
	s := &stale{Store: store}
	if err := ensureAdminToken(t.Context(), s, token, io.Discard); err != nil {
		t.Fatalf("ensureAdminToken with the token stored meanwhile: %v", err)
	}
	if !s.looked {
		t.Fatal("ensureAdminToken did not look the token up")
	}
	// A hash taken by a token that is not valid is still an error.
	const other = "hk_expired_test_token_0123456789abcdef"
	past := time.Now().Add(-time.Hour)
	if err := store.CreateToken(t.Context(), &hookline.Token{Hash: api.HashToken(other), ExpiresAt: &past}); err != nil {
		t.Fatal(err)
	}
	if err := ensureAdminToken(t.Context(), store, other, io.Discard); hookline.ErrorCode(err) != hookline.ECONFLICT {
		t.Fatalf("ensureAdminToken with the hash of an expired token: %v, want ECONFLICT", err)
	}
}

// TestServeConcurrentStart starts several 'hookline serve' processes at the
// same moment on one fresh schema, and has them reach their admin token
// together: the test holds the tokens table locked until every node waits
// for it. With the same HOOKLINE_ADMIN_TOKEN they all come up and accept
// it; without one, they all come up and exactly one of them creates and
// prints an admin token.
func TestServeConcurrentStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs child processes")
	}
	bin := buildBinary(t)
	const nodes = 5
	// start launches the nodes on a migrated schema with no token, and lets
	// them at the tokens table at once.
	start := func(t *testing.T, token string) (string, []*node) {
		schema, db := pgtest.Schema(t)
		var stderr bytes.Buffer
		if code := run(t.Context(), []string{"migrate", "--db", db}, func(string) string { return "" }, nil, io.Discard, &stderr); code != 0 {
			t.Fatalf("hookline migrate: exit %d\n%s", code, stderr.String())
		}
		ctx := t.Context()
		conn, err := pgx.Connect(ctx, pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, `LOCK TABLE `+schema+`.tokens IN ACCESS EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		ns := launchChildren(t, nodes, bin, db, []string{"HOOKLINE_ADMIN_TOKEN=" + token}, "--log-level", "info")
		// The nodes' connections carry the schema's name (pgtest.Schema).
		wait.For(t, "every node to wait for the tokens table", func() bool {
			for i, n := range ns {
				if !n.alive() {
					t.Fatalf("node %d exited:\n%s", i, n.log())
				}
			}
			return queryInt(t, pgtest.URL(t), `SELECT count(*) FROM pg_stat_activity
				WHERE application_name = $1 AND wait_event_type = 'Lock'`, schema) >= nodes
		})
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		waitListening(t, ns)
		return schema, ns
	}
	client := &http.Client{Timeout: 10 * time.Second}

	t.Run("same token", func(t *testing.T) {
		const token = "hk_concurrent_test_token_0123456789abcdef"
		schema, ns := start(t, token)
		for i, n := range ns {
			if code, err := apiCall(client, "GET", n.url+"/api/v1/app", token, nil, nil); err != nil || code != 200 {
				t.Errorf("node %d: list applications with the shared token: %d %v", i, code, err)
			}
		}
		if n := queryInt(t, pgtest.URL(t), `SELECT count(*) FROM `+schema+`.tokens WHERE hash = $1`, api.HashToken(token)); n != 1 {
			t.Errorf("%d rows of the shared token, want 1", n)
		}
	})
	t.Run("no token", func(t *testing.T) {
		schema, ns := start(t, "")
		var printed []string
		for _, n := range ns {
			out := n.stdout.String()
			if strings.Contains(out, "Created an admin API token") {
				printed = append(printed, strings.TrimSpace(out[strings.LastIndex(out, ":")+1:]))
			}
		}
		if len(printed) != 1 {
			t.Fatalf("%d of %d nodes printed a new admin token, want 1", len(printed), len(ns))
		}
		if n := queryInt(t, pgtest.URL(t), `SELECT count(*) FROM `+schema+`.tokens WHERE app_id = ''`); n != 1 {
			t.Fatalf("%d admin tokens stored, want 1", n)
		}
		for i, n := range ns {
			if code, err := apiCall(client, "GET", n.url+"/api/v1/app", printed[0], nil, nil); err != nil || code != 200 {
				t.Errorf("node %d: list applications with the printed token: %d %v", i, code, err)
			}
		}
	})
}

// TestPostgresMasterKey: on PostgreSQL, serve without a master key refuses
// to start, before it touches the database, unless
// --allow-unencrypted-secrets; secrets sealed since then stop a start
// without the key, or with another one.
func TestPostgresMasterKey(t *testing.T) {
	schema, db := pgtest.Schema(t)
	const token = "hk_pg_key_test_token_0123456789abcdef"
	args := []string{"serve", "--listen", "127.0.0.1:0", "--db", db, "--no-dispatch"}
	refused := func(env map[string]string, want string) {
		t.Helper()
		env["HOOKLINE_ADMIN_TOKEN"] = token
		code, stdout, stderr := runCommand(t, env, args...)
		if code != 1 || stdout != "" || !strings.Contains(stderr, want) {
			t.Fatalf("serve with %v: exit %d, stdout %q, stderr %q; want 1 and %q", env, code, stdout, stderr, want)
		}
	}
	refused(map[string]string{}, "no master key for the secrets of endpoints and sources: give the same one to every node, in $HOOKLINE_SECRET_KEY or with --secret-key-file")
	if n := migrated(t, schema); n != 0 {
		t.Fatalf("the refused start made %d tables", n)
	}

	client := &http.Client{Timeout: 10 * time.Second}
	endpoint := func(env map[string]string) {
		t.Helper()
		env["HOOKLINE_ADMIN_TOKEN"] = token
		url, _, stop := runServer(t, args[1:], env)
		defer stop()
		var app struct{ ID string }
		if code, err := apiCall(client, "POST", url+"/api/v1/app", token, map[string]any{"name": "pg"}, &app); err != nil || code != 201 {
			t.Fatalf("create app: %d %v", code, err)
		}
		if code, err := apiCall(client, "POST", url+"/api/v1/app/"+app.ID+"/endpoint", token,
			map[string]any{"url": "https://example.com/hook"}, nil); err != nil || code != 201 {
			t.Fatalf("create endpoint: %d %v", code, err)
		}
	}
	endpoint(map[string]string{"HOOKLINE_ALLOW_UNENCRYPTED_SECRETS": "true"}) // stored unencrypted
	endpoint(map[string]string{"HOOKLINE_SECRET_KEY": testMasterKey})         // reads it, seals the new one
	refused(map[string]string{"HOOKLINE_ALLOW_UNENCRYPTED_SECRETS": "true"}, "holds secrets (of endpoints or sources) sealed under a master key, and none is given")
	other := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32))
	refused(map[string]string{"HOOKLINE_SECRET_KEY": other}, "the master key from $HOOKLINE_SECRET_KEY does not open")
}
