package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlitetest"
	"github.com/hookline/hookline/internal/wait"
	"github.com/hookline/hookline/sqlite"
	"github.com/hookline/hookline/storetest"
)

// The master keys of the rekey tests.
var (
	oldKey = bytes.Repeat([]byte{1}, 32)
	newKey = bytes.Repeat([]byte{2}, 32)
)

// openWithKey opens the SQLite database db with the master key key; t's
// end closes it, if nothing did before.
func openWithKey(t *testing.T, db string, key []byte) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), db, sqlite.WithSecretKey(key))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rekeyTo runs 'hookline rekey' on db with key, in a key file, as the new
// master key and previous as the old ones, and returns its exit code,
// stdout and stderr.
func rekeyTo(t *testing.T, db string, key []byte, previous ...[]byte) (int, string, string) {
	t.Helper()
	var old []string
	for _, k := range previous {
		old = append(old, base64.StdEncoding.EncodeToString(k))
	}
	env := map[string]string{"HOOKLINE_PREVIOUS_SECRET_KEYS": strings.Join(old, ",")}
	return runCommand(t, env, "rekey", "--db", db, "--secret-key-file", writeKeyFile(t, key))
}

// writeKeyFile writes key to a key file, as --secret-key-file reads it, and
// returns its path.
func writeKeyFile(t *testing.T, key []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hookline.key")
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(key)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRekeyThenRetentionShrinksAnOldDatabase: a database file made before
// incremental auto-vacuum was the default (its mode is none) switches to it
// when 'hookline rekey' rewrites it; then serve's retention deletes the old
// messages and gives their pages back: the file holds far fewer pages, and
// no free one. The old messages are made in the past (their CreatedAt), so
// no clock is waited for.
func TestRekeyThenRetentionShrinksAnOldDatabase(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "hookline.db")
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"PRAGMA auto_vacuum = NONE", "CREATE TABLE made_before (x)", "DROP TABLE made_before"} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	s := openWithKey(t, db, oldKey)
	app := &hookline.Application{Name: "old"}
	if err := s.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	payload := json.RawMessage(`{"pad":"` + strings.Repeat("x", 4000) + `"}`)
	past := time.Now().Add(-100 * 24 * time.Hour)
	var old []*hookline.Message
	for i := range 300 {
		m := &hookline.Message{AppID: app.ID, EventType: "x", Payload: payload, CreatedAt: past.Add(time.Duration(i) * time.Millisecond)}
		if _, err := s.CreateMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		old = append(old, m)
	}
	recent := &hookline.Message{AppID: app.ID, EventType: "x", Payload: payload}
	if _, err := s.CreateMessage(ctx, recent); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, _, mode := sqlitetest.Pages(t, db); mode != 0 {
		t.Fatalf("the file made as before is in auto-vacuum mode %d, want 0 (none)", mode)
	}

	if code, _, stderr := rekeyTo(t, db, newKey, oldKey); code != 0 {
		t.Fatalf("rekey: exit %d: %s", code, stderr)
	}
	before, free, mode := sqlitetest.Pages(t, db)
	if mode != 2 || free != 0 {
		t.Fatalf("after rekey: auto-vacuum mode %d with %d free pages, want 2 (incremental) and none", mode, free)
	}

	sx := startServer(t, "--db", db, "--secret-key-file", writeKeyFile(t, newKey), "--retention", "720h").client(t)
	wait.For(t, "the old messages to be pruned", func() bool {
		for _, m := range []*hookline.Message{old[0], old[len(old)-1]} {
			_, err := sx.Message.Get(ctx, app.ID, m.ID, nil)
			var se *svix.Error
			if !errors.As(err, &se) || se.Status() != http.StatusNotFound {
				return false
			}
		}
		return true
	})
	var after int
	wait.For(t, "the file to give the pages back", func() bool {
		after, free, _ = sqlitetest.Pages(t, db)
		return free == 0 && after*4 < before
	})
	t.Logf("pages: %d after rekey, %d after retention", before, after)
	if _, err := sx.Message.Get(ctx, app.ID, recent.ID, nil); err != nil {
		t.Fatalf("the recent message: %v", err)
	}
}

