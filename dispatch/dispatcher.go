// Package dispatch delivers messages. A Dispatcher claims due deliveries from
// the store in batches under a lease, POSTs each to its endpoint, signed per
// Standard Webhooks, and writes the outcomes back in batches. It never holds
// the queue in memory: what it has claimed and not finished goes back to the
// queue when its lease expires, so a crash loses nothing.
package dispatch

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/egress"
	"github.com/hookline/hookline/signature"
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
	// Schedule is the delay before each retry. Default DefaultSchedule.
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
	return d
}

// Owner returns the name this dispatcher leases deliveries under.
func (d *Dispatcher) Owner() string { return d.cfg.Owner }

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

// run makes j's attempt (unless ctx is done: then the delivery stays leased
// for Release), sends its outcome, and returns the job that was waiting for
// j's endpoint, if any, now admitted to this worker.
func (d *Dispatcher) run(ctx, attemptCtx context.Context, j *job, results chan<- hookline.Outcome) *job {
	if ctx.Err() != nil {
		d.gate.cancel(j)
		d.finished(j.lane)
		return nil
	}
	var slow *time.Timer
	if j.lane == laneHealthy {
		slow = time.AfterFunc(d.cfg.SlowAfter, func() {
			if d.gate.demote(j) {
				d.unreserve(1)
			}
		})
	}
	o, h := d.attempt(attemptCtx, j.task)
	if slow != nil {
		slow.Stop()
	}
	took := time.Duration(o.Attempt.DurationMS) * time.Millisecond
	if took >= d.cfg.SlowAfter {
		h = hung
	}
	l, next := d.gate.done(j, h, took)
	d.track(j.task, &o)
	results <- o
	d.finished(l)
	// The waiting deliveries: the first that may start is this worker's; those
	// the gate defers go to the store, and the next one is looked at.
	for next != nil {
		run, queued, deferred := d.route(next.task, next)
		if run != nil || queued {
			return run
		}
		results <- *deferred
		next = d.gate.pop(j.task.Endpoint.ID)
	}
	return nil
}

// route admits t, whose job j (nil: make one) holds a place in the healthy
// lane. It returns the job when its attempt may start now; queued when it
// waits for its endpoint's cap; otherwise the outcome that defers it in the
// store, for the caller to send.
func (d *Dispatcher) route(t *hookline.Task, j *job) (run *job, queued bool, deferred *hookline.Outcome) {
	if j == nil {
		j = &job{task: t}
	}
	l, retryAt := d.gate.admit(j)
	switch l {
	case laneHealthy:
		j.lane = l
		return j, false, nil
	case laneFailing:
		d.unreserve(1) // its place is in the failing lane
		j.lane = l
		return j, false, nil
	case laneWaiting:
		return nil, true, nil
	}
	d.unreserve(1)
	return nil, false, &hookline.Outcome{
		DeliveryID: t.Delivery.ID, Status: hookline.StatusPending, Attempts: t.Delivery.Attempts,
		NextAttemptAt: retryAt, Deferred: true,
	}
}

// finished marks a job of lane l finished: a healthy lane's place is free
// again, and the claim loop hears of it.
func (d *Dispatcher) finished(l lane) {
	if l == laneHealthy {
		d.unreserve(1)
	}
}

// admit routes a claimed task, which holds a place in the healthy lane, to a
// worker, to its endpoint's queue, or to the store, deferred.
func (d *Dispatcher) admit(t *hookline.Task, work chan<- *job, results chan<- hookline.Outcome) {
	j, _, deferred := d.route(t, nil)
	if j != nil {
		work <- j
	} else if deferred != nil {
		results <- *deferred
	}
}

// feed is the dispatcher's hookline.Feed: a Feeder store leases new
// deliveries to it while the dispatcher is caught up and the delivery's
// endpoint is healthy and within its limits.
type feed struct {
	d       *Dispatcher
	work    chan<- *job
	results chan<- hookline.Outcome
	pending sync.WaitGroup // deferred outcomes on their way to results
	mu      sync.Mutex
	closed  bool
}

func (f *feed) Owner() string        { return f.d.cfg.Owner }
func (f *feed) Lease() time.Duration { return f.d.cfg.Lease }

