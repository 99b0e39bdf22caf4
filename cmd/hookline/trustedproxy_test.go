package main

import (
	"net/http"
	"testing"
	"time"
)

// TestTrustedProxy: behind a trusted proxy, failed authentications count per
// client named by X-Forwarded-For, so one guesser does not lock out the
// others who share the proxy's address.
func TestTrustedProxy(t *testing.T) {
	s := startServer(t, "--trusted-proxy", "127.0.0.0/8")
	status := func(client, token string) int {
		t.Helper()
		return authStatus(t, s, client, token).StatusCode
	}
	throttled := false
	for range 100 {
		if status("198.51.100.7", "hk_guess") == 429 {
			throttled = true
			break
		}
	}
	if !throttled {
		t.Fatal("a guesser was never throttled")
	}
	if got := status("203.0.113.9", "hk_typo"); got != 401 {
		t.Errorf("another client behind the proxy: %d, want 401", got)
	}
	if got := status("203.0.113.9", s.token); got != 200 {
		t.Errorf("another client's valid token: %d, want 200", got)
	}
}

// authStatus returns the answer of serve s to GET /api/v1/app with token,
// from client (X-Forwarded-For, when set, which s believes only when it
// trusts the test's own address).
func authStatus(t *testing.T, s *server, client, token string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", s.url+"/api/v1/app", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if client != "" {
		req.Header.Set("X-Forwarded-For", client)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestValidTokensNotThrottled: from one address, valid tokens take no place
// in the failed-authentication bucket and, until it is full, are never
// slowed; once it is full, they get 429 like any token, on purpose
// (docs/security.md, "The API under attack").
func TestValidTokensNotThrottled(t *testing.T) {
	const burst = 20 // the bucket docs/security.md gives each address
	s := startServer(t)
	for i := range 3 * burst {
		if got := authStatus(t, s, "", s.token).StatusCode; got != 200 {
			t.Fatalf("valid token %d: %d, want 200", i, got)
		}
	}
	failures := 0
	for {
		resp := authStatus(t, s, "", "hk_guess")
		if resp.StatusCode == 429 {
			if resp.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			break
		}
		if resp.StatusCode != 401 {
			t.Fatalf("a wrong token: %d, want 401 or 429", resp.StatusCode)
		}
		failures++
		if failures > 10*burst {
			t.Fatal("the address was never throttled")
		}
		// Between failures, a valid token is answered while the bucket has
		// room, and takes no place; it gets 429 once the failures filled it.
		got := authStatus(t, s, "", s.token).StatusCode
		if got == 429 {
			break
		}
		if got != 200 {
			t.Fatalf("a valid token after %d failures: %d, want 200", failures, got)
		}
	}
	if failures < burst {
		t.Errorf("throttled after %d failures, want %d: valid tokens took places", failures, burst)
	}
	if got := authStatus(t, s, "", s.token).StatusCode; got != 429 {
		t.Errorf("a valid token from the throttled address: %d, want 429", got)
	}
}
