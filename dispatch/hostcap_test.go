package dispatch

import (
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// TestHostConcurrency: attempts to one host and port, over all the
// endpoints that point there, stop at the host's bound; another port or
// host is another bound; an attempt that ends frees a place.
func TestHostConcurrency(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := newGate(Config{EndpointConcurrency: 16, FailingWorkers: 128, BreakerFailures: 5, HostConcurrency: 2,
		BreakerCooldown: 30 * time.Second, BreakerMaxCooldown: 10 * time.Minute, SlowAfter: 5 * time.Second},
		func() time.Time { return now })
	ep := func(id, url string) *hookline.Endpoint {
		return &hookline.Endpoint{ID: id, URL: url, UpdatedAt: now}
	}
	a := admitted(t, g, ep("ep_a", "https://Hooks.Example.com/a"))
	admitted(t, g, ep("ep_b", "https://hooks.example.com:443/b"))
	third := ep("ep_c", "https://hooks.example.com/c?x=1")
	if l, at := g.admit(&job{task: &hookline.Task{Endpoint: *third}}); l != laneNone || !at.After(now) {
		t.Fatalf("a third attempt to the host: lane %d, back at %v; want it deferred", l, at)
	}
	admitted(t, g, ep("ep_d", "https://hooks.example.com:8443/d")) // another port
	admitted(t, g, ep("ep_e", "https://other.example.com/e"))
	g.done(a, answered, time.Millisecond)
	admitted(t, g, third)
}