// Reserve takes a place in the healthy lane for t, if its endpoint is one a
// delivery may go to without delay but its cap (and neither the endpoint nor
// the application is at its rate): the fed delivery may wait, in its place,
// for the endpoint's next free attempt.
func (f *feed) Reserve(t *hookline.Task) bool {
	if !f.d.caughtUp.Load() || !f.d.gate.feedable(t) || f.d.reserve(1) == 0 {
		return false
	}
	return true
}

func (f *feed) Unreserve(*hookline.Task) { f.d.unreserve(1) }

// Deliver never blocks: each task had a place reserved in the healthy
// lane, so the work channel has room too; a task the gate defers after all
// (its endpoint failed meanwhile) is written back from another goroutine.
func (f *feed) Deliver(tasks []*hookline.Task) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range tasks {
		if f.closed {
			// Run is over: the task stays leased in the store, and Release
			// gives it back.
			f.d.unreserve(1)
			continue
		}
		j, _, deferred := f.d.route(t, nil)
		switch {
		case j != nil:
			f.work <- j
		case deferred != nil:
			f.pending.Add(1)
			go func() {
				defer f.pending.Done()
				f.results <- *deferred
			}()
		}
	}
}

// close makes later Deliver calls drop their tasks, so that the work channel
// can be closed.
func (f *feed) close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
}

// maxIdleWait bounds a sleep with nothing due, so that leases that expire
// without a signal are noticed.
const maxIdleWait = time.Minute

