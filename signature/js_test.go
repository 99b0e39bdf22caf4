package signature_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hookline/hookline/internal/npmtest"
	"github.com/hookline/hookline/signature"
)

// jsCase is one request handed to the JavaScript library.
type jsCase struct {
	Name    string            `json:"name"`
	Secret  string            `json:"secret"`
	Headers map[string]string `json:"headers"`
	Payload string            `json:"payload"`
	Valid   bool              `json:"valid"`
}

// jsSignRequest asks the JavaScript library to sign; Go then verifies.
type jsSignRequest struct {
	Secret    string `json:"secret"`
	ID        string `json:"id"`
	Timestamp int64  `json:"timestamp"`
	Payload   string `json:"payload"`
}

// The script is ours: it loads the official library from node_modules,
// verifies every case and signs every request, and prints JSON.
const jsScript = `"use strict";
const fs = require("fs");
const { Webhook } = require("standardwebhooks");
const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const verified = input.cases.map((c) => {
  try {
    new Webhook(c.secret).verify(c.payload, c.headers, { jsonParse: false });
    return { name: c.name, ok: true };
  } catch (e) {
    return { name: c.name, ok: false, error: String(e && e.message) };
  }
});
const signed = input.sign.map((s) =>
  new Webhook(s.secret).sign(s.id, new Date(s.timestamp * 1000), s.payload));
process.stdout.write(JSON.stringify({ verified, signed }));
`

// TestJavaScriptStandardWebhooks proves that the official JavaScript
// library (npm "standardwebhooks", pinned in testdata/js) accepts what we
// sign and refuses what we tampered with, and that we accept what it signs,
// including the reference vectors byte for byte. It needs node and npm and
// the npm registry; without them it skips, except under CI=true where it
// fails.
func TestJavaScriptStandardWebhooks(t *testing.T) {
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); testing.Short() && !ci {
		t.Skip("runs npm ci; skipped with -short (but never under CI=true)")
	}
	js := npmtest.Install(t, filepath.Join("testdata", "js"))

	// Requests signed by us on the real clock (the library has no clock to
	// inject); nothing here depends on how long the test takes, within the
	// five-minute tolerance.
	now := time.Now()
	key1, _ := signature.GenerateSecret()
	key2, _ := signature.GenerateSecret()
	pair, _ := signature.GenerateKeyPair()
	payloads := []string{
		`{"type":"invoice.paid","data":{"id":"in_1","amount":4200}}`,
		`{"text":"héllo wörld ✓ — 日本語","emoji":"🎉"}`,
		"",
		`{"big":"` + string(bytes.Repeat([]byte("z"), 70_000)) + `"}`,
	}
	var cases []jsCase
	add := func(name, secret string, h http.Header, payload string, valid bool) {
		flat := map[string]string{}
		for k, v := range h {
			flat[k] = v[0]
		}
		cases = append(cases, jsCase{Name: name, Secret: secret, Headers: flat, Payload: payload, Valid: valid})
	}
	for i, p := range payloads {
		name := "payload " + strconv.Itoa(i)
		h := http.Header{}
		std := &signature.Standard{Secrets: []signature.Secret{key1}, Now: at(now)}
		if err := std.Sign(h, []byte(p)); err != nil {
			t.Fatal(err)
		}
		add(name, key1.String(), h, p, true)
		add(name+" wrong secret", key2.String(), h, p, false)
		add(name+" tampered", key1.String(), h, p+" ", false)

		// Rotation and v1a beside v1: the library verifies with either
		// HMAC key and skips the v1a entry.
		rot := http.Header{}
		rotSigner := &signature.Standard{Secrets: []signature.Secret{pair, key1, key2}, Now: at(now)}
		if err := rotSigner.Sign(rot, []byte(p)); err != nil {
			t.Fatal(err)
		}
		add(name+" rotation, old key", key1.String(), rot, p, true)
		add(name+" rotation, new key", key2.String(), rot, p, true)

		stale := http.Header{}
		(&signature.Standard{Secrets: []signature.Secret{key1}, Now: at(now.Add(-time.Hour))}).Sign(stale, []byte(p))
		add(name+" stale", key1.String(), stale, p, false)
	}

	// Requests the library signs, for us to verify at a fixed clock.
	vectors := loadVectors(t)
	var signReqs []jsSignRequest
	for _, v := range vectors {
		if v.PublicKey == "" {
			signReqs = append(signReqs, jsSignRequest{Secret: v.Secret, ID: v.ID, Timestamp: v.Timestamp, Payload: v.Payload})
		}
	}
	for i, p := range payloads {
		signReqs = append(signReqs, jsSignRequest{Secret: key1.String(), ID: "msg_js_" + strconv.Itoa(i), Timestamp: 1_700_000_000 + int64(i), Payload: p})
	}

	if err := os.WriteFile(filepath.Join(js.Path, "check.js"), []byte(jsScript), 0o644); err != nil {
		t.Fatal(err)
	}
	var result struct {
		Verified []struct {
			Name  string `json:"name"`
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		} `json:"verified"`
		Signed []string `json:"signed"`
	}
	js.Run(t, "check.js", map[string]any{"cases": cases, "sign": signReqs}, &result)
	if len(result.Verified) != len(cases) || len(result.Signed) != len(signReqs) {
		t.Fatalf("node answered %d/%d verifications, %d/%d signatures", len(result.Verified), len(cases), len(result.Signed), len(signReqs))
	}
	for i, r := range result.Verified {
		if r.OK != cases[i].Valid {
			t.Errorf("%s: JavaScript library says ok=%v (%s), want %v", cases[i].Name, r.OK, r.Error, cases[i].Valid)
		}
	}
	for i, sig := range result.Signed {
		req := signReqs[i]
		if i < len(vectors) {
			for _, v := range vectors {
				if v.ID == req.ID && v.Secret == req.Secret && v.Signature != sig {
					t.Errorf("JavaScript library signs vector %s as %s, want %s", v.Name, sig, v.Signature)
				}
			}
		}
		sec := signature.Standard{Secrets: []signature.Secret{mustParse(t, req.Secret)}, Now: at(time.Unix(req.Timestamp, 0))}
		if err := sec.VerifyValues(req.ID, strconv.FormatInt(req.Timestamp, 10), sig, []byte(req.Payload)); err != nil {
			t.Errorf("we refuse the JavaScript library's signature %d (%s): %v", i, sig, err)
		}
	}
}
