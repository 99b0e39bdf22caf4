package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"
	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline/internal/wait"
)

// burst is an application "acme" with one endpoint, whose receiver failed
// a burst of attempts together and so opened the endpoint's circuit
// breaker, and the messages sent to it.
type burst struct {
	rc       *hookReceiver
	endpoint string      // the endpoint's id
	down     atomic.Bool // the receiver fails while set
	msgs     []string    // the ids of the messages
}

// cooldownEnd is the latest a breaker that opened for the first time lets
// what it holds through, after it opened: the first cooldown (30 s), up to
// a fifth more, and the tenth of it over which the held deliveries are
// spread.
const cooldownEnd = 30*time.Second + 30*time.Second/5 + 30*time.Second/10

// openBreaker makes the burst on the server sx talks to. The receiver is
// down for the first ten requests, which it holds until all ten are in
// flight and then fails together: the breaker opens at the fifth failure,
// with five more attempts in flight. It stays down, failing at once, until
// the caller sets down to false. openBreaker returns once the ten failed.
func openBreaker(t *testing.T, sx *svix.Svix) *burst {
	t.Helper()
	ctx := context.Background()
	const failures = 10
	b := &burst{}
	b.down.Store(true)
	inFlight := make(chan struct{})
	var closeOnce sync.Once
	b.rc = newHookReceiver(t, func(n int) int {
		if !b.down.Load() {
			return 204
		}
		if n >= failures {
			closeOnce.Do(func() { close(inFlight) })
		}
		<-inFlight
		return 503
	})
	if _, err := sx.Application.Create(ctx, models.ApplicationIn{Name: "Acme", Uid: ptr("acme")}, nil); err != nil {
		t.Fatal(err)
	}
	ep, err := sx.Endpoint.Create(ctx, "acme", models.EndpointIn{Url: b.rc.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.endpoint = ep.Id
	const n = 40
	for range n {
		m, err := sx.Message.Create(ctx, "acme", models.MessageIn{EventType: "e", Payload: map[string]any{"a": 1}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		b.msgs = append(b.msgs, m.Id)
	}
	wait.For(t, "the failed burst", func() bool { return b.rc.count() >= failures })
	return b
}

// destinations returns the delivery of each message of b to the endpoint,
// as the API lists it.
func (b *burst) destinations(sx *svix.Svix) ([]models.MessageEndpointOut, error) {
	var ds []models.MessageEndpointOut
	for _, id := range b.msgs {
		d, err := sx.MessageAttempt.ListAttemptedDestinations(context.Background(), "acme", id, nil)
		if err != nil {
			return nil, err
		}
		if len(d.Data) != 1 {
			return nil, fmt.Errorf("message %s has %d destinations, want 1", id, len(d.Data))
		}
		ds = append(ds, d.Data[0])
	}
	return ds, nil
}

// heldUntil returns the earliest time a delivery of b is due, and reports
// whether every one is due at a time: none is in flight (or delivered).
func (b *burst) heldUntil(sx *svix.Svix) (time.Time, bool) {
	ds, err := b.destinations(sx)
	if err != nil {
		return time.Time{}, false
	}
	var due time.Time
	for _, d := range ds {
		if d.NextAttempt == nil {
			return time.Time{}, false
		}
		if due.IsZero() || d.NextAttempt.Before(due) {
			due = *d.NextAttempt
		}
	}
	return due, true
}

// delivered reports whether every message of b was delivered.
func (b *burst) delivered(sx *svix.Svix) bool {
	ds, err := b.destinations(sx)
	if err != nil {
		return false
	}
	for _, d := range ds {
		if d.Status != models.MESSAGESTATUS_SUCCESS {
			return false
		}
	}
	return true
}

// released fails t unless every delivery of b the breaker holds is due by
// latest, and every message of b is then delivered.
func (b *burst) released(t *testing.T, sx *svix.Svix, latest time.Time) {
	t.Helper()
	ds, err := b.destinations(sx)
	if err != nil {
		t.Fatal(err)
	}
	held := 0
	for _, d := range ds {
		if next := d.NextAttempt; next != nil && d.Status != models.MESSAGESTATUS_SUCCESS {
			held++
			if next.After(latest) {
				t.Fatalf("a delivery is held until %v, %v after the end of the first cooldown", next, next.Sub(latest))
			}
		}
	}
	if held == 0 {
		t.Fatal("no delivery was held by the breaker")
	}
	wait.For(t, "every held delivery, once the cooldown ends", func() bool { return b.delivered(sx) })
}

// TestBreakerReleasesABurstOnTime: a receiver that fails for a moment under
// a burst opens its endpoint's breaker once, for the first cooldown (30 s),
// not for longer with every failure of the attempts in flight (it once
// held such a burst for ten minutes); the deliveries it holds wait in the
// store, due when the cooldown ends, and a restart meanwhile delivers them,
// on either store.
func TestBreakerReleasesABurstOnTime(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the breaker's 30 s cooldown")
	}
	onEachStore(t, func(t *testing.T, st testStore) {
		t.Parallel()
		const token = "hk_test_admin_token_0123456789abcdef"
		args := append([]string{"--listen", "127.0.0.1:0", "--allow-network", "127.0.0.0/8",
			"--retry-schedule", "100ms,200ms,400ms,800ms", "--log-level", "warn"}, st.args()...)
		env := map[string]string{"HOOKLINE_ADMIN_TOKEN": token}
		base, _, stop := runServer(t, args, env)
		s := &server{url: base, token: token}
		b := openBreaker(t, s.client(t))
		b.down.Store(false)
		stop()
		// The breaker opened before now.
		latest := time.Now().Add(cooldownEnd)

		base, _, stop = runServer(t, args, env)
		t.Cleanup(stop)
		s.url = base
		b.released(t, s.client(t), latest)
	})
}

// TestBreakerHeldReleasedByANewURL: the deliveries an open breaker holds,
// for twice the first cooldown once a probe failed, are attempted at once
// when the endpoint is PATCHed to a new URL, on either store: they were
// held for failures of the URL it had. (They once waited out the breaker.)
func TestBreakerHeldReleasedByANewURL(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the breaker's 30 s cooldown and a failed probe")
	}
	onEachStore(t, func(t *testing.T, st testStore) {
		t.Parallel()
		// A retry schedule longer than the attempts a delivery can
		// make before the breaker opens, and one probe: none fails
		// for good.
		s := startServer(t, append(st.args(), "--retry-schedule", "100ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms")...)
		sx := s.client(t)
		b := openBreaker(t, sx)

		// Every delivery held past the end of the first cooldown, as
		// long as it may be from now: a probe failed, and the wait
		// doubled.
		var due time.Time // the earliest a held delivery is due
		wait.For(t, "a failed probe to double the breaker's wait", func() bool {
			var held bool
			due, held = b.heldUntil(sx)
			return held && due.After(time.Now().Add(cooldownEnd))
		})

		// Without the change of URL nothing could be attempted until
		// due, so the deadline of the wait is due.
		moved := newHookReceiver(t, nil)
		before := time.Now()
		if _, err := sx.Endpoint.Patch(context.Background(), "acme", b.endpoint, models.EndpointPatch{Url: &moved.URL}); err != nil {
			t.Fatal(err)
		}
		wait.Within(t, due.Sub(before), "every held delivery, at the new URL", func() bool {
			return moved.count() >= len(b.msgs) && b.delivered(sx)
		})
		t.Logf("held until %v after the change of URL; all delivered %v after it",
			due.Sub(before).Round(time.Millisecond), time.Since(before).Round(time.Millisecond))
	})
}
