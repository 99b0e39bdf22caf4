package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/wait"
	"github.com/hookline/hookline/signature"
	"github.com/hookline/hookline/storetest"
)

// TestStartSealsOlderForms: serve, started on a database as an earlier
// version left it (custom headers in clear, the signing secret sealed
// without its row), reads it at once (the API and a delivery, signed and
// with the headers), and has sealed it all in the current form, which the
// database is marked as holding.
func TestStartSealsOlderForms(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "hookline.db")
	key := bytes.Repeat([]byte{3}, 32)
	if err := os.WriteFile(db+".key", []byte(base64.StdEncoding.EncodeToString(key)), 0o600); err != nil {
		t.Fatal(err)
	}
	rc := newHookReceiver(t, nil)

	s := openWithKey(t, db, key)
	app := &hookline.Application{Name: "legacy"}
	if err := s.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	headers := map[string]string{"Authorization": "Bearer legacy-header-t0ken", "X-Plain": "p"}
	ep := &hookline.Endpoint{AppID: app.ID, URL: rc.URL + "/hook", Headers: headers}
	if err := s.CreateEndpoint(ctx, ep, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// As an earlier version wrote them.
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	unbound := storetest.SealUnbound(t, key, ep.Secret)
	clear, _ := json.Marshal(headers)
	for _, stmt := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE endpoints SET secret = ?, headers = ?, headers_sealed = NULL WHERE id = ?`, []any{unbound, string(clear), ep.ID}},
		{`UPDATE sealed_format SET legacy = 1`, nil},
	} {
		if _, err := raw.Exec(stmt.sql, stmt.args...); err != nil {
			t.Fatal(err)
		}
	}

	url, _, stop := runServer(t, []string{"--listen", "127.0.0.1:0", "--db", db, "--allow-network", "127.0.0.0/8",
		"--log-level", "warn"}, map[string]string{"HOOKLINE_ADMIN_TOKEN": "hk_test_admin_token_0123456789abcdef"})
	token := "hk_test_admin_token_0123456789abcdef"
	client := &http.Client{Timeout: 10 * time.Second}
	var got struct {
		Headers   map[string]string
		Sensitive []string
	}
	if code, err := apiCall(client, "GET", url+"/api/v1/app/"+app.ID+"/endpoint/"+ep.ID+"/headers", token, nil, &got); err != nil || code != 200 ||
		got.Headers["X-Plain"] != "p" || !slices.Equal(got.Sensitive, []string{"Authorization"}) {
		t.Fatalf("GET headers: %d %v %+v", code, err, got)
	}
	if code, err := apiCall(client, "POST", url+"/api/v1/app/"+app.ID+"/msg", token,
		map[string]any{"eventType": "a.b", "payload": map[string]any{"n": 1}}, nil); err != nil || code != 202 {
		t.Fatalf("create message: %d %v", code, err)
	}
	wait.For(t, "the delivery", func() bool { return rc.count() == 1 })
	stop()

	rc.mu.Lock()
	h, body := rc.headers[0], rc.bodies[0]
	rc.mu.Unlock()
	if h.Get("Authorization") != headers["Authorization"] || h.Get("X-Plain") != "p" {
		t.Errorf("the delivery's headers: %v", h)
	}
	v, err := signature.NewStandard("whsec_" + base64.StdEncoding.EncodeToString(ep.Secret))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(h, body); err != nil {
		t.Errorf("the delivery's signature: %v", err)
	}

	var secret, sealedHeaders []byte
	var clearHeaders sql.NullString
	var legacy bool
	if err := raw.QueryRow(`SELECT secret, headers_sealed, headers FROM endpoints WHERE id = ?`, ep.ID).Scan(&secret, &sealedHeaders, &clearHeaders); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow(`SELECT legacy FROM sealed_format`).Scan(&legacy); err != nil {
		t.Fatal(err)
	}
	if secret[0] != 2 || sealedHeaders == nil || sealedHeaders[0] != 2 || clearHeaders.Valid || legacy {
		t.Fatalf("after the start: secret in form %d, sealed headers %x, clear headers %v, legacy %v", secret[0], sealedHeaders, clearHeaders, legacy)
	}
}
