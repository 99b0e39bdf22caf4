// Package dispatch delivers messages. A Dispatcher claims due deliveries from
// the store in batches under a lease, POSTs each to its endpoint, signed per
// Standard Webhooks, and writes the outcomes back in batches. It never holds
// the queue in memory: what it has claimed and not finished goes back to the
// queue when its lease expires, so a crash loses nothing.
package dispatch

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/telemetry"
)

// Config configures a Dispatcher. Only Store is required.
type Config struct {
	// Store is the queue the dispatcher claims from. When it is also a
	// hookline.Feeder, it feeds new deliveries straight to the dispatcher.
	Store hookline.Queue
	// Client sends the requests. Default: egress.New with Timeout,
	// which refuses private and loopback networks.
	Client *egress.Client
	Logger *slog.Logger
	// Owner names this dispatcher in leases. Default: host, pid and a random part.
	Owner string
	// Workers is the number of attempts in flight at once to healthy
	// endpoints. Default 64.
	Workers int
	// EndpointConcurrency caps the attempts in flight to one healthy
	// endpoint. Default 16.
	EndpointConcurrency int
	// SignatureHeaders says which headers carry each delivery's id,
	// timestamp and signature: the Standard Webhooks webhook-* ones
	// (HeadersWebhook, the default), svix-server's svix-* ones (HeadersSvix),
	// or both (HeadersBoth).
	SignatureHeaders Headers
	// HostConcurrency caps the attempts in flight to one host (the host
	// and port of endpoint URLs), over all the endpoints that point there,
	// whatever their application: many endpoints to one URL cannot take
	// every worker, nor flood the host. What is over the cap waits in
	// the store. Default: half of Workers, at least EndpointConcurrency;
	// negative: no cap.
	HostConcurrency int
	// FailingWorkers is the number of attempts in flight at once to
	// endpoints whose last attempt failed, one per endpoint, apart from
	// Workers: endpoints that time out cannot slow the healthy ones.
	// Default 128.
	FailingWorkers int
	// BreakerFailures is the number of consecutive failed attempts (no
	// answer, a 5xx or a 429) after which an endpoint's circuit breaker
	// opens (two attempts in a row that hung, timed out or outlasted
	// SlowAfter, open it too): its deliveries wait in the store for BreakerCooldown,
	// then one probe is sent; each failed probe doubles the wait, up to
	// BreakerMaxCooldown. Defaults 5, 30 s and 10 min.
	BreakerFailures    int
	BreakerCooldown    time.Duration
	BreakerMaxCooldown time.Duration
	// DisableAfter disables an endpoint whose attempts have all failed for
	// this long (Store.MarkFailing keeps the time across restarts and
	// nodes), with an endpoint.disabled event. Default 5 days; negative:
	// never.
	DisableAfter time.Duration
	// Notifier, when set, is sent the operational events of deliveries:
	// message.attempt.failing, .exhausted and .recovered, and
	// endpoint.disabled when the dispatcher disables an endpoint.
	Notifier hookline.Notifier
	// SlowAfter is how long an attempt may hold its place among the
	// healthy endpoints' Workers; then it moves to the failing lane, and its
	// endpoint counts as failing until it ends. Default 5 s.
	SlowAfter time.Duration
	// ClaimBatch bounds the deliveries claimed in one query. Default 128.
	ClaimBatch int
	// Timeout bounds one attempt. Default 15 s.
	Timeout time.Duration
	// Lease is how long a claim lasts before another dispatcher may take the
	// delivery. Default 2×Timeout + 30 s. It must exceed Timeout.
	Lease time.Duration
	// Schedule is the delay before each retry: nil means DefaultSchedule,
	// an empty (non-nil) schedule no retry at all.
	Schedule []time.Duration
	// Jitter moves each retry delay randomly by up to ±Jitter of itself.
	// Default 0.2; a negative value disables jitter.
	Jitter float64
	// MaxResponseBytes caps the response body kept in an attempt. Default 16 KiB.
	MaxResponseBytes int
	// DrainTimeout bounds how long Run waits for attempts in flight once its
	// context is done. Default Timeout + 5 s.
	DrainTimeout time.Duration
	// OutcomeLinger is how long the outcome writer may wait for more
	// outcomes when it holds fewer than lingerBelow, so that a store that
	// pays a round trip and a commit per Complete pays them for several.
	// No outcome waits longer than this after its attempt. Default 0:
	// outcomes are written at once (the SQLite store gathers them itself).
	OutcomeLinger time.Duration

	// Actions, when set, runs the operator's actions that ingest endpoints
	// name (action:NAME) instead of POSTing to them. nil: such a delivery
	// fails.
	Actions Actions

	// Metrics, when set, registers the dispatcher's metrics on it:
	// hookline_attempts_total, hookline_attempt_duration_seconds,
	// hookline_delivery_latency_seconds, hookline_endpoints_disabled_total
	// and hookline_circuit_breakers_open.
	Metrics prometheus.Registerer
	// Tracing, when set, traces each attempt, as a child of the span that
	// accepted its message (Message.TraceParent) when there was one.
	Tracing trace.TracerProvider
	// PropagateTrace sends each attempt's trace context to the endpoint in
	// a W3C traceparent header (with Tracing only).
	PropagateTrace bool
}

