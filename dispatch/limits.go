package dispatch

import (
	"math/rand/v2"
	"net"
	"net/url"
	"strings"
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
	// laneFailing holds the attempts to endpoints that hung lately (no
	// answer within the timeout, or slower than SlowAfter), and the probes of
	// half-open breakers: FailingWorkers at once, a quarter of the
	// per-endpoint cap each, so that such endpoints never take the healthy
	// ones' workers.
	laneFailing
	// laneWaiting: a claimed delivery whose endpoint is at its concurrency
	// cap waits, in its place in the healthy lane, for one of the
	// endpoint's attempts to end.
	laneWaiting
)

// gate decides, in this process's memory, which deliveries may be attempted
// now: it enforces each endpoint's throttleRate and concurrency cap, each
// application's throttleRate (over all its endpoints), and runs a circuit
// breaker per endpoint. What it refuses is deferred in the store, with the
// time at which to try again, never held in memory.
type gate struct {
	mu   sync.Mutex
	eps  map[string]*endpointState
	apps map[string]*appState // only throttled applications
	now  func() time.Time

	perEndpoint   int            // attempts in flight to one healthy endpoint
	perHost       int            // attempts in flight to one host, over all endpoints; 0: no bound
	hosts         map[string]int // attempts in flight by host
	failingSlots  int            // attempts in flight to failing endpoints, in all
	failingUsed   int            //
	breakAfter    int            // consecutive failures that open the breaker
	slowAfter     time.Duration  // see Config.SlowAfter
	minCooldown   time.Duration  // the first time the breaker is open
	maxCooldown   time.Duration  // the longest it stays open
	lastSweep     time.Time
	sweepInterval time.Duration
}

// endpointState is what the gate knows of one endpoint.
type endpointState struct {
	inflight int
	// failures counts the consecutive failed attempts; timeouts those of
	// them that got no answer in time (or took longer than SlowAfter).
	failures, timeouts int
	// openUntil is when the open breaker lets a probe through; zero while
	// the breaker is closed. cooldown is how long it opened for last.
	openUntil time.Time
	cooldown  time.Duration
	// era counts the breaker's openings and resets. An attempt admitted in
	// an earlier era (in flight when the breaker opened, or before the
	// endpoint changed) says nothing of the endpoint now: its failure is
	// not counted.
	era uint64
	// changed is the latest UpdatedAt of the endpoint the gate has seen;
	// an endpoint changed since (a new URL, enabled again...) gets a fresh
	// breaker.
	changed time.Time
	// host is the host and port of the endpoint's URL, as of changed.
	host string
	// rate limits the endpoint to its throttleRate.
	rate rateLimiter
	// slow counts the attempts in flight that outlasted SlowAfter and moved
	// to the failing lane; while there are any, the endpoint is treated as
	// failing.
	slow int
	// waiting are the claimed deliveries waiting for the concurrency cap;
	// each holds a place in the healthy lane, so there are never more than
	// Workers in all.
	waiting []*job
	// latency is a moving average of the endpoint's attempt durations.
	latency  time.Duration
	lastUsed time.Time
}

// appState is what the gate knows of a throttled application.
type appState struct {
	rate     rateLimiter
	lastUsed time.Time
}

// rateLimiter is the state of a GCRA rate limiter: a burst of rateBurst's
// worth of attempts, then one an interval.
type rateLimiter struct {
	// tat is the theoretical arrival time: an attempt may start at
	// tat - rateBurst + interval.
	tat time.Time
	// deferCursor spreads the deliveries the gate defers, so that they come
	// back one after the other instead of all at once.
	deferCursor time.Time
}

// allows reports whether an attempt at rate per second may start at now
// without passing deliveries deferred before it.
func (r *rateLimiter) allows(now time.Time, rate int) bool {
	return !r.deferCursor.After(now) && !now.Before(r.allowAt(rate))
}

// allowAt returns when the next attempt at rate per second may start.
func (r *rateLimiter) allowAt(rate int) time.Time {
	return r.tat.Add(-rateBurst + time.Second/time.Duration(rate))
}

// take counts an attempt starting at now.
func (r *rateLimiter) take(now time.Time, rate int) {
	r.tat = later(r.tat, now).Add(time.Second / time.Duration(rate))
}

