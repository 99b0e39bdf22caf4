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

func TestRekey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "hookline.db")
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	b64 := base64.StdEncoding.EncodeToString

	s, err := sqlite.Open(ctx, db, sqlite.WithSecretKey(oldKey))
	if err != nil {
		t.Fatal(err)
	}
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
	s.Close()

	keyFile := filepath.Join(dir, "new.key")
	if err := os.WriteFile(keyFile, []byte(b64(newKey)), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	args := []string{"rekey", "--db", db, "--secret-key-file", keyFile}
	if code := run(ctx, args, func(string) string { return "" }, nil, &stdout, &stderr); code != 2 {
		t.Fatalf("rekey without the previous key: exit %d, want 2", code)
	}
	env := map[string]string{"HOOKLINE_PREVIOUS_SECRET_KEYS": b64(oldKey)}
	if code := run(ctx, args, func(k string) string { return env[k] }, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("rekey: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "1 endpoints") {
		t.Errorf("rekey said %q", stdout.String())
	}

	// The new key alone reads every secret; the old one alone none.
	s, err = sqlite.Open(ctx, db, sqlite.WithSecretKey(newKey))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Endpoint(ctx, app.ID, ep.ID)
	if err != nil {
		t.Fatalf("reading with the new key: %v", err)
	}
	if !bytes.Equal(got.Secret, secret) || got.URL != ep.URL || len(got.PreviousSecrets) != 1 ||
		!bytes.Equal(got.PreviousSecrets[0].Key, previous) {
		t.Fatalf("after rekey: %+v", got)
	}
	s.Close()
	s, err = sqlite.Open(ctx, db, sqlite.WithSecretKey(oldKey))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Endpoint(ctx, app.ID, ep.ID); err == nil {
		t.Fatal("the old key still reads the secrets")
	}
}
