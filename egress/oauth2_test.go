package egress

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/wait"
)

const (
	testClientID     = "hookline-sender"
	testClientSecret = "cs_9f8e7d:w/ x+y@z" // characters Basic must form-encode
)

// tokenServer is a real OAuth 2.0 token endpoint on 127.0.0.1 that issues
// tok-1, tok-2, ... and records each request.
type tokenServer struct {
	*httptest.Server
	fetches   atomic.Int64
	expiresIn atomic.Int64  // seconds; 0: not sent
	gate      chan struct{} // when set, each fetch waits for it to close

	mu    sync.Mutex
	forms []url.Values
	auths []string
}

func newTokenServer(t *testing.T) *tokenServer {
	t.Helper()
	ts := &tokenServer{}
	ts.expiresIn.Store(3600)
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ts.gate != nil {
			<-ts.gate
		}
		r.ParseForm()
		ts.mu.Lock()
		ts.forms = append(ts.forms, r.PostForm)
		ts.auths = append(ts.auths, r.Header.Get("Authorization"))
		ts.mu.Unlock()
		if r.PostForm.Get("grant_type") != "client_credentials" {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": "unsupported_grant_type"})
			return
		}
		id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		if u, p, ok := r.BasicAuth(); ok {
			id, _ = url.QueryUnescape(u)
			secret, _ = url.QueryUnescape(p)
		}
		if id != testClientID || secret != testClientSecret {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			// Some servers echo what they got; the error must not.
			json.NewEncoder(w).Encode(map[string]string{
				"error":             "invalid_client",
				"error_description": "unknown client " + id + " with secret " + secret,
			})
			return
		}
		n := ts.fetches.Add(1)
		resp := map[string]any{"access_token": fmt.Sprintf("tok-%d", n), "token_type": "Bearer"}
		if e := ts.expiresIn.Load(); e > 0 {
			resp["expires_in"] = e
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) config() *hookline.EndpointOAuth {
	return &hookline.EndpointOAuth{
		TokenURL:     ts.URL + "/oauth/token",
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		AuthMethod:   hookline.OAuthClientSecretBasic,
		GrantType:    hookline.OAuthClientCredentials,
		Scopes:       []string{"webhooks:write", "events"},
	}
}

// bearerReceiver is a receiver that accepts only the tokens valid() allows
// and records what it got.
type bearerReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	tokens []string
	bodies []string
	valid  func(token string) bool
}

func newBearerReceiver(t *testing.T, valid func(string) bool) *bearerReceiver {
	t.Helper()
	br := &bearerReceiver{valid: valid}
	br.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		body, _ := io.ReadAll(r.Body)
		br.mu.Lock()
		br.tokens = append(br.tokens, tok)
		br.bodies = append(br.bodies, string(body))
		br.mu.Unlock()
		if !br.valid(tok) {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(br.Close)
	return br
}

func (br *bearerReceiver) seen() (tokens, bodies []string) {
	br.mu.Lock()
	defer br.mu.Unlock()
	return append([]string(nil), br.tokens...), append([]string(nil), br.bodies...)
}

// TestOAuth2SharedFetch checks that many concurrent deliveries wait for one
// token fetch, and that later ones use the cached token.
func TestOAuth2SharedFetch(t *testing.T) {
	ts := newTokenServer(t)
	ts.gate = make(chan struct{})
	rcv := newBearerReceiver(t, func(tok string) bool { return tok == "tok-1" })
	c := loopbackClient(t)
	auth := &EndpointAuth{OAuth: ts.config()}

	const n = 20
	errs := make(chan error, n)
	for i := range n {
		go func() {
			resp, err := post(t, c, rcv.URL, fmt.Sprintf(`{"n":%d}`, i), auth)
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
			errs <- err
		}()
	}
	// Hold the token endpoint until every delivery is waiting for the fetch.
	wait.For(t, "20 waiters on one token fetch", func() bool {
		c.tokens.mu.Lock()
		defer c.tokens.mu.Unlock()
		for _, e := range c.tokens.entries {
			if e.fetch != nil && e.fetch.waiters == n {
				return true
			}
		}
		return false
	})
	close(ts.gate)
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		if resp, err := post(t, c, rcv.URL, `{}`, auth); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("cached token: %v", err)
		}
	}
	if f := ts.fetches.Load(); f != 1 {
		t.Fatalf("%d token fetches for %d deliveries, want 1", f, n+5)
	}
	tokens, _ := rcv.seen()
	if len(tokens) != n+5 {
		t.Fatalf("receiver got %d requests", len(tokens))
	}

	// The token request: Basic client authentication with both parts
	// form-encoded (RFC 6749, 2.3.1), grant type and scopes in the body.
	ts.mu.Lock()
	form, authz := ts.forms[0], ts.auths[0]
	ts.mu.Unlock()
	if !strings.HasPrefix(authz, "Basic ") || form.Get("client_secret") != "" || form.Get("client_id") != "" {
		t.Fatalf("client authentication: header %q, form %v", authz, form)
	}
	if form.Get("scope") != "webhooks:write events" {
		t.Fatalf("scope %q", form.Get("scope"))
	}
}

