package dispatch

import (
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// breakerGate is a gate on a clock the test moves, with a breaker that
// opens after 5 failures for 30 s at first and 10 min at the most.
func breakerGate() (*gate, *time.Time) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := newGate(Config{EndpointConcurrency: 16, FailingWorkers: 128, BreakerFailures: 5,
		BreakerCooldown: 30 * time.Second, BreakerMaxCooldown: 10 * time.Minute, SlowAfter: 5 * time.Second},
		func() time.Time { return now })
	return g, &now
}

// admitted admits a job to ep, which the test expects to be let through.
func admitted(t *testing.T, g *gate, ep *hookline.Endpoint) *job {
	t.Helper()
	j := &job{task: &hookline.Task{Endpoint: *ep}}
	if l, _ := g.admit(j); l == laneNone || l == laneWaiting {
		t.Fatalf("an attempt to %s was held (lane %d)", ep.ID, l)
	}
	j.lane = laneHealthy
	return j
}

// heldUntil returns when the gate lets an attempt to ep through again; the
// zero time when it lets one through now.
func heldUntil(g *gate, ep *hookline.Endpoint) time.Time {
	j := &job{task: &hookline.Task{Endpoint: *ep}}
	l, at := g.admit(j)
	if l != laneNone {
		g.done(j, answered, 0)
		return time.Time{}
	}
	return at
}

// TestBreakerBurst: a burst of attempts in flight to an endpoint that goes
// down for a moment opens its breaker once, for the first cooldown; the
// failures of attempts already in flight when it opened do not lengthen it.
func TestBreakerBurst(t *testing.T) {
	g, now := breakerGate()
	ep := &hookline.Endpoint{ID: "ep_1", UpdatedAt: *now}
	var burst []*job
	for range 16 {
		burst = append(burst, admitted(t, g, ep))
	}
	for _, j := range burst {
		g.done(j, failed, time.Millisecond)
	}
	at := heldUntil(g, ep)
	if at.IsZero() || at.Sub(*now) > 40*time.Second {
		t.Fatalf("after a burst of 16 failures the endpoint is held until %v, %v from now; want the first cooldown (30 s and a little)",
			at, at.Sub(*now))
	}

	// The probe after the cooldown fails: twice as long, once.
	*now = now.Add(time.Minute)
	probe := admitted(t, g, ep)
	g.done(probe, failed, time.Millisecond)
	at = heldUntil(g, ep)
	if d := at.Sub(*now); d < 60*time.Second || d > 80*time.Second {
		t.Fatalf("after a failed probe the endpoint is held for %v, want twice the cooldown (60 s and a little)", d)
	}

	// The next probe succeeds: the breaker closes.
	*now = now.Add(2 * time.Minute)
	g.done(admitted(t, g, ep), answered, time.Millisecond)
	if at := heldUntil(g, ep); !at.IsZero() {
		t.Fatalf("held until %v after a successful probe", at)
	}
}

// TestBreakerResetByAChange: an endpoint changed while its breaker is open
// (a new URL, enabled again) is let through at once, and the failures of
// attempts made to it before the change do not open the breaker again.
func TestBreakerResetByAChange(t *testing.T) {
	g, now := breakerGate()
	ep := &hookline.Endpoint{ID: "ep_1", URL: "https://old.example.com/", UpdatedAt: *now}
	var old []*job
	for range 10 {
		old = append(old, admitted(t, g, ep))
	}
	for _, j := range old[:5] {
		g.done(j, failed, time.Millisecond)
	}
	if heldUntil(g, ep).IsZero() {
		t.Fatal("five failures did not open the breaker")
	}

	*now = now.Add(time.Second)
	changed := &hookline.Endpoint{ID: "ep_1", URL: "https://new.example.com/", UpdatedAt: *now}
	j := admitted(t, g, changed)
	for _, o := range old[5:] {
		g.done(o, failed, time.Millisecond)
	}
	g.done(j, answered, time.Millisecond)
	if at := heldUntil(g, changed); !at.IsZero() {
		t.Fatalf("the changed endpoint is held until %v by failures of the old one", at)
	}
	// A task that still carries the endpoint as it was changes nothing.
	if at := heldUntil(g, ep); !at.IsZero() {
		t.Fatalf("an older copy of the endpoint reset or held it: %v", at)
	}
}
