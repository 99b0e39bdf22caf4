package main

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookline/hookline/postgres/pgtest"
)

// TestRun runs the example against the PostgreSQL of HOOKLINE_TEST_POSTGRES
// (found through DATABASE_URL here, as a user's environment would have it),
// in a schema of its own, and checks what it printed (each step, which the
// program itself checks) and what it left: the committed invoice only, and
// no Hookline application (it deletes its own).
func TestRun(t *testing.T) {
	schema, url := pgtest.Schema(t)
	var out bytes.Buffer
	env := map[string]string{"DATABASE_URL": url}
	if err := run(t.Context(), []string{"-schema", schema}, func(k string) string { return env[k] }, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	t.Logf("output:\n%s", out.String())
	for _, want := range []string{
		`(?m)^hookline: tables in schema "` + schema + `"; application app_\w+ with an endpoint at http://127\.0\.0\.1:\d+/webhook$`,
		`(?m)^rolled back: invoice in_[0-9a-f]{12} and message msg_\w+ were never stored$`,
		`(?m)^committed: invoice in_[0-9a-f]{12} and message msg_\w+$`,
		`(?m)^received: msg_\w+ \{"amount":4200,"invoice":"in_[0-9a-f]{12}"\} \(signature verified\)$`,
		`(?m)^delivery \w+ to http://127\.0\.0\.1:\d+/webhook: success after 1 attempt\(s\)$`,
		`(?m)^the receiver got 1 webhook in all$`,
	} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("output does not match %s", want)
		}
	}
	for table, want := range map[string]int{"invoices": 1, "messages": 0, "applications": 0} {
		n := count(t, url, `SELECT count(*) FROM `+schema+`.`+table)
		if n != want {
			t.Errorf("%d rows in %s after the example, want %d", n, table, want)
		}
	}
}

// TestRunNeedsDatabase: without a URL the example says where it looks.
func TestRunNeedsDatabase(t *testing.T) {
	var out bytes.Buffer
	err := run(t.Context(), nil, func(string) string { return "" }, &out)
	if err == nil || !regexp.MustCompile(`HOOKLINE_TEST_POSTGRES or DATABASE_URL`).MatchString(err.Error()) {
		t.Fatalf("run without a database: %v", err)
	}
}

func count(t *testing.T, url, sql string) int {
	t.Helper()
	pool := mustPool(t, url)
	var n int
	if err := pool.QueryRow(t.Context(), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func mustPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}