// give takes back an attempt counted by take that was not made.
func (r *rateLimiter) give(rate int) {
	r.tat = r.tat.Add(-time.Second / time.Duration(rate))
}

// spread returns a time at or after at, and after every time it returned
// before, by the interval of rate: deferred deliveries come back in a line.
func (r *rateLimiter) spread(at time.Time, rate int) time.Time {
	if r.deferCursor.Before(at) {
		r.deferCursor = at
	} else {
		r.deferCursor = r.deferCursor.Add(max(time.Second/time.Duration(rate), time.Millisecond))
	}
	return r.deferCursor
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// hungBreakAfter is the number of consecutive hung attempts that open an
// endpoint's breaker.
const hungBreakAfter = 2

// rateBurst is how far ahead of its rate an endpoint may get attempts: a
// second's worth, throttleRate attempts at once.
const rateBurst = time.Second

func newGate(cfg Config, now func() time.Time) *gate {
	return &gate{
		eps:           make(map[string]*endpointState),
		hosts:         make(map[string]int),
		perHost:       cfg.HostConcurrency,
		apps:          make(map[string]*appState),
		now:           now,
		perEndpoint:   cfg.EndpointConcurrency,
		failingSlots:  cfg.FailingWorkers,
		breakAfter:    cfg.BreakerFailures,
		slowAfter:     cfg.SlowAfter,
		minCooldown:   cfg.BreakerCooldown,
		maxCooldown:   cfg.BreakerMaxCooldown,
		sweepInterval: 10 * time.Minute,
	}
}

// state returns ep's state, made when absent. The caller holds g.mu.
func (g *gate) state(id string, now time.Time) *endpointState {
	st := entry(g.eps, id)
	st.lastUsed = now
	if now.Sub(g.lastSweep) > g.sweepInterval {
		g.sweep(now)
	}
	return st
}

// app returns the state of the throttled application id, made when absent.
// The caller holds g.mu.
func (g *gate) app(id string, now time.Time) *appState {
	a := entry(g.apps, id)
	a.lastUsed = now
	return a
}

// entry returns m[id], a new zero value stored there when absent.
func entry[T any](m map[string]*T, id string) *T {
	v := m[id]
	if v == nil {
		v = new(T)
		m[id] = v
	}
	return v
}

// sweep forgets endpoints that are idle, healthy and unthrottled, and
// applications that are idle, so that the maps do not grow with every
// endpoint and application ever seen.
func (g *gate) sweep(now time.Time) {
	g.lastSweep = now
	for id, st := range g.eps {
		if st.inflight == 0 && len(st.waiting) == 0 && st.failures == 0 && st.openUntil.IsZero() && now.Sub(st.lastUsed) > g.sweepInterval && now.After(st.rate.tat) {
			delete(g.eps, id)
		}
	}
	for id, a := range g.apps {
		if now.Sub(a.lastUsed) > g.sweepInterval && now.After(a.rate.tat) {
			delete(g.apps, id)
		}
	}
}

// admit decides whether the attempt of j may start now; j holds a place in
// the healthy lane. It returns the lane the attempt took a place in; or
// laneWaiting when j was queued behind the endpoint's attempts in flight; or
// laneNone and when to try again.
func (g *gate) admit(j *job) (lane, time.Time) {
	ep := &j.task.Endpoint
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.state(ep.ID, now)
	if ep.UpdatedAt.After(st.changed) || st.changed.IsZero() {
		if !st.changed.IsZero() {
			// Attempts to what the endpoint was belong to the era before.
			st.close()
			st.era++
		}
		st.changed, st.host = ep.UpdatedAt, hostOf(ep.URL)
	}

	l := laneHealthy
	halfOpen := false
	if !st.openUntil.IsZero() {
		if now.Before(st.openUntil) {
			// Open: back when it lets a probe through, spread over a tenth
			// of the cooldown.
			return laneNone, st.openUntil.Add(randDuration(st.cooldown / 10))
		}
		halfOpen = true
	}
	if halfOpen || st.timeouts > 0 || st.slow > 0 {
		// Its attempts may hold a place for as long as the timeout: the
		// failing lane, a quarter of the per-endpoint cap (one probe when
		// half open).
		l = laneFailing
		limit := max(1, g.perEndpoint/4)
		if halfOpen {
			limit = 1
		}
		if st.inflight >= limit || g.failingUsed >= g.failingSlots {
			// Its attempts in flight may hang until their timeout: come back
			// after about as long as one has hung, at least SlowAfter.
			wait := max(st.latency, g.slowAfter)
			return laneNone, now.Add(wait + randDuration(wait))
		}
	} else if st.inflight >= g.perEndpoint {
		st.waiting = append(st.waiting, j)
		return laneWaiting, time.Time{}
	}
	if g.perHost > 0 && g.hosts[st.host] >= g.perHost {
		// The host's other endpoints hold its places: come back after
		// about as long as an attempt to this one takes.
		wait := max(st.latency, hostRetry)
		return laneNone, now.Add(wait + randDuration(wait))
	}

	// A burst of rate attempts, then one an interval, per endpoint and per
	// application. Deliveries deferred for a rate come back in a line
	// (feedable keeps new ones from jumping it).
	epRate, appRate := throttle(ep), appThrottle(j.task)
	if epRate > 0 {
		if at := st.rate.allowAt(epRate); now.Before(at) {
			return laneNone, st.rate.spread(at, epRate)
		}
	}
	if appRate > 0 {
		a := g.app(j.task.Delivery.AppID, now)
		if at := a.rate.allowAt(appRate); now.Before(at) {
			return laneNone, a.rate.spread(at, appRate)
		}
		a.rate.take(now, appRate)
	}
	if epRate > 0 {
		st.rate.take(now, epRate)
	}

	st.inflight++
	if l == laneFailing {
		g.failingUsed++
	}
	g.hosts[st.host]++
	j.era, j.probe, j.host = st.era, halfOpen, st.host
	return l, time.Time{}
}

// close closes the breaker and forgets the failures.
func (st *endpointState) close() {
	st.failures, st.timeouts, st.openUntil, st.cooldown = 0, 0, time.Time{}, 0
}

// open opens the breaker for cooldown, plus up to a fifth of it so that
// endpoints that failed together do not all come back at once; attempts in
// flight belong to the era before.
func (st *endpointState) open(now time.Time, cooldown time.Duration) {
	st.cooldown = cooldown
	st.openUntil = now.Add(cooldown + randDuration(cooldown/5))
	st.era++
}

// feedable reports whether t, a new delivery, may be fed to the workers:
// its endpoint's breaker is closed, the endpoint has not hung lately, and
// neither the endpoint nor the application is throttled beyond its rate.
// It takes nothing: the delivery is admitted when handed over.
func (g *gate) feedable(t *hookline.Task) bool {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if rate := appThrottle(t); rate > 0 {
		if a := g.apps[t.Delivery.AppID]; a != nil && !a.rate.allows(now, rate) {
			return false
		}
	}
	st := g.eps[t.Endpoint.ID]
	if st == nil {
		return true
	}
	if !st.openUntil.IsZero() || st.timeouts > 0 || st.slow > 0 {
		return false
	}
	if rate := throttle(&t.Endpoint); rate > 0 && !st.rate.allows(now, rate) {
		return false
	}
	return true
}

// demote moves j, an attempt that has lasted SlowAfter in the healthy lane,
// to the failing lane, and reports whether it did: the healthy lane's place
// is then free (the caller gives it back), and the endpoint counts as failing
// until the attempt ends. The failing lane takes it even when full: it then
// admits nothing new until it is below its size again (Run has workers for
// both lanes full and every healthy place demoted).
func (g *gate) demote(j *job) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if j.ended || j.lane != laneHealthy {
		return false
	}
	st := g.state(j.task.Endpoint.ID, g.now())
	j.lane, j.demoted = laneFailing, true
	g.failingUsed++
	st.slow++
	return true
}