func (d *Dispatcher) claimLoop(ctx context.Context, work chan<- *job, results chan<- hookline.Outcome) {
	failures := 0
	for ctx.Err() == nil {
		n := d.reserve(d.cfg.ClaimBatch)
		saturated := n == 0
		if n > 0 {
			tasks, err := d.store.ClaimDue(ctx, d.cfg.Owner, d.now(), d.cfg.Lease, n)
			d.unreserve(n - len(tasks))
			if err != nil {
				d.caughtUp.Store(false)
				for _, t := range tasks {
					d.admit(t, work, results)
				}
				if ctx.Err() != nil {
					return
				}
				failures++
				wait := min(time.Duration(failures)*500*time.Millisecond, 10*time.Second)
				d.log.Error("dispatch: claim failed", "err", err, "retry_in", wait)
				sleep(ctx, wait)
				continue
			}
			failures = 0
			d.caughtUp.Store(len(tasks) < n)
			for _, t := range tasks {
				d.admit(t, work, results)
			}
			if len(tasks) == n {
				continue // there may be more due now
			}
		}

		var timer *time.Timer
		var fired <-chan time.Time
		if !saturated {
			wait := maxIdleWait
			next, ok, err := d.store.NextDue(ctx)
			if err != nil {
				wait = time.Second
			} else if ok {
				// A due time already past means deliveries are held for
				// reasons ClaimDue knows (a disabled endpoint): look again
				// later rather than spin.
				wait = min(max(next.Sub(d.now()), 10*time.Millisecond), maxIdleWait)
				if !next.After(d.now()) {
					wait = time.Second
				}
			}
			timer = time.NewTimer(wait)
			fired = timer.C
		}
		var freed <-chan struct{}
		if saturated {
			freed = d.freed
		}
		select {
		case <-ctx.Done():
		case <-d.store.Due():
		case <-freed:
		case <-fired:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// lingerBelow is the batch of outcomes for which the outcome writer stops
// waiting (see Config.OutcomeLinger).
const lingerBelow = 32

// completeLoop writes outcomes back in batches: whatever arrived while the
// previous batch was being written goes into the next one, and, with
// OutcomeLinger, what arrives soon after the first one of a small batch.
func (d *Dispatcher) completeLoop(results <-chan hookline.Outcome) {
	const maxBatch = 512
	batch := make([]hookline.Outcome, 0, maxBatch)
	var linger *time.Timer
	for o := range results {
		batch = append(batch[:0], o)
		batch = gather(results, batch, maxBatch, nil)
		if len(batch) < lingerBelow && d.cfg.OutcomeLinger > 0 {
			if linger == nil {
				linger = time.NewTimer(d.cfg.OutcomeLinger)
			} else {
				linger.Reset(d.cfg.OutcomeLinger)
			}
			batch = gather(results, batch, lingerBelow, linger.C)
			linger.Stop()
		}
		d.writeOutcomes(batch)
	}
}

// gather appends outcomes from results to batch until it holds n, results
// is closed, or, with a nil until, none is waiting; with until, until
// fires.
func gather(results <-chan hookline.Outcome, batch []hookline.Outcome, n int, until <-chan time.Time) []hookline.Outcome {
	for len(batch) < n {
		var o hookline.Outcome
		var ok bool
		if until == nil {
			select {
			case o, ok = <-results:
			default:
				return batch
			}
		} else {
			select {
			case o, ok = <-results:
			case <-until:
				return batch
			}
		}
		if !ok {
			return batch
		}
		batch = append(batch, o)
	}
	return batch
}

// writeOutcomes retries a failed write a few times. If it never succeeds the
// leases expire and the deliveries are attempted again: at least once, never
// lost.
func (d *Dispatcher) writeOutcomes(batch []hookline.Outcome) {
	for try := 1; ; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := d.store.Complete(ctx, d.cfg.Owner, batch)
		cancel()
		if err == nil {
			return
		}
		if try == 5 {
			d.log.Error("dispatch: giving up writing outcomes; their deliveries will be retried when the leases expire",
				"err", err, "outcomes", len(batch))
			return
		}
		d.log.Warn("dispatch: writing outcomes failed", "err", err, "try", try)
		time.Sleep(time.Duration(try) * 200 * time.Millisecond)
	}
}

// attempt makes one HTTP request for t and says what follows from it, and
// what it says of the endpoint's health.
func (d *Dispatcher) attempt(ctx context.Context, t *hookline.Task) (hookline.Outcome, health) {
	start := d.now()
	res := d.send(ctx, t, start)
	elapsed := d.now().Sub(start)

	a := hookline.Attempt{
		ID:         hookline.NewID(hookline.PrefixAttempt),
		AppID:      t.Delivery.AppID,
		MessageID:  t.Delivery.MessageID,
		EndpointID: t.Delivery.EndpointID,
		DeliveryID: t.Delivery.ID,
		URL:        hookline.RedactURL(t.Endpoint.URL),
		StatusCode: res.status,
		Response:   res.body,
		DurationMS: elapsed.Milliseconds(),
		Trigger:    t.Delivery.Trigger,
		CreatedAt:  start,
	}
	o := hookline.Outcome{DeliveryID: t.Delivery.ID, Attempts: t.Delivery.Attempts + 1}
	switch {
	case res.status >= 200 && res.status < 300:
		a.Status = hookline.StatusSuccess
		o.Status = hookline.StatusSuccess
	case res.status == http.StatusGone:
		a.Status = hookline.StatusFail
		o.Status = hookline.StatusFail
		o.DisableEndpoint = true
	default:
		a.Status = hookline.StatusFail
		if o.Attempts > len(d.cfg.Schedule) {
			o.Status = hookline.StatusFail
			break
		}
		delay := d.cfg.Schedule[o.Attempts-1]
		if d.cfg.Jitter > 0 {
			delay = jitter(delay, d.cfg.Jitter)
		}
		if res.status == http.StatusTooManyRequests || res.status == http.StatusServiceUnavailable {
			if ra, ok := retryAfter(res.retryAfter, start); ok {
				delay = ra
			}
		}
		o.Status = hookline.StatusPending
		o.NextAttemptAt = d.now().Add(delay)
	}
	o.Attempt = a
	d.log.Debug("dispatch: attempt", "msg", t.Message.ID, "endpoint", t.Endpoint.ID,
		"status", res.status, "duration", elapsed, "outcome", o.Status.String())
	h := answered
	switch {
	case res.timedOut:
		h = hung
	case res.status == 0 || res.status >= 500 || res.status == http.StatusTooManyRequests:
		h = failed
	}
	return o, h
}

type response struct {
	status     int    // 0: no response
	body       string // the response body, capped, or why there was none
	retryAfter string
	timedOut   bool // no response within the timeout
}

func (d *Dispatcher) send(ctx context.Context, t *hookline.Task, now time.Time) response {
	if t.Message.Payload == nil {
		return response{body: "not sent: the message payload was expunged"}
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.Endpoint.URL, bytes.NewReader(t.Message.Payload))
	if err != nil {
		return response{body: "not sent: invalid endpoint URL"}
	}
	h := req.Header
	for k, v := range t.Endpoint.Headers {
		h.Set(k, v)
	}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", hookline.UserAgent())
	h.Set(signature.HeaderID, t.Message.ID)
	h.Set(signature.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	sig, err := sign(&t.Endpoint, t.Message.ID, now, t.Message.Payload)
	if err != nil {
		return response{body: "not sent: " + err.Error()}
	}
	h.Set(signature.HeaderSignature, sig)

	resp, err := d.client.Do(req, endpointAuth(&t.Endpoint))
	if err != nil {
		var ne net.Error
		timedOut := errors.As(err, &ne) && ne.Timeout()
		return response{body: describeError(err, d.cfg.Timeout), timedOut: timedOut}
	}
	defer resp.Body.Close()
	r := response{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	if resp.ContentLength == 0 {
		return r // most receivers answer 204 or an empty 200: nothing to read
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, int64(d.cfg.MaxResponseBytes)))
	// Read a little more so the connection can be reused; give up on huge bodies.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	r.body = strings.ToValidUTF8(string(body), string(utf8.RuneError))
	return r
}

// sign returns the webhook-signature of a delivery to ep: one signature per
// secret ep signs with at now (the current one, and those rotated out less
// than their grace period ago), "v1" for HMAC and "v1a" for ed25519, space
// separated. Receivers accept the delivery when any one verifies.
func sign(ep *hookline.Endpoint, id string, now time.Time, body []byte) (string, error) {
	if len(ep.PreviousSecrets) == 0 && ep.SecretKind == hookline.SecretHMAC {
		return signature.SignV1(ep.Secret, id, now, body), nil // the common case, without a slice
	}
	var b strings.Builder
	for i, s := range ep.SigningSecrets(now) {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch s.Kind {
		case hookline.SecretHMAC:
			b.WriteString(signature.SignV1(s.Key, id, now, body))
		case hookline.SecretEd25519:
			if len(s.Key) != ed25519.PrivateKeySize {
				return "", errors.New("the endpoint's ed25519 signing key is not 64 bytes")
			}
			b.WriteString(signature.SignV1a(ed25519.PrivateKey(s.Key), id, now, body))
		default:
			return "", fmt.Errorf("the endpoint's signing secret is of an unknown kind %d", s.Kind)
		}
	}
	return b.String(), nil
}

// endpointAuth returns the TLS and OAuth 2.0 settings of ep's requests, or
// nil when it has none of its own (the client's defaults apply).
func endpointAuth(ep *hookline.Endpoint) *egress.EndpointAuth {
	if ep.MTLS == nil && ep.OAuth == nil {
		return nil
	}
	auth := &egress.EndpointAuth{}
	if m := ep.MTLS; m != nil {
		auth.ClientCert, auth.ClientKey, auth.CACerts = m.Certificate, m.Key, m.ServerCACerts
	}
	if o := ep.OAuth; o != nil {
		auth.OAuth2 = &egress.OAuth2Config{
			TokenURL: o.TokenURL, ClientID: o.ClientID, ClientSecret: o.ClientSecret, Scopes: o.Scopes,
			AuthMethod: o.AuthMethod, ExtraParams: o.ExtraParams, ExtraHeaders: o.ExtraHeaders,
		}
	}
	return auth
}

// describeError turns a failed request into a reason for the attempt log,
// without the URL (which may carry credentials).
func describeError(err error, timeout time.Duration) string {
	if reason, ok := egress.Refused(err); ok {
		return reason
	}
	var authErr *egress.AuthConfigError
	var tokenErr *egress.TokenError
	if errors.As(err, &authErr) {
		return "not sent: " + authErr.Error()
	}
	if errors.As(err, &tokenErr) {
		return "not sent: " + tokenErr.Error()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Sprintf("timeout: no response within %s", timeout)
		}
		err = ue.Err
	}
	return "connection error: " + err.Error()
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