// Headers says which headers carry a delivery's id, timestamp and
// signature.
type Headers string

// The values of Headers. Both sets of headers carry the same values: the
// svix-* names are svix-server's, for receivers that read them directly.
const (
	HeadersWebhook Headers = "webhook"
	HeadersSvix    Headers = "svix"
	HeadersBoth    Headers = "both"
)

// ParseHeaders reads a Headers from its name; "" is HeadersWebhook.
func ParseHeaders(s string) (Headers, error) {
	switch h := Headers(s); h {
	case "":
		return HeadersWebhook, nil
	case HeadersWebhook, HeadersSvix, HeadersBoth:
		return h, nil
	}
	return "", fmt.Errorf("%q is not webhook, svix or both", s)
}

// Dispatcher delivers due messages. Make one with New and call Run.
type Dispatcher struct {
	cfg    Config
	store  hookline.Queue
	client *egress.Client
	log    *slog.Logger
	// inflight counts the tasks claimed or fed and not yet done, and the
	// room reserved for tasks on their way; it never exceeds Workers, so
	// that sending a task to the workers never blocks.
	inflight atomic.Int64
	freed    chan struct{}
	// caughtUp is set while the last claim found fewer due deliveries than
	// it asked for: only then does the store feed new deliveries straight
	// to the workers, so that they never overtake older due ones.
	caughtUp atomic.Bool
	gate     *gate
	now      func() time.Time
	tel      *telemetry.Deliveries

	failingMu sync.Mutex
	failingOf map[string]failingState // by endpoint id
}

// job is a task on its way to a worker, with the lane it holds a place in.
// The gate's mutex guards lane, demoted and ended once the job is sent.
type job struct {
	task    *hookline.Task
	lane    lane
	demoted bool // moved to the failing lane for outlasting SlowAfter
	ended   bool
	// era is the breaker era of its endpoint when it was admitted (see
	// endpointState.era); probe says it was the probe of a half-open
	// breaker.
	era   uint64
	probe bool
	// host is the host the attempt counts against (gate.perHost).
	host string
}

