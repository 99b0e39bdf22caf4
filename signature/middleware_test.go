package signature_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline/signature"
)

// receiver is a real HTTP server on 127.0.0.1 whose handler records the
// body it was given after the middleware.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies []string
	errs   []error
}

func newReceiver(t *testing.T, m *signature.Middleware) *receiver {
	rc := &receiver{}
	m.OnError = func(_ *http.Request, err error) {
		rc.mu.Lock()
		rc.errs = append(rc.errs, err)
		rc.mu.Unlock()
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("handler read: %v", err)
		}
		if r.ContentLength != int64(len(b)) {
			t.Errorf("ContentLength %d for %d bytes", r.ContentLength, len(b))
		}
		again, _ := r.GetBody()
		b2, _ := io.ReadAll(again)
		if !bytes.Equal(b, b2) {
			t.Errorf("GetBody gives other bytes")
		}
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, string(b))
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	rc.srv = httptest.NewServer(m.Wrap(next))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) post(t *testing.T, h http.Header, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, rc.srv.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := rc.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (rc *receiver) lastErr() error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.errs) == 0 {
		return nil
	}
	return rc.errs[len(rc.errs)-1]
}

// TestMiddleware proves, over real HTTP: a valid request reaches the
// handler with its exact body; every kind of failure gets the same 401
// text (the reason goes only to OnError); an oversize body gets 413,
// whether announced by Content-Length or streamed.
func TestMiddleware(t *testing.T) {
	key, _ := signature.GenerateSecret()
	now := at0()
	std := &signature.Standard{Secrets: []signature.Secret{key}, Now: at(now)}
	rc := newReceiver(t, &signature.Middleware{Verifier: std, MaxBodyBytes: 1024})

	body := []byte(`{"type":"ping"}`)
	signed := http.Header{}
	if err := std.Sign(signed, body); err != nil {
		t.Fatal(err)
	}
	if code, _ := rc.post(t, signed, body); code != http.StatusNoContent {
		t.Fatalf("valid request: %d", code)
	}
	if len(rc.bodies) != 1 || rc.bodies[0] != string(body) {
		t.Fatalf("handler saw %q", rc.bodies)
	}

	old := http.Header{}
	(&signature.Standard{Secrets: []signature.Secret{key}, Now: at(now.Add(-time.Hour))}).Sign(old, body)
	bad := []struct {
		name string
		h    http.Header
		body []byte
		want error
	}{
		{"unsigned", http.Header{}, body, signature.ErrMissingHeader},
		{"tampered", signed, []byte(`{"type":"pong"}`), signature.ErrNoMatch},
		{"stale", old, body, signature.ErrTooOld},
		{"garbage signature", header("webhook-id", "m", "webhook-timestamp", "1700000000", "webhook-signature", "v1,xx"), body, signature.ErrBadFormat},
	}
	var texts []string
	for _, c := range bad {
		code, text := rc.post(t, c.h, c.body)
		if code != http.StatusUnauthorized {
			t.Fatalf("%s: status %d", c.name, code)
		}
		texts = append(texts, text)
		if err := rc.lastErr(); !errors.Is(err, c.want) {
			t.Fatalf("%s: OnError got %v, want %v", c.name, err, c.want)
		}
	}
	for _, text := range texts[1:] {
		if text != texts[0] {
			t.Fatalf("401 answers differ: %q vs %q", texts[0], text)
		}
	}
	if len(rc.bodies) != 1 {
		t.Fatalf("handler ran for refused requests: %q", rc.bodies)
	}

	big := bytes.Repeat([]byte("x"), 1025)
	bigHeaders := http.Header{}
	std.Sign(bigHeaders, big)
	if code, _ := rc.post(t, bigHeaders, big); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversize with Content-Length: %d", code)
	}
	if !errors.Is(rc.lastErr(), signature.ErrBodyTooLarge) {
		t.Fatalf("OnError: %v", rc.lastErr())
	}
	// Streamed (chunked, no Content-Length): the limit still holds.
	req, _ := http.NewRequest(http.MethodPost, rc.srv.URL, io.MultiReader(bytes.NewReader(big)))
	req.ContentLength = -1
	for k, v := range bigHeaders {
		req.Header[k] = v
	}
	resp, err := rc.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversize streamed: %d", resp.StatusCode)
	}
	exact := bytes.Repeat([]byte("y"), 1024)
	exactHeaders := http.Header{}
	std.Sign(exactHeaders, exact)
	if code, _ := rc.post(t, exactHeaders, exact); code != http.StatusNoContent {
		t.Fatalf("body at the limit: %d", code)
	}
}

// TestMiddlewareReplay proves the replay guard: a byte-identical copy of an
// accepted request is refused with the same 401, while the sender's retry
// of the same message (same id, new timestamp) and other messages pass.
func TestMiddlewareReplay(t *testing.T) {
	key, _ := signature.GenerateSecret()
	now := at0()
	std := &signature.Standard{Secrets: []signature.Secret{key}, Now: at(now)}
	guard := signature.NewMemoryReplayGuard(10)
	guard.Now = at(now)
	rc := newReceiver(t, &signature.Middleware{Verifier: std, Replay: guard})

	body := []byte(`{"n":1}`)
	first := header("webhook-id", "msg_1")
	std.Sign(first, body)
	if code, _ := rc.post(t, first, body); code != http.StatusNoContent {
		t.Fatalf("first delivery: %d", code)
	}
	if code, _ := rc.post(t, first, body); code != http.StatusUnauthorized {
		t.Fatalf("replay: %d", code)
	}
	if !errors.Is(rc.lastErr(), signature.ErrReplayed) {
		t.Fatalf("OnError: %v", rc.lastErr())
	}
	retry := header("webhook-id", "msg_1")
	(&signature.Standard{Secrets: std.Secrets, Now: at(now.Add(5 * time.Second))}).Sign(retry, body)
	if code, _ := rc.post(t, retry, body); code != http.StatusNoContent {
		t.Fatalf("sender retry with new timestamp: %d", code)
	}
	// A GitHub verifier (no timestamp) keys on the body.
	gh := &signature.GitHub{Secret: []byte("s")}
	rc2 := newReceiver(t, &signature.Middleware{Verifier: gh, Replay: guard, Now: at(now)})
	h := http.Header{}
	gh.Sign(h, body)
	if code, _ := rc2.post(t, h, body); code != http.StatusNoContent {
		t.Fatalf("github first: %d", code)
	}
	if code, _ := rc2.post(t, h, body); code != http.StatusUnauthorized {
		t.Fatalf("github replay: %d", code)
	}
}

