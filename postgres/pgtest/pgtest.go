// Package pgtest gives tests a PostgreSQL database to run against: the
// server named by HOOKLINE_TEST_POSTGRES, and a fresh schema in it per test,
// so that tests can run in parallel on one database. The schema is empty
// (Schema), or a copy of one migrated once per test binary
// (Template.Clone), which spares each test the migrations.
//
// Where HOOKLINE_TEST_POSTGRES is unset the tests that need it are skipped
// with a plain message, except under CI (CI=true), where they fail: CI must
// not pass without having run them.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env is the variable that holds the URL of the test server, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const Env = "HOOKLINE_TEST_POSTGRES"

// URL returns the URL of the test server. It skips t when Env is unset, or
// fails it when CI is "true".
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(Env)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests (see .ci/run)", Env)
		}
		t.Skipf("PostgreSQL tests skipped: set %s to a server's URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable", Env)
	}
	return u
}

// Schema creates a new, empty schema on the test server, drops it (with
// everything in it) when t ends, and returns its name and the server's URL
// with its search_path set to it. Connections made with that URL carry the
// schema's name as their application_name, so that a test can find (and
// terminate) them in pg_stat_activity.
func Schema(t testing.TB) (schema, schemaURL string) {
	t.Helper()
	base := URL(t)
	schema = Name("hl_test_")
	Exec(t, base, `CREATE SCHEMA `+schema)
	t.Cleanup(func() { Exec(t, base, `DROP SCHEMA `+schema+` CASCADE`) })
	u := WithParam(t, base, "search_path", schema)
	return schema, WithParam(t, u, "application_name", schema)
}

// Database creates a new database on the test server (for a test that
// turns its connections away), drops it when t ends, and returns its name
// and URL. Its connections carry its name as their application_name.
func Database(t testing.TB) (db, dbURL string) {
	t.Helper()
	base := URL(t)
	db = Name("hl_test_db_")
	Exec(t, base, `CREATE DATABASE `+db+` TEMPLATE template0`)
	t.Cleanup(func() { Exec(t, base, `DROP DATABASE IF EXISTS `+db+` WITH (FORCE)`) })
	return db, WithParam(t, WithDatabase(t, base, db), "application_name", db)
}

// Terminate ends the server sessions whose application_name is name, as a
// database restart would, and returns how many it ended.
func Terminate(t testing.TB, name string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, URL(t))
	if err != nil {
		t.Fatalf("connect to %s: %v", redact(URL(t)), err)
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = $1 AND pid <> pg_backend_pid()) AS t`, name).Scan(&n)
	if err != nil {
		t.Fatalf("terminate the sessions of %s: %v", name, err)
	}
	return n
}

// Name returns prefix followed by 12 random hex digits.
func Name(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// WithParam returns raw with the query parameter name set to value.
func WithParam(t testing.TB, raw, name, value string) string {
	t.Helper()
	u, err := withParam(raw, name, value)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func withParam(raw, name, value string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%s: %v", Env, err)
	}
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// WithDatabase returns raw naming the database db instead.
func WithDatabase(t testing.TB, raw, db string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	u.Path = "/" + db
	return u.String()
}

// Exec runs the statements sql on a connection of its own to the server at
// url, and fails t if they fail.
func Exec(t testing.TB, url, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to %s: %v", redact(url), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the test server"
	}
	return strings.TrimSpace(u.Redacted())
}
