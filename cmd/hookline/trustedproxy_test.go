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
		req, _ := http.NewRequest("GET", s.url+"/api/v1/app", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-Forwarded-For", client)
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
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
