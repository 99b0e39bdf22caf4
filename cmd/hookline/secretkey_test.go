package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSecretsEncryptedAtRest creates an endpoint with a known secret and
// reads the raw database files: the secret is in none of them, in any
// encoding; a restart with the same key reads it back, one with another key
// cannot.
func TestSecretsEncryptedAtRest(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hookline.db")
	const token = "hk_secret_test_token_0123456789abcdef"
	raw := []byte("hookline-test-secret-bytes-0001") // 31 bytes, easy to spot
	secret := "whsec_" + base64.StdEncoding.EncodeToString(raw)

	start := func(env map[string]string) (string, func() error) {
		env["HOOKLINE_ADMIN_TOKEN"] = token
		cfg, err := parseServeFlags([]string{"--listen", "127.0.0.1:0", "--db", db, "--no-dispatch"},
			func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		addr := make(chan string, 1)
		done := make(chan error, 1)
		go func() { done <- serve(ctx, cfg, func(a string) { addr <- a }, io.Discard, io.Discard) }()
		select {
		case a := <-addr:
			return "http://" + a, func() error { cancel(); return <-done }
		case err := <-done:
			cancel()
			return "", func() error { return err }
		}
	}

	url, stop := start(map[string]string{})
	client := &http.Client{Timeout: 10 * time.Second}
	var app, ep struct{ ID string }
	if code, err := apiCall(client, "POST", url+"/api/v1/app", token, map[string]any{"name": "s"}, &app); err != nil || code != 201 {
		t.Fatalf("create app: %d %v", code, err)
	}
	if code, err := apiCall(client, "POST", url+"/api/v1/app/"+app.ID+"/endpoint", token,
		map[string]any{"url": "https://example.com/hook", "secret": secret}, &ep); err != nil || code != 201 {
		t.Fatalf("create endpoint: %d %v", code, err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	keyFile, err := os.Stat(db + ".key")
	if err != nil {
		t.Fatalf("no key file beside the database: %v", err)
	}
	if keyFile.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", keyFile.Mode().Perm())
	}
	files, _ := filepath.Glob(db + "*")
	for _, f := range files {
		if f == db+".key" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, needle := range [][]byte{raw, []byte(secret), []byte(base64.StdEncoding.EncodeToString(raw))} {
			if bytes.Contains(data, needle) {
				t.Fatalf("%s holds the endpoint secret in clear", f)
			}
		}
	}

	// Same key (the file beside the database): the secret reads back.
	url, stop = start(map[string]string{})
	var got struct{ Key string }
	if code, err := apiCall(client, "GET", url+"/api/v1/app/"+app.ID+"/endpoint/"+ep.ID+"/secret", token, nil, &got); err != nil || code != 200 || got.Key != secret {
		t.Fatalf("secret after restart: %d %v %q", code, err, got.Key)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// Another key: the secret cannot be read, and the API says so (5xx), it
	// does not hand out garbage.
	other := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	url, stop = start(map[string]string{"HOOKLINE_SECRET_KEY": other})
	defer stop()
	code, _ := apiCall(client, "GET", url+"/api/v1/app/"+app.ID+"/endpoint/"+ep.ID+"/secret", token, nil, &got)
	if code < 500 {
		t.Fatalf("secret read with the wrong master key answered %d", code)
	}
}

func TestBadSecretKey(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hookline.db")
	for _, env := range []map[string]string{
		{"HOOKLINE_SECRET_KEY": "too-short"},
		{"HOOKLINE_SECRET_KEY_FILE": filepath.Join(t.TempDir(), "missing.key")},
	} {
		cfg, err := parseServeFlags([]string{"--listen", "127.0.0.1:0", "--db", db}, func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		if err := serve(context.Background(), cfg, nil, io.Discard, io.Discard); err == nil {
			t.Errorf("serve with %v started", env)
		}
	}
}
