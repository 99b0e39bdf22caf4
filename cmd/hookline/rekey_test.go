package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlite"
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
	keyFile := filepath.Join(t.TempDir(), "new.key")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(key)), 0o600); err != nil {
		t.Fatal(err)
	}
	var old []string
	for _, k := range previous {
		old = append(old, base64.StdEncoding.EncodeToString(k))
	}
	env := map[string]string{"HOOKLINE_PREVIOUS_SECRET_KEYS": strings.Join(old, ",")}
	return runCommand(t, env, "rekey", "--db", db, "--secret-key-file", keyFile)
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
	if err := s.CreateEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	s.Close()

	if code, _, _ := rekeyTo(t, db, newKey); code != 2 {
		t.Fatalf("rekey without the previous key: exit %d, want 2", code)
	}
	code, stdout, stderr := rekeyTo(t, db, newKey, oldKey)
	if code != 0 {
		t.Fatalf("rekey: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "1 endpoints") {
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
	s.Close()
	s = openWithKey(t, db, oldKey)
	if _, err := s.Endpoint(ctx, app.ID, ep.ID); err == nil {
		t.Fatal("the old key still reads the secrets")
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
