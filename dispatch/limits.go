package dispatch

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hookline/hookline"
)

// lane is the pool of attempts a delivery is admitted to.
type lane int

const (
	// laneNone: not admitted; the delivery is deferred.
	laneNone lane = iota
	// laneHealthy holds the attempts to endpoints whose last attempt
	// succeeded: Workers of them at once, EndpointConcurrency per endpoint.
	laneHealthy
	// laneFailing holds the attempts to endpoints that failed lately (they
	// often end in a timeout): FailingWorkers at once, one per endpoint, so
	// that broken endpoints never take the healthy ones' workers.
	laneFailing
)

// gate decides, in this process's memory, which deliveries may be attempted
// now: it enforces each endpoint's throttleRate and concurrency cap, and
// runs a circuit breaker per endpoint. What it refuses is deferred in the
// store, with the time at which to try again, never held in memory.
type gate struct {
	mu  sync.Mutex
	eps map[string]*endpointState
	now func() time.Time

	perEndpoint   int           // attempts in flight to one healthy endpoint
	failingSlots  int           // attempts in flight to failing endpoints, in all
	failingUsed   int           //
	breakAfter    int           // consecutive failures that open the breaker
	minCooldown   time.Duration // the first time the breaker is open
	maxCooldown   time.Duration // the longest it stays open
	lastSweep     time.Time
	sweepInterval time.Duration
}

// endpointState is what the gate knows of one endpoint.
type endpointState struct {
	inflight int
	// failures counts the consecutive failed attempts; 0 means healthy.
	failures int
	// openUntil is when the open breaker lets a probe through; zero while
	// the breaker is closed. cooldown is how long it opened for last.
	openUntil time.Time
	cooldown  time.Duration
	// tat is the rate limiter's theoretical arrival time (GCRA): the
	// endpoint may get an attempt at tat - burst.
	tat time.Time
	// deferCursor spreads the deliveries the gate defers, so that they come
	// back one after the other instead of all at once.
	deferCursor time.Time
	// slow counts the attempts in flight that outlasted SlowAfter and moved
	// to the failing lane; while there are any, the endpoint is treated as
	// failing.
	slow int
	// latency is a moving average of the endpoint's attempt durations.
	latency  time.Duration
	lastUsed time.Time
}

// rateBurst is how far ahead of its rate an endpoint may get attempts: a
// second's worth, throttleRate attempts at once.
const rateBurst = time.Second

func newGate(cfg Config, now func() time.Time) *gate {
	return &gate{
		eps:           make(map[string]*endpointState),
		now:           now,
		perEndpoint:   cfg.EndpointConcurrency,
		failingSlots:  cfg.FailingWorkers,
		breakAfter:    cfg.BreakerFailures,
		minCooldown:   cfg.BreakerCooldown,
		maxCooldown:   cfg.BreakerMaxCooldown,
		sweepInterval: 10 * time.Minute,
	}
}

// state returns ep's state, made when absent. The caller holds g.mu.
func (g *gate) state(id string, now time.Time) *endpointState {
	st := g.eps[id]
	if st == nil {
		st = &endpointState{}
		g.eps[id] = st
	}
	st.lastUsed = now
	if now.Sub(g.lastSweep) > g.sweepInterval {
		g.sweep(now)
	}
	return st
}

// sweep forgets endpoints that are idle, healthy and unthrottled, so that the
// map does not grow with every endpoint ever seen.
func (g *gate) sweep(now time.Time) {
	g.lastSweep = now
	for id, st := range g.eps {
		if st.inflight == 0 && st.failures == 0 && now.Sub(st.lastUsed) > g.sweepInterval && now.After(st.tat) {
			delete(g.eps, id)
		}
	}
}

