package api_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hookline/hookline"
)

// lookups counts the token lookups a store gets.
type lookups struct {
	hookline.Store
	n atomic.Int64
}

func (l *lookups) TokenByHash(ctx context.Context, hash []byte) (*hookline.Token, error) {
	l.n.Add(1)
	return l.Store.TokenByHash(ctx, hash)
}

// TestFailedAuthenticationThrottled: a client that keeps sending bad tokens
// is answered 429, with Retry-After, without its tokens being looked up;
// valid tokens, however many, never count.
func TestFailedAuthenticationThrottled(t *testing.T) {
	var counted *lookups
	e := newEnv(t, nil, func(s hookline.Store) hookline.Store {
		counted = &lookups{Store: s}
		return counted
	})
	for range 100 {
		e.must(200, "GET", "/api/v1/app", e.admin, nil, nil)
	}
	limited := 0
	for range 100 {
		before := counted.n.Load()
		st, body := e.do("GET", "/api/v1/app", "hk_guess", nil)
		switch st {
		case 401:
		case 429:
			limited++
			if counted.n.Load() != before {
				t.Fatal("a throttled request's token was looked up")
			}
			if !strings.Contains(string(body), `"code":"rate_limited"`) {
				t.Fatalf("429 body %s", body)
			}
		default:
			t.Fatalf("a bad token: %d %s", st, body)
		}
	}
	if limited == 0 {
		t.Fatal("100 bad tokens in a row were never throttled")
	}
}
