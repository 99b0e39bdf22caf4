package api

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// TestTokenUses: a token's use is due once an interval, whoever asks; a
// stored LastUsedAt within the interval counts as a recorded use; the
// sweep forgets only what is due anyway.
func TestTokenUses(t *testing.T) {
	var u tokenUses
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tok := &hookline.Token{ID: "tok_a"}
	if !u.due(tok, t0) {
		t.Fatal("the first use is not due")
	}
	for _, d := range []time.Duration{0, time.Second, hookline.TokenUseInterval - time.Nanosecond} {
		if u.due(tok, t0.Add(d)) {
			t.Fatalf("a use %v after the recorded one is due", d)
		}
	}
	if !u.due(tok, t0.Add(hookline.TokenUseInterval)) {
		t.Fatal("a use an interval later is not due")
	}

	recent := t0.Add(-time.Second)
	if u.due(&hookline.Token{ID: "tok_b", LastUsedAt: &recent}, t0) {
		t.Fatal("a token whose stored use is recent is due")
	}
	old := t0.Add(-hookline.TokenUseInterval)
	if !u.due(&hookline.Token{ID: "tok_c", LastUsedAt: &old}, t0) {
		t.Fatal("a token whose stored use is an interval old is not due")
	}

	// Requests at once with one token: one records.
	var recorded atomic.Int64
	var wg sync.WaitGroup
	later := t0.Add(10 * hookline.TokenUseInterval)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if u.due(&hookline.Token{ID: "tok_d"}, later) {
				recorded.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := recorded.Load(); n != 1 {
		t.Fatalf("%d of 32 simultaneous uses were due, want 1", n)
	}
	// The sweep at later forgot tok_a, tok_b and tok_c, used long before.
	n := 0
	u.last.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Fatalf("%d tokens remembered after the sweep, want 1 (tok_d)", n)
	}
}