// admit decides whether an attempt to ep may start now. It returns the lane
// it took a place in, or laneNone and when to try again. healthyRoom says
// whether the caller has a place in the healthy lane for it.
func (g *gate) admit(ep *hookline.Endpoint, healthyRoom bool) (lane, time.Time) {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.state(ep.ID, now)

	l := laneHealthy
	if st.failures > 0 || st.slow > 0 {
		l = laneFailing
		if !st.openUntil.IsZero() {
			if now.Before(st.openUntil) {
				return laneNone, g.spread(st, st.openUntil, st.cooldown/10)
			}
			// Half open: one probe at a time, which the per-endpoint
			// cap of the failing lane ensures.
		}
		if st.inflight > 0 || g.failingUsed >= g.failingSlots {
			wait := max(st.latency, time.Second)
			return laneNone, g.spread(st, now.Add(wait), wait/4)
		}
	} else if !healthyRoom || st.inflight >= g.perEndpoint {
		step := max(st.latency, time.Millisecond) / time.Duration(g.perEndpoint)
		return laneNone, g.spread(st, now.Add(step), step)
	}

	if rate := throttle(ep); rate > 0 {
		interval := time.Second / time.Duration(rate)
		tat := st.tat
		if tat.Before(now) {
			tat = now
		}
		// A burst of rate attempts, then one an interval.
		if allowAt := tat.Add(-rateBurst + interval); now.Before(allowAt) {
			return laneNone, g.spread(st, allowAt, interval)
		}
		st.tat = tat.Add(interval)
	}

	st.inflight++
	if l == laneFailing {
		g.failingUsed++
	}
	return l, time.Time{}
}

// spread returns a time at or after at, and after every time it returned for
// the endpoint before, by step: deferred deliveries come back in a line.
func (g *gate) spread(st *endpointState, at time.Time, step time.Duration) time.Time {
	if st.deferCursor.Before(at) {
		st.deferCursor = at
	} else {
		st.deferCursor = st.deferCursor.Add(max(step, time.Millisecond))
	}
	return st.deferCursor
}

// demote moves j, an attempt that has lasted SlowAfter in the healthy lane,
// to the failing lane if it has room, and reports whether it did: the
// healthy lane's place is then free (the caller gives it back), and the
// endpoint counts as failing until the attempt ends.
func (g *gate) demote(j *job) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if j.ended || j.lane != laneHealthy || g.failingUsed >= g.failingSlots {
		return false
	}
	st := g.state(j.task.Endpoint.ID, g.now())
	j.lane, j.demoted = laneFailing, true
	g.failingUsed++
	st.slow++
	return true
}

// cancel gives back an admission whose attempt was not made.
func (g *gate) cancel(id string, l lane, ep *hookline.Endpoint) {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.eps[id]
	if st == nil {
		return
	}
	st.inflight--
	if l == laneFailing {
		g.failingUsed--
	}
	if rate := throttle(ep); rate > 0 {
		st.tat = st.tat.Add(-time.Second / time.Duration(rate))
	}
}

// done records the end of j's attempt, and returns the lane it ended in.
// failed says whether it counts against the endpoint's health: no answer, a
// timeout, a 5xx or a 429.
func (g *gate) done(j *job, failed bool, took time.Duration) lane {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	j.ended = true
	st := g.state(j.task.Endpoint.ID, now)
	st.inflight--
	if j.lane == laneFailing {
		g.failingUsed--
	}
	if j.demoted {
		st.slow--
	}
	l := j.lane
	if st.latency == 0 {
		st.latency = took
	} else {
		st.latency = (7*st.latency + took) / 8
	}
	if !failed {
		st.failures, st.openUntil, st.cooldown = 0, time.Time{}, 0
		return l
	}
	st.failures++
	if st.failures >= g.breakAfter {
		// Open, or open again after a failed probe, for longer each time.
		st.cooldown = min(max(2*st.cooldown, g.minCooldown), g.maxCooldown)
		jitter := time.Duration(rand.Int64N(int64(st.cooldown)/5 + 1))
		st.openUntil = now.Add(st.cooldown + jitter)
	}
	return l
}

// throttle returns ep's throttleRate in messages per second, 0 for none.
func throttle(ep *hookline.Endpoint) int {
	if ep.ThrottleRate == nil || *ep.ThrottleRate <= 0 {
		return 0
	}
	return *ep.ThrottleRate
}
