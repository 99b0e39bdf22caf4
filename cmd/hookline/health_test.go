package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/wait"
	"github.com/hookline/hookline/postgres/pgtest"
)

// healthProbes makes an application on the serve at url and returns two
// calls that answer with a status: GET /api/v1/health, and a message to
// the application, whose payload has pad bytes (what a full disk must
// refuse).
func healthProbes(t *testing.T, url, token string, pad int) (health, send func() int) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	var app struct{ ID string }
	if code, err := apiCall(client, "POST", url+"/api/v1/app", token, map[string]any{"name": "h"}, &app); err != nil || code != 201 {
		t.Fatalf("create app: %d %v", code, err)
	}
	health = func() int {
		resp, err := client.Get(url + "/api/v1/health")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	send = func() int {
		code, err := apiCall(client, "POST", url+"/api/v1/app/"+app.ID+"/msg", token,
			map[string]any{"eventType": "a.b", "payload": map[string]any{"pad": string(make([]byte, pad))}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	return health, send
}

// TestHealthWhilePostgresIsReadOnly: while the PostgreSQL database refuses
// writes (default_transaction_read_only, as on a standby), /api/v1/health
// answers 503 and a message is refused; writable again, 204, and messages
// are accepted. (A read-only file system under SQLite is not made here:
// that takes a mount, so root or a user namespace, and file modes stop
// neither a process that holds the files open nor root. The same probe
// answers it as the full disk of TestHealthWhileTheStoreCannotWrite.)
func TestHealthWhilePostgresIsReadOnly(t *testing.T) {
	dbName, db := pgtest.Database(t)
	admin := pgtest.URL(t)
	s := startServer(t, "--db", db, "--allow-unencrypted-secrets", "--no-dispatch")
	health, send := healthProbes(t, s.url, s.token, 0)
	// The setting applies to new sessions: serve's are ended, as a
	// failover would end them, and its pool opens new ones.
	readOnly := func(set string) {
		pgtest.Exec(t, admin, `ALTER DATABASE `+dbName+` `+set)
		pgtest.Terminate(t, dbName)
	}
	if code := health(); code != 204 {
		t.Fatalf("health of a database that can write: %d", code)
	}

	readOnly("SET default_transaction_read_only = on")
	wait.For(t, "health to answer 503", func() bool { return health() == 503 })
	if code := send(); code < 500 {
		t.Fatalf("a message to a read-only database got %d", code)
	}

	readOnly("RESET default_transaction_read_only")
	wait.For(t, "health to answer 204 again", func() bool { return health() == 204 })
	if code := send(); code != 202 {
		t.Fatalf("a message once the database can write again got %d", code)
	}
}