func TestOAuth2Expiry(t *testing.T) {
	ts := newTokenServer(t)
	rcv := newBearerReceiver(t, func(string) bool { return true })
	c := loopbackClient(t)
	now := time.Now()
	var clock sync.Mutex
	c.tokens.now = func() time.Time { clock.Lock(); defer clock.Unlock(); return now }
	advance := func(d time.Duration) { clock.Lock(); now = now.Add(d); clock.Unlock() }
	auth := &EndpointAuth{OAuth: ts.config()}

	send := func() string {
		t.Helper()
		if _, err := post(t, c, rcv.URL, `{}`, auth); err != nil {
			t.Fatal(err)
		}
		tokens, _ := rcv.seen()
		return tokens[len(tokens)-1]
	}
	if tok := send(); tok != "tok-1" {
		t.Fatalf("token %q", tok)
	}
	advance(3500 * time.Second) // 100 s before expiry: still good
	if tok := send(); tok != "tok-1" {
		t.Fatalf("token %q 100 s before expiry, want tok-1", tok)
	}
	advance(80 * time.Second) // 20 s before expiry: replaced early
	if tok := send(); tok != "tok-2" {
		t.Fatalf("token %q 20 s before expiry, want a new one", tok)
	}
	if f := ts.fetches.Load(); f != 2 {
		t.Fatalf("%d fetches, want 2", f)
	}

	// Without expires_in a token is kept for a while, not forever.
	ts.expiresIn.Store(0)
	advance(time.Hour)
	if tok := send(); tok != "tok-3" {
		t.Fatalf("token %q", tok)
	}
	advance(defaultTokenLifetime)
	if tok := send(); tok != "tok-4" {
		t.Fatalf("token %q after the default lifetime, want tok-4", tok)
	}
}

func TestOAuth2RefreshOn401(t *testing.T) {
	ts := newTokenServer(t)
	// tok-1 is revoked at the receiver before it expires.
	rcv := newBearerReceiver(t, func(tok string) bool { return tok != "tok-1" })
	c := loopbackClient(t)
	auth := &EndpointAuth{OAuth: ts.config()}

	resp, err := post(t, c, rcv.URL, `{"payload":1}`, auth)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("after refresh: %v, %v", resp, err)
	}
	tokens, bodies := rcv.seen()
	if strings.Join(tokens, ",") != "tok-1,tok-2" || bodies[0] != `{"payload":1}` || bodies[1] != bodies[0] {
		t.Fatalf("receiver got tokens %q and bodies %q; want tok-1 then tok-2 with the same body", tokens, bodies)
	}
	// The fresh token is cached.
	post(t, c, rcv.URL, `{}`, auth)
	if f := ts.fetches.Load(); f != 2 {
		t.Fatalf("%d fetches, want 2", f)
	}
}