// New returns a Dispatcher with cfg's defaults filled in.
func New(cfg Config) *Dispatcher {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.Client == nil {
		// A Config with no proxy and no certificate cannot fail.
		cfg.Client, _ = egress.New(egress.Config{Timeout: cfg.Timeout})
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		cfg.Owner = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hookline.NewID("")[10:])
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 64
	}
	if cfg.EndpointConcurrency <= 0 {
		cfg.EndpointConcurrency = 16
	}
	switch {
	case cfg.HostConcurrency == 0:
		cfg.HostConcurrency = max(cfg.Workers/2, cfg.EndpointConcurrency)
	case cfg.HostConcurrency < 0:
		cfg.HostConcurrency = 0 // the gate's "no bound"
	}
	if cfg.FailingWorkers <= 0 {
		cfg.FailingWorkers = 128
	}
	if cfg.BreakerFailures <= 0 {
		cfg.BreakerFailures = 5
	}
	if cfg.BreakerCooldown <= 0 {
		cfg.BreakerCooldown = 30 * time.Second
	}
	if cfg.DisableAfter == 0 {
		cfg.DisableAfter = 5 * 24 * time.Hour
	}
	if cfg.SlowAfter <= 0 {
		cfg.SlowAfter = 5 * time.Second
	}
	if cfg.BreakerMaxCooldown < cfg.BreakerCooldown {
		cfg.BreakerMaxCooldown = max(10*time.Minute, cfg.BreakerCooldown)
	}
	if cfg.ClaimBatch <= 0 {
		cfg.ClaimBatch = 128
	}
	if cfg.Lease <= cfg.Timeout {
		cfg.Lease = 2*cfg.Timeout + 30*time.Second
	}
	if cfg.Schedule == nil {
		cfg.Schedule = DefaultSchedule
	}
	if cfg.Jitter == 0 {
		cfg.Jitter = 0.2
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = 16 << 10
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = cfg.Timeout + 5*time.Second
	}
	d := &Dispatcher{
		cfg:    cfg,
		store:  cfg.Store,
		client: cfg.Client,
		log:    cfg.Logger,
		freed:  make(chan struct{}, 1),
		now:    time.Now,

		failingOf: make(map[string]failingState),
	}
	d.gate = newGate(cfg, func() time.Time { return d.now() })
	d.tel = telemetry.NewDeliveries(telemetry.DeliveriesConfig{
		Metrics: cfg.Metrics, Tracing: cfg.Tracing, PropagateTrace: cfg.PropagateTrace, OpenBreakers: d.gate.openBreakers,
	})
	return d
}

// Owner returns the name this dispatcher leases deliveries under.
func (d *Dispatcher) Owner() string { return d.cfg.Owner }

// InFlight returns how many deliveries the dispatcher holds now: claimed
// or fed to it, and not yet done. Once Run's context is done, these are the
// attempts it waits for (up to DrainTimeout).
func (d *Dispatcher) InFlight() int { return int(d.inflight.Load()) }

// Run delivers until ctx is done. Then it stops claiming, lets the attempts
// in flight finish (up to DrainTimeout), writes their outcomes, releases
// every lease it still holds, and returns.
func (d *Dispatcher) Run(ctx context.Context) error {
	// Each lane bounds its jobs (see reserve and gate): the healthy lane
	// Workers, the failing lane FailingWorkers and, beyond, the attempts
	// demoted from the healthy lane (at most Workers). So no job waits for a
	// worker, and neither channel fills up.
	slots := 2*d.cfg.Workers + d.cfg.FailingWorkers
	work := make(chan *job, slots)
	results := make(chan hookline.Outcome, slots)
	// Attempts outlive ctx by up to DrainTimeout.
	attemptCtx, cancelAttempts := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelAttempts()

	var workers sync.WaitGroup
	for range slots {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for j := range work {
				// j, then the deliveries that waited for its endpoint's
				// cap, one after the other.
				for j != nil {
					j = d.run(ctx, attemptCtx, j, results)
				}
			}
		}()
	}
	completed := make(chan struct{})
	go func() {
		defer close(completed)
		d.completeLoop(results)
	}()

	feeder, _ := d.store.(hookline.Feeder)
	f := &feed{d: d, work: work, results: results}
	if feeder != nil {
		feeder.SetFeed(f)
	}

	d.claimLoop(ctx, work, results)

	if feeder != nil {
		feeder.SetFeed(nil)
	}
	f.close()
	close(work)
	drained := make(chan struct{})
	go func() { workers.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(d.cfg.DrainTimeout):
		d.log.Warn("dispatch: drain timeout, cancelling attempts in flight")
		cancelAttempts()
		<-drained
	}
	f.pending.Wait()
	close(results)
	<-completed

	releaseCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := d.store.Release(releaseCtx, d.cfg.Owner); err != nil {
		return fmt.Errorf("dispatch: release leases: %w", err)
	}
	return nil
}

// reserve takes room for up to n tasks and returns how much it took.
func (d *Dispatcher) reserve(n int) int {
	for {
		cur := d.inflight.Load()
		take := min(int64(n), int64(d.cfg.Workers)-cur)
		if take <= 0 {
			return 0
		}
		if d.inflight.CompareAndSwap(cur, cur+take) {
			return int(take)
		}
	}
}

// unreserve gives back room for n tasks and wakes the claim loop.
func (d *Dispatcher) unreserve(n int) {
	if n <= 0 {
		return
	}
	d.inflight.Add(int64(-n))
	select {
	case d.freed <- struct{}{}:
	default:
	}
}