// pop returns the next delivery waiting for endpoint id's cap, or nil.
func (g *gate) pop(id string) *job {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.eps[id]
	if st == nil || len(st.waiting) == 0 {
		return nil
	}
	next := st.waiting[0]
	st.waiting[0] = nil
	st.waiting = st.waiting[1:]
	return next
}

// cancel gives back the admission of j, whose attempt was not made.
func (g *gate) cancel(j *job) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if rate := appThrottle(j.task); rate > 0 {
		if a := g.apps[j.task.Delivery.AppID]; a != nil {
			a.rate.give(rate)
		}
	}
	g.leaveHost(j.host)
	st := g.eps[j.task.Endpoint.ID]
	if st == nil {
		return
	}
	st.inflight--
	if j.lane == laneFailing {
		g.failingUsed--
	}
	if rate := throttle(&j.task.Endpoint); rate > 0 {
		st.rate.give(rate)
	}
}

// health is what an attempt says of its endpoint.
type health int

const (
	answered health = iota // 2xx, 3xx or 4xx but 429: up, whatever it thinks of the message
	failed                 // a 5xx, a 429, or a connection refused: down, but quick about it
	hung                   // no answer within the timeout, or after SlowAfter
)

// breakerChange is what the end of an attempt did to its endpoint's
// circuit breaker.
type breakerChange int