func TestOAuth2RetriesOnce(t *testing.T) {
	ts := newTokenServer(t)
	rcv := newBearerReceiver(t, func(string) bool { return false })
	c := loopbackClient(t)
	auth := &EndpointAuth{OAuth: ts.config()}
	resp, err := post(t, c, rcv.URL, `{}`, auth)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("got %v, %v; want the 401", resp, err)
	}
	if tokens, _ := rcv.seen(); len(tokens) != 2 || ts.fetches.Load() != 2 {
		t.Fatalf("receiver got %d requests, token endpoint %d; want 2 and 2", len(tokens), ts.fetches.Load())
	}

	// A body that cannot be replayed is not sent twice.
	req, _ := http.NewRequest(http.MethodPost, rcv.URL, io.NopCloser(strings.NewReader(`{}`)))
	if req.GetBody != nil {
		t.Fatal("test setup: the body is replayable")
	}
	resp, err = c.Do(req, auth)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("got %v, %v; want the 401", resp, err)
	}
	resp.Body.Close()
	if tokens, _ := rcv.seen(); len(tokens) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(tokens))
	}
}

func TestOAuth2ClientSecretPost(t *testing.T) {
	ts := newTokenServer(t)
	rcv := newBearerReceiver(t, func(string) bool { return true })
	c := loopbackClient(t)
	o := ts.config()
	o.AuthMethod = hookline.OAuthClientSecretPost
	o.ExtraParams = map[string]string{"resource": "webhooks", "audience": "https://api.example.com"}
	o.ExtraHeaders = map[string]string{"X-Tenant": "acme"}
	if resp, err := post(t, c, rcv.URL, `{}`, &EndpointAuth{OAuth: o}); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v, %v", resp, err)
	}
	ts.mu.Lock()
	form, authz := ts.forms[0], ts.auths[0]
	ts.mu.Unlock()
	if authz != "" || form.Get("client_id") != testClientID || form.Get("client_secret") != testClientSecret {
		t.Fatalf("client authentication in the body: header %q, form %v", authz, form)
	}
	if form.Get("audience") != "https://api.example.com" || form.Get("resource") != "webhooks" || form.Get("grant_type") != "client_credentials" {
		t.Fatalf("form %v", form)
	}
}

// TestOAuth2Isolation checks that endpoints sharing a token URL and client
// id but not the secret do not share a token.
func TestOAuth2Isolation(t *testing.T) {
	ts := newTokenServer(t)
	rcv := newBearerReceiver(t, func(string) bool { return true })
	c := loopbackClient(t)
	if _, err := post(t, c, rcv.URL, `{}`, &EndpointAuth{OAuth: ts.config()}); err != nil {
		t.Fatal(err)
	}
	wrong := ts.config()
	wrong.ClientSecret = "guessed"
	_, err := post(t, c, rcv.URL, `{}`, &EndpointAuth{OAuth: wrong})
	var te *TokenError
	if !errors.As(err, &te) || te.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a wrong secret got %v, want the token endpoint's 401", err)
	}
	if tokens, _ := rcv.seen(); len(tokens) != 1 {
		t.Fatalf("the receiver got %d requests: a token was shared", len(tokens))
	}
}

