package main

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline/internal/wait"
)

// TestBreakerReleasesABurstOnTime: a receiver that fails for a moment under
// a burst opens its endpoint's breaker once, for the first cooldown (30 s),
// not for longer with every failure of the attempts in flight (it once
// held such a burst for ten minutes); the deliveries it holds wait in the
// store, due when the cooldown ends, and a restart meanwhile delivers them.
func TestBreakerReleasesABurstOnTime(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the breaker's 30 s cooldown")
	}
	db := filepath.Join(t.TempDir(), "hookline.db")
	const token = "hk_test_admin_token_0123456789abcdef"
	args := []string{"--listen", "127.0.0.1:0", "--db", db, "--allow-network", "127.0.0.0/8",
		"--retry-schedule", "100ms,200ms,400ms,800ms", "--log-level", "warn"}
	env := map[string]string{"HOOKLINE_ADMIN_TOKEN": token}
	base, _, stop := runServer(t, args, env)
	s := &server{url: base, token: token}
	ctx := context.Background()
	sx := s.client(t)

	// The receiver is down for the first ten requests, which it holds
	// until all ten are in flight and then fails together: the breaker
	// opens at the fifth failure, with five more attempts in flight.
	const burst = 10
	var down atomic.Bool
	down.Store(true)
	inFlight := make(chan struct{})
	var closeOnce sync.Once
	rc := newHookReceiver(t, func(n int) int {
		if !down.Load() {
			return 204
		}
		if n >= burst {
			closeOnce.Do(func() { close(inFlight) })
		}
		<-inFlight
		return 503
	})
	if _, err := sx.Application.Create(ctx, models.ApplicationIn{Name: "Acme", Uid: ptr("acme")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := sx.Endpoint.Create(ctx, "acme", models.EndpointIn{Url: rc.URL}, nil); err != nil {
		t.Fatal(err)
	}
	const n = 40 // one page of the message list
	for range n {
		if _, err := sx.Message.Create(ctx, "acme", models.MessageIn{EventType: "e", Payload: map[string]any{"a": 1}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	wait.For(t, "the failed burst", func() bool { return rc.count() >= burst })
	down.Store(false)
	stop()
	// The breaker opened before now, for 30 s and up to a fifth more, and
	// what it holds comes back spread over a tenth of that: no delivery
	// waits longer.
	latest := time.Now().Add(30*time.Second + 30*time.Second/5 + 30*time.Second/10)

	base, _, stop = runServer(t, args, env)
	t.Cleanup(stop)
	s.url = base
	sx = s.client(t)
	msgs, err := sx.Message.List(ctx, "acme", nil)
	if err != nil || len(msgs.Data) != n {
		t.Fatalf("messages: %v, %v", msgs, err)
	}
	held := 0
	for _, m := range msgs.Data {
		d, err := sx.MessageAttempt.ListAttemptedDestinations(ctx, "acme", m.Id, nil)
		if err != nil || len(d.Data) != 1 {
			t.Fatalf("destinations of %s: %v, %v", m.Id, d, err)
		}
		if next := d.Data[0].NextAttempt; next != nil && d.Data[0].Status != models.MESSAGESTATUS_SUCCESS {
			held++
			if next.After(latest) {
				t.Fatalf("a delivery is held until %v, %v after the end of the first cooldown", next, next.Sub(latest))
			}
		}
	}
	if held == 0 {
		t.Fatal("no delivery was held by the breaker")
	}
	wait.For(t, "every held delivery, once the cooldown ends", func() bool {
		done := 0
		for _, m := range msgs.Data {
			d, err := sx.MessageAttempt.ListAttemptedDestinations(ctx, "acme", m.Id, nil)
			if err == nil && len(d.Data) == 1 && d.Data[0].Status == models.MESSAGESTATUS_SUCCESS {
				done++
			}
		}
		return done == n
	})
}
