package signature_test

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline/signature"
)

// TestMemoryReplayGuard proves first/duplicate answers and expiry under an
// injected clock.
func TestMemoryReplayGuard(t *testing.T) {
	ctx := context.Background()
	now := at0()
	g := signature.NewMemoryReplayGuard(0)
	g.Now = func() time.Time { return now }
	if first, _ := g.Remember(ctx, "a", now.Add(time.Minute)); !first {
		t.Fatal("new key reported as seen")
	}
	if first, _ := g.Remember(ctx, "a", now.Add(time.Minute)); first {
		t.Fatal("duplicate reported as first")
	}
	now = now.Add(time.Minute) // expiry instant: forgotten
	if first, _ := g.Remember(ctx, "a", now.Add(time.Minute)); !first {
		t.Fatal("expired key still remembered")
	}
	if first, _ := g.Remember(ctx, "past", now.Add(-time.Second)); !first {
		t.Fatal("already-expired key reported as seen")
	}
	if g.Len() != 1 {
		t.Fatalf("Len = %d, want 1 (already-expired keys are not stored)", g.Len())
	}
}

// TestMemoryReplayGuardBounded proves the capacity bound: the guard never
// holds more keys than its capacity, drops expired keys first, and when
// full forgets the key closest to expiry.
func TestMemoryReplayGuardBounded(t *testing.T) {
	ctx := context.Background()
	now := at0()
	g := signature.NewMemoryReplayGuard(3)
	g.Now = func() time.Time { return now }
	g.Remember(ctx, "soon", now.Add(time.Second))
	g.Remember(ctx, "late1", now.Add(time.Hour))
	g.Remember(ctx, "late2", now.Add(time.Hour))
	g.Remember(ctx, "late3", now.Add(time.Hour)) // evicts "soon"
	if g.Len() != 3 {
		t.Fatalf("Len = %d", g.Len())
	}
	if first, _ := g.Remember(ctx, "late1", now.Add(time.Hour)); first {
		t.Fatal("a later key was evicted instead of the soonest")
	}
	for i := 0; i < 1000; i++ {
		g.Remember(ctx, strconv.Itoa(i), now.Add(time.Duration(i)*time.Second+time.Hour))
	}
	if g.Len() != 3 {
		t.Fatalf("Len = %d after 1000 inserts, want 3", g.Len())
	}
	now = now.Add(3 * time.Hour)
	g.Remember(ctx, "x", now.Add(time.Second))
	if g.Len() != 1 {
		t.Fatalf("Len = %d after everything expired, want 1", g.Len())
	}
}

// TestMemoryReplayGuardConcurrent proves atomicity: of many goroutines
// remembering the same key at once, exactly one is first (run with -race).
func TestMemoryReplayGuardConcurrent(t *testing.T) {
	g := signature.NewMemoryReplayGuard(100)
	var firsts atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if first, _ := g.Remember(context.Background(), "same", time.Now().Add(time.Hour)); first {
				firsts.Add(1)
			}
		}()
	}
	wg.Wait()
	if firsts.Load() != 1 {
		t.Fatalf("%d goroutines were first", firsts.Load())
	}
}

// TestReplayKeys proves, for every scheme, that the replay key is the same
// for byte-identical copies, differs when a signed part differs (so a
// sender's retry with a new timestamp is not taken for a replay), and that
// schemes with a signed timestamp expire the key when the timestamp leaves
// the tolerance window.
func TestReplayKeys(t *testing.T) {
	now := at0()
	later := now.Add(10 * time.Second)
	sec, _ := signature.GenerateSecret()
	type pair struct {
		a, b signature.Scheme // b signs at a later time, or nil
	}
	mk := func(f func(clock func() time.Time) signature.Scheme) pair {
		return pair{f(at(now)), f(at(later))}
	}
	schemes := map[string]pair{
		"standard": mk(func(c func() time.Time) signature.Scheme {
			return &signature.Standard{Secrets: []signature.Secret{sec}, Now: c}
		}),
		"svix": mk(func(c func() time.Time) signature.Scheme {
			return &signature.Svix{Standard: signature.Standard{Secrets: []signature.Secret{sec}, Now: c}}
		}),
		"stripe": mk(func(c func() time.Time) signature.Scheme { return &signature.Stripe{Secret: []byte("k"), Now: c} }),
		"slack":  mk(func(c func() time.Time) signature.Scheme { return &signature.Slack{Secret: []byte("k"), Now: c} }),
		"hmac+ts": mk(func(c func() time.Time) signature.Scheme {
			return &signature.HMAC{Secret: []byte("k"), Header: "X-Sig", TimestampHeader: "X-Ts", Now: c}
		}),
		"github":  {&signature.GitHub{Secret: []byte("k")}, nil},
		"shopify": {&signature.Shopify{Secret: []byte("k")}, nil},
		"hmac":    {&signature.HMAC{Secret: []byte("k"), Header: "X-Sig"}, nil},
	}
	for name, p := range schemes {
		t.Run(name, func(t *testing.T) {
			sign := func(s signature.Scheme, id string, body string) http.Header {
				h := http.Header{}
				h.Set("webhook-id", id)
				h.Set("svix-id", id)
				if err := s.Sign(h, []byte(body)); err != nil {
					t.Fatal(err)
				}
				return h
			}
			key := func(h http.Header, body string) (string, time.Time) {
				return p.a.(signature.ReplayKeyer).ReplayKey(h, []byte(body))
			}
			h := sign(p.a, "msg_1", "body")
			k1, exp := key(h, "body")
			if k2, _ := key(h.Clone(), "body"); k1 == "" || k1 != k2 {
				t.Fatalf("copies give keys %q and %q", k1, k2)
			}
			if k, _ := key(sign(p.a, "msg_1", "other"), "other"); k == k1 && name != "standard" && name != "svix" {
				t.Fatalf("different body, same key %q", k)
			}
			if name == "standard" || name == "svix" {
				if k, _ := key(sign(p.a, "msg_2", "body"), "body"); k == k1 {
					t.Fatalf("different id, same key %q", k)
				}
			}
			if p.b != nil {
				if k, _ := key(sign(p.b, "msg_1", "body"), "body"); k == k1 {
					t.Fatalf("retry with a new timestamp has the replay key of the first attempt: %q", k)
				}
				if !exp.Equal(now.Add(signature.DefaultTolerance)) {
					t.Fatalf("expires %v, want %v", exp, now.Add(signature.DefaultTolerance))
				}
			} else if !exp.IsZero() {
				t.Fatalf("scheme without timestamp gives expiry %v", exp)
			}
		})
	}
}