const (
	breakerSame   breakerChange = iota
	breakerOpened               // it was closed and opened
	breakerClosed               // it was open (or half open) and closed
)

// done records the end of j's attempt, and returns the lane it ended in;
// when a delivery was waiting for the endpoint's cap, that one, which the
// caller admits (it holds a place in the healthy lane); and what the
// attempt did to the endpoint's breaker, with when an open breaker lets a
// probe through.
func (g *gate) done(j *job, h health, took time.Duration) (lane, *job, breakerChange, time.Time) {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	j.ended = true
	g.leaveHost(j.host)
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
	var next *job
	if len(st.waiting) > 0 {
		next = st.waiting[0]
		st.waiting[0] = nil
		st.waiting = st.waiting[1:]
	}
	if h == answered {
		change := breakerSame
		if !st.openUntil.IsZero() {
			change = breakerClosed
		}
		st.close()
		return l, next, change, time.Time{}
	}
	if j.era != st.era {
		// Admitted before the breaker last opened, or before the endpoint
		// changed: the failures that opened it said this already.
		return l, next, breakerSame, time.Time{}
	}
	st.failures++
	if h == hung {
		st.timeouts++
	} else {
		st.timeouts = 0
	}
	change := breakerSame
	switch {
	case j.probe:
		// The probe of a half-open breaker failed: open again, for twice
		// as long, up to the longest.
		st.open(now, min(2*st.cooldown, g.maxCooldown))
	case st.openUntil.IsZero() && (st.failures >= g.breakAfter || st.timeouts >= hungBreakAfter):
		// Hung attempts cost a worker for the whole timeout: two in a row
		// open the breaker, where quick failures take breakAfter.
		change = breakerOpened
		st.open(now, g.minCooldown)
	}
	return l, next, change, st.openUntil
}

// openBreakers counts the endpoints whose breaker is open: their
// deliveries are deferred until it lets a probe through. A half-open
// breaker, whose probe may be in flight, is not counted.
func (g *gate) openBreakers() int {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, st := range g.eps {
		if now.Before(st.openUntil) {
			n++
		}
	}
	return n
}

// hostRetry is the least a delivery deferred for its host's bound waits.
const hostRetry = 50 * time.Millisecond

// leaveHost counts the end of an attempt to host. The caller holds g.mu.
func (g *gate) leaveHost(host string) {
	if g.hosts[host]--; g.hosts[host] <= 0 {
		delete(g.hosts, host)
	}
}

// hostOf returns the host and port of an endpoint's URL (the scheme's
// port when it names none), in lower case: the server that attempts to any
// of its paths land on, as the URL spells it. Another spelling of the same
// server (an IP address for a name, another name) is another host: the
// address connected to is known only once an attempt has started.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return strings.ToLower(net.JoinHostPort(u.Hostname(), port))
}

// randDuration returns a random duration in [0, d).
func randDuration(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(d)))
}

// throttle returns ep's throttleRate in messages per second, 0 for none.
func throttle(ep *hookline.Endpoint) int {
	if ep.ThrottleRate == nil || *ep.ThrottleRate <= 0 {
		return 0
	}
	return *ep.ThrottleRate
}

// appThrottle returns the throttleRate of t's application in messages per
// second, 0 for none.
func appThrottle(t *hookline.Task) int {
	if t.AppThrottleRate == nil || *t.AppThrottleRate <= 0 {
		return 0
	}
	return *t.AppThrottleRate
}