// TestOAuth2Errors checks that a failed token request is a clear error that
// holds neither the secret nor a token, and that the delivery is not sent.
func TestOAuth2Errors(t *testing.T) {
	ts := newTokenServer(t)
	rcv := newBearerReceiver(t, func(string) bool { return true })
	raw := func(status int, body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			io.WriteString(w, body)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	hang := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer hanging.Close()
	defer close(hang)

	wrongSecret := ts.config()
	wrongSecret.ClientSecret = "wrong-" + testClientSecret
	tests := []struct {
		name    string
		policy  Policy
		o       *hookline.EndpointOAuth
		want    []string
		refused bool
	}{
		{name: "wrong secret", o: wrongSecret, want: []string{"401", "invalid_client"}},
		{name: "server error page", o: &hookline.EndpointOAuth{TokenURL: raw(500, "<html>oops "+testClientSecret+"</html>")}, want: []string{"500"}},
		{name: "not JSON", o: &hookline.EndpointOAuth{TokenURL: raw(200, "access_token=tok-leak")}, want: []string{"not a JSON token response"}},
		{name: "no token", o: &hookline.EndpointOAuth{TokenURL: raw(200, `{"token_type":"Bearer"}`)}, want: []string{"no access_token"}},
		{name: "not bearer", o: &hookline.EndpointOAuth{TokenURL: raw(200, `{"access_token":"tok-leak","token_type":"mac"}`)}, want: []string{"only Bearer"}},
		{name: "bad expires_in", o: &hookline.EndpointOAuth{TokenURL: raw(200, `{"access_token":"tok-leak","expires_in":"soon"}`)}, want: []string{"expires_in"}},
		{name: "huge answer", o: &hookline.EndpointOAuth{TokenURL: raw(200, `{"access_token":"tok-leak","pad":"`+strings.Repeat("x", 100<<10)+`"}`)}, want: []string{"exceeds"}},
		{name: "hanging token endpoint", o: &hookline.EndpointOAuth{TokenURL: hanging.URL}, want: []string{"deadline exceeded"}},
		{name: "token URL on a denied network", policy: Policy{}, o: ts.config(), want: []string{"loopback"}, refused: true},
		{name: "bad config", o: &hookline.EndpointOAuth{TokenURL: "ftp://x", ClientID: "a"}, want: []string{"tokenUrl"}},
		{name: "bad auth method", o: &hookline.EndpointOAuth{TokenURL: ts.URL, ClientID: "a", AuthMethod: "clientSecretJwt"}, want: []string{"clientSecretJwt"}},
		{name: "extra param replacing grant_type", o: &hookline.EndpointOAuth{TokenURL: ts.URL, ExtraParams: map[string]string{"grant_type": "password"}}, want: []string{"grant_type"}},
		{name: "extra header replacing Authorization", o: &hookline.EndpointOAuth{TokenURL: ts.URL, ExtraHeaders: map[string]string{"authorization": "Basic x"}}, want: []string{"Authorization"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.o.ClientID == "" {
				tt.o.ClientID, tt.o.ClientSecret = testClientID, testClientSecret
			}
			if tt.o.AuthMethod == "" {
				tt.o.AuthMethod = hookline.OAuthClientSecretBasic
			}
			tt.o.GrantType = hookline.OAuthClientCredentials
			policy := allow("127.0.0.1/32")
			if tt.refused {
				policy = tt.policy
			}
			c, err := New(Config{Policy: policy, TokenTimeout: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			before, _ := rcv.seen()
			_, err = post(t, c, rcv.URL, `{}`, &EndpointAuth{OAuth: tt.o})
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			t.Log(msg)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			for _, leak := range []string{testClientSecret, url.QueryEscape(testClientSecret), "cs_9f8e7d", "tok-", "127.0.0.1:"} {
				if strings.Contains(msg, leak) {
					t.Errorf("error %q shows %q", msg, leak)
				}
			}
			if _, refused := Refused(err); refused != tt.refused {
				t.Errorf("Refused = %v, want %v", refused, tt.refused)
			}
			if after, _ := rcv.seen(); len(after) != len(before) {
				t.Error("the delivery was sent without a token")
			}
		})
	}
	if f := ts.fetches.Load(); f != 0 {
		t.Fatalf("%d tokens issued", f)
	}
}

// TestOAuth2WaiterCancel checks that a delivery whose context ends stops
// waiting for a token fetch, and that the fetch still serves the others.
func TestOAuth2WaiterCancel(t *testing.T) {
	ts := newTokenServer(t)
	ts.gate = make(chan struct{})
	rcv := newBearerReceiver(t, func(string) bool { return true })
	c := loopbackClient(t)
	auth := &EndpointAuth{OAuth: ts.config()}

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, rcv.URL, strings.NewReader(`{}`))
	done := make(chan error, 1)
	go func() {
		_, err := c.Do(req, auth)
		done <- err
	}()
	wait.For(t, "a waiter", func() bool {
		c.tokens.mu.Lock()
		defer c.tokens.mu.Unlock()
		for _, e := range c.tokens.entries {
			if e.fetch != nil && e.fetch.waiters == 1 {
				return true
			}
		}
		return false
	})
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a cancelled delivery got a token")
	}
	close(ts.gate)
	if resp, err := post(t, c, rcv.URL, `{}`, auth); err != nil || resp.StatusCode != 200 {
		t.Fatalf("after a cancelled waiter: %v, %v", resp, err)
	}
	if f := ts.fetches.Load(); f != 1 {
		t.Fatalf("%d fetches, want the one that was in flight", f)
	}
}