func TestRekey(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "hookline.db")
	s := openWithKey(t, db, oldKey)
	app := &hookline.Application{Name: "rekey"}
	if err := s.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	secret, previous := hookline.NewSecret(), hookline.NewSecret()
	ep := &hookline.Endpoint{AppID: app.ID, URL: "https://hook:pass-w0rd@example.com/in", Secret: secret,
		PreviousSecrets: []hookline.EndpointSecret{{Kind: hookline.SecretHMAC, Key: previous, Expires: time.Now().Add(time.Hour)}}}
	if err := s.CreateEndpoint(ctx, ep, 0); err != nil {
		t.Fatal(err)
	}
	src := newSecretSource(t, s, "rekey")
	s.Close()

	if code, _, _ := rekeyTo(t, db, newKey); code != 2 {
		t.Fatalf("rekey without the previous key: exit %d, want 2", code)
	}
	code, stdout, stderr := rekeyTo(t, db, newKey, oldKey)
	if code != 0 {
		t.Fatalf("rekey: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "2 endpoints and sources") {
		t.Errorf("rekey said %q", stdout)
	}

	// The new key alone reads every secret; the old one alone none.
	s = openWithKey(t, db, newKey)
	got, err := s.Endpoint(ctx, app.ID, ep.ID)
	if err != nil {
		t.Fatalf("reading with the new key: %v", err)
	}
	if !bytes.Equal(got.Secret, secret) || got.URL != ep.URL || len(got.PreviousSecrets) != 1 ||
		!bytes.Equal(got.PreviousSecrets[0].Key, previous) {
		t.Fatalf("after rekey: %+v", got)
	}
	if got, err := s.Source(ctx, src.ID); err != nil || got.Token != src.Token || got.Config.HMAC.Secret != src.Config.HMAC.Secret {
		t.Fatalf("reading the source with the new key: %v", err)
	}
	s.Close()
	s = openWithKey(t, db, oldKey)
	if _, err := s.Endpoint(ctx, app.ID, ep.ID); err == nil {
		t.Fatal("the old key still reads the secrets")
	}
	if _, err := s.Source(ctx, src.ID); err == nil {
		t.Fatal("the old key still reads the source's secrets")
	}
	s.Close()

	// The key as its own previous one: the secrets are sealed again under
	// it (to rewrite the file while keeping the key).
	if code, _, stderr := rekeyTo(t, db, newKey, newKey); code != 0 {
		t.Fatalf("rekey under the same key: exit %d: %s", code, stderr)
	}
	s = openWithKey(t, db, newKey)
	if got, err := s.Endpoint(ctx, app.ID, ep.ID); err != nil || !bytes.Equal(got.Secret, secret) {
		t.Fatalf("after rekey under the same key: %v", err)
	}
}

