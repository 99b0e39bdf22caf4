package sqlite_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/sqlite"
	"github.com/hookline/hookline/storetest"
)

// TestSecretsAtRest writes an endpoint with every kind of secret, rotates
// its signing secret, and finds none of the secrets in the database file or
// its write-ahead log, before and after a checkpoint.
func TestSecretsAtRest(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "hookline.db")
	key := bytes.Repeat([]byte{0x5a}, hookline.SecretKeyLen)
	s := open(t, path, sqlite.WithSecretKey(key))
	app := &hookline.Application{Name: "a"}
	if err := s.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	ep := storetest.FullAuthEndpoint(t, app.ID, "atrest")
	if err := s.CreateEndpoint(ctx, ep, 0); err != nil {
		t.Fatal(err)
	}
	rotated := *ep
	if err := rotated.RotateSecret(hookline.SecretHMAC, []byte("a-new-hmac-signing-secret-value!"), time.Now(), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateEndpoint(ctx, &rotated); err != nil {
		t.Fatal(err)
	}
	forms := storetest.SecretForms(t, ep)
	for k, v := range storetest.SecretForms(t, &rotated) {
		forms["rotated: "+k] = v
	}
	got, err := s.Endpoint(ctx, app.ID, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.URL != ep.URL || len(got.PreviousSecrets) != 3 || got.OAuth.ClientSecret != ep.OAuth.ClientSecret {
		t.Fatalf("the endpoint does not read back: %+v", got)
	}

	check := func(when string) {
		t.Helper()
		var raw []byte
		for _, suffix := range []string{"", "-wal", "-shm"} {
			b, err := os.ReadFile(path + suffix)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			raw = append(raw, b...)
		}
		// What is not secret is there: the scan reads the rows.
		for _, clear := range []string{ep.ID, "receiver.example.com/hooks", "hook-user:" + hookline.RedactedPassword + "@"} {
			if !bytes.Contains(raw, []byte(clear)) {
				t.Fatalf("%s: %q is not in the files: they do not hold the endpoint", when, clear)
			}
		}
		for name, secret := range forms {
			if bytes.Contains(raw, secret) {
				t.Errorf("%s: the %s is in the database files", when, name)
			}
		}
	}
	check("before a checkpoint")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check("after closing (checkpointed)")

	// Without the key nothing of it can be read; with it, all.
	s = open(t, path)
	if _, err := s.Endpoint(ctx, app.ID, ep.ID); err == nil {
		t.Fatal("sealed settings read without the key")
	}
	s.Close()
	s = open(t, path, sqlite.WithSecretKey(key))
	if got, err = s.Endpoint(ctx, app.ID, ep.ID); err != nil || got.MTLS == nil || !bytes.Equal(got.MTLS.Key, ep.MTLS.Key) {
		t.Fatalf("reopened: %v", err)
	}
}