type failingGuard struct{}

func (failingGuard) Remember(context.Context, string, time.Time) (bool, error) {
	return false, errors.New("store down")
}

// TestMiddlewareGuardError proves that a guard that cannot decide makes the
// middleware answer 503 (the sender will retry) rather than let the request
// through or call it forged.
func TestMiddlewareGuardError(t *testing.T) {
	gh := &signature.GitHub{Secret: []byte("s")}
	rc := newReceiver(t, &signature.Middleware{Verifier: gh, Replay: failingGuard{}})
	h := http.Header{}
	gh.Sign(h, []byte("b"))
	if code, _ := rc.post(t, h, []byte("b")); code != http.StatusServiceUnavailable {
		t.Fatalf("status %d", code)
	}
	if len(rc.bodies) != 0 {
		t.Fatal("handler ran")
	}
}

// TestHandlerShortcut proves Handler wraps with defaults, and Wrap refuses
// to build a middleware without a verifier.
func TestHandlerShortcut(t *testing.T) {
	h := signature.Handler(&signature.Shopify{Secret: []byte("k")}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("x")))
	if rec.Code != http.StatusUnauthorized || strings.Contains(rec.Body.String(), "Shopify") {
		t.Fatalf("%d %q", rec.Code, rec.Body.String())
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Wrap without Verifier did not panic")
		}
	}()
	(&signature.Middleware{}).Wrap(http.NotFoundHandler())
}

// TestMiddlewareReplayPaddedTimestamp proves that a captured request cannot
// be replayed by writing its timestamp with leading zeros: the number, and
// so the signature, is the same, but the copy must still be refused.
func TestMiddlewareReplayPaddedTimestamp(t *testing.T) {
	key, _ := signature.GenerateSecret()
	now := at0()
	std := &signature.Standard{Secrets: []signature.Secret{key}, Now: at(now)}
	guard := signature.NewMemoryReplayGuard(10)
	guard.Now = at(now)
	rc := newReceiver(t, &signature.Middleware{Verifier: std, Replay: guard})

	body := []byte(`{"n":1}`)
	h := http.Header{}
	std.Sign(h, body)
	if code, _ := rc.post(t, h, body); code != http.StatusNoContent {
		t.Fatalf("first delivery: %d", code)
	}
	for _, pad := range []string{"0", "00", "000000"} {
		padded := h.Clone()
		padded.Set(signature.HeaderTimestamp, pad+h.Get(signature.HeaderTimestamp))
		if code, _ := rc.post(t, padded, body); code != http.StatusUnauthorized {
			t.Fatalf("replay with timestamp %q: status %d", padded.Get(signature.HeaderTimestamp), code)
		}
	}
	if len(rc.bodies) != 1 {
		t.Fatalf("handler ran %d times", len(rc.bodies))
	}
}

// TestMiddlewareReplaySvixRenamedHeaders proves that a captured Svix
// request cannot be replayed by moving its values from the svix-* headers
// to the webhook-* ones (which Svix also reads), or the other way round.
func TestMiddlewareReplaySvixRenamedHeaders(t *testing.T) {
	key, _ := signature.GenerateSecret()
	now := at0()
	svix := &signature.Svix{Standard: signature.Standard{Secrets: []signature.Secret{key}, Now: at(now)}}
	rename := func(h http.Header, from, to string) http.Header {
		out := http.Header{}
		for _, f := range []string{"-Id", "-Timestamp", "-Signature"} {
			out[to+f] = h[from+f]
		}
		return out
	}
	for _, order := range [][2]string{{"Svix", "Webhook"}, {"Webhook", "Svix"}} {
		t.Run(order[0]+"First", func(t *testing.T) {
			guard := signature.NewMemoryReplayGuard(10)
			guard.Now = at(now)
			rc := newReceiver(t, &signature.Middleware{Verifier: svix, Replay: guard})
			body := []byte(`{"n":1}`)
			signed := http.Header{}
			svix.Sign(signed, body)
			first := rename(signed, "Svix", order[0])
			if code, _ := rc.post(t, first, body); code != http.StatusNoContent {
				t.Fatalf("first delivery: %d", code)
			}
			if code, _ := rc.post(t, rename(signed, "Svix", order[1]), body); code != http.StatusUnauthorized {
				t.Fatalf("replay under %s-* headers: status %d", order[1], code)
			}
			if !errors.Is(rc.lastErr(), signature.ErrReplayed) {
				t.Fatalf("OnError: %v", rc.lastErr())
			}
			if len(rc.bodies) != 1 {
				t.Fatalf("handler ran %d times", len(rc.bodies))
			}
		})
	}
}