// newSecretSource creates, in an application of its own, a source whose
// config holds a secret of every kind a source has.
func newSecretSource(t *testing.T, s hookline.Store, name string) *hookline.Source {
	t.Helper()
	app := &hookline.Application{Name: "source-" + name}
	if err := s.CreateApplication(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	src := &hookline.Source{Name: name, Type: hookline.SourceGeneric, AppID: app.ID, Token: "tok-" + name + "-0123456789",
		Config: hookline.SourceConfig{
			BasicAuth:  &hookline.SourceBasicAuth{Username: "u", Password: "basic-pass-" + name},
			HeaderAuth: &hookline.SourceHeaderAuth{Header: "X-API-Key", Value: "header-key-" + name},
			HMAC:       &hookline.SourceHMAC{Secret: "hmac-secret-" + name, Header: "X-Sig"},
		}}
	if err := s.CreateSource(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	return src
}

// TestRekeyLeavesNoOldSeal: after rekey, no byte sequence of any value
// sealed under the old key (endpoints' and sources', the current ones and
// those that updates, rotations and deletions replaced) is left in the
// SQLite database file, its WAL or its shared memory. Before rekey, the
// files hold them, the replaced ones included.
func TestRekeyLeavesNoOldSeal(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "hookline.db")
	s := openWithKey(t, db, oldKey)
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// old collects every sealed value written under the old key.
	old := map[string][]byte{}
	collect := func() {
		t.Helper()
		for _, q := range []string{
			`SELECT secret, previous_secrets, url_sealed, mtls, oauth, headers_sealed FROM endpoints`,
			`SELECT config, token, NULL, NULL, NULL, NULL FROM ingest_sources`,
		} {
			rows, err := raw.Query(q)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				v := make([][]byte, 6)
				if err := rows.Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5]); err != nil {
					t.Fatal(err)
				}
				for _, b := range v {
					if b != nil {
						old[string(b)] = b
					}
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
		}
	}
	var eps []*hookline.Endpoint
	var sources []*hookline.Source
	for i := range 6 {
		app := &hookline.Application{Name: fmt.Sprintf("tenant-%d", i)}
		if err := s.CreateApplication(ctx, app); err != nil {
			t.Fatal(err)
		}
		ep := storetest.FullAuthEndpoint(t, app.ID, fmt.Sprintf("t%d", i))
		if err := s.CreateEndpoint(ctx, ep, 0); err != nil {
			t.Fatal(err)
		}
		eps = append(eps, ep)
		sources = append(sources, newSecretSource(t, s, fmt.Sprintf("s%d", i)))
	}
	collect()
	// Updates leave what they replaced in the pages' free space and in
	// freed pages; a deletion too.
	for round := range 3 {
		for i, ep := range eps {
			ep.RotateSecret(hookline.SecretHMAC, bytes.Repeat([]byte{byte(round*10 + i + 1)}, 32), time.Now(), time.Hour)
			ep.Headers["X-Round"] = strings.Repeat("r", 40*(round+1))
			ep.OAuth.ClientSecret = fmt.Sprintf("oauth-secret-round-%d-%d", round, i)
			if err := s.UpdateEndpoint(ctx, ep); err != nil {
				t.Fatal(err)
			}
		}
		for i, src := range sources {
			src.Token = fmt.Sprintf("tok-round-%d-%d-0123456789", round, i)
			src.Config.HMAC.Secret = strings.Repeat("h", 40*(round+1))
			src.UpdatedAt = time.Now()
			if err := s.UpdateSource(ctx, src); err != nil {
				t.Fatal(err)
			}
		}
		collect()
	}
	if err := s.DeleteEndpoint(ctx, eps[0].AppID, eps[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSource(ctx, sources[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// found returns the old values of which a piece is in the files.
	found := func() int {
		t.Helper()
		var files []byte
		for _, suffix := range []string{"", "-wal", "-shm"} {
			b, err := os.ReadFile(db + suffix)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			files = append(files, b...)
		}
		n := 0
		for _, v := range old {
			// Any 16 bytes of it, past its first byte: a piece left in a
			// page's free space counts.
			for i := 1; i+16 <= len(v); i += 16 {
				if bytes.Contains(files, v[i:i+16]) {
					n++
					break
				}
			}
		}
		return n
	}
	if n := found(); n < len(old)/2 {
		t.Fatalf("before rekey, the files hold %d of the %d old sealed values: the scan does not see them", n, len(old))
	}

	if code, _, stderr := rekeyTo(t, db, newKey, oldKey); code != 0 {
		t.Fatalf("rekey: exit %d: %s", code, stderr)
	}
	if n := found(); n != 0 {
		t.Fatalf("after rekey, the files hold %d of the %d values sealed under the old key", n, len(old))
	}

	// The new key reads every endpoint left.
	s = openWithKey(t, db, newKey)
	for _, ep := range eps[1:] {
		got, err := s.Endpoint(ctx, ep.AppID, ep.ID)
		if err != nil || !bytes.Equal(got.Secret, ep.Secret) || got.OAuth.ClientSecret != ep.OAuth.ClientSecret ||
			got.Headers["X-Round"] != ep.Headers["X-Round"] {
			t.Fatalf("endpoint %s after rekey: %v", ep.ID, err)
		}
	}
	for _, src := range sources[1:] {
		got, err := s.Source(ctx, src.ID)
		if err != nil || got.Token != src.Token || got.Config.HMAC.Secret != src.Config.HMAC.Secret {
			t.Fatalf("source %s after rekey: %v", src.ID, err)
		}
	}
}
