// Package bench measures Hookline end to end, as 'hookline bench' does: it
// publishes messages through the HTTP API like any client, receives the
// deliveries on its own net/http receiver on 127.0.0.1, and reports
// throughput, latency, server memory and CPU, next to a bare net/http
// baseline measured in the same run on the same receiver.
//
// The server is either a 'hookline serve' child process the benchmark
// starts on a temporary SQLite store (one per scenario, so that scenarios do
// not disturb each other), whose RSS and CPU time it reads from /proc, or an
// existing server given by URL and token.
//
// A message is lost when the API accepted it (202) and its delivery never
// arrived, no arrival having come for Options.LostWait after publishing
// finished. A Report with a lost message, a bad signature, a wrong
// webhook-id or a refused publish is not OK.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookline/hookline/signature"
)

// Scenario names, in the order Run runs them.
const (
	Throughput = "throughput"
	Latency    = "latency"
	Ingest     = "ingest"
	Backlog    = "backlog"
	Fanout     = "fanout"
	Isolation  = "isolation"
)

// Scenarios lists every scenario, in the order Run runs them.
var Scenarios = []string{Throughput, Latency, Ingest, Backlog, Fanout, Isolation}

// Options configures a run. Zero fields take the defaults of the issue's
// scenarios (see DefaultOptions).
type Options struct {
	// Scenarios to run; empty means all. The baseline always runs first.
	Scenarios []string

	// ServerURL, when set, targets an existing server (with Token, an admin
	// API token) instead of starting one. That server must allow deliveries
	// to 127.0.0.1 (--allow-network 127.0.0.0/8). The ingest and backlog
	// scenarios need a server the benchmark starts and are skipped.
	ServerURL string
	Token     string
	// ServerCommand is the hookline binary to start as 'serve' (with any
	// arguments that come before "serve"). Default: this executable.
	ServerCommand []string
	// ServeFlags are added to the 'serve' command line (e.g. --workers=128).
	ServeFlags []string
	// TempDir holds the temporary stores. Default: os.TempDir().
	TempDir string
	// Postgres, when set, is the URL of a PostgreSQL database the started
	// servers keep their stores in instead of SQLite: a new schema per
	// scenario, dropped afterwards.
	Postgres string

	PayloadSize int // bytes of each payload; default 1024

	Messages   int // throughput: messages; default 50,000
	Publishers int // throughput, latency, backlog and the baseline: concurrent publishers; default 32

	BaselineMessages int // default Messages

	LatencyRate     float64       // latency: messages per second; default 1,000
	LatencyDuration time.Duration // latency: how long; default 30 s

	IngestMessages   int // ingest: messages; default 50,000
	IngestPublishers int // ingest: concurrent publishers; default 64

	BacklogMessages int // backlog: messages waiting before delivery starts; default 1,000,000

	FanoutEndpoints int // fanout: endpoints that get the one message; default 1,000

	// Isolation: DeadEndpoints that never answer get DeadRate messages a
	// second (each to all of them) from DeadWarmup before the healthy
	// endpoint's Messages are published, and until they are delivered.
	// Defaults 100, 10/s and 20 s.
	DeadEndpoints int
	DeadRate      float64
	DeadWarmup    time.Duration

	// VerifyEvery checks the signature of one request in VerifyEvery; 1
	// checks all. Default 10.
	VerifyEvery int
	// LostWait is how long the benchmark waits, after publishing finished,
	// for a delivery to arrive before it calls the missing ones lost.
	// Default 60 s.
	LostWait time.Duration

	// Progress, when not nil, gets a line a second on long runs.
	Progress io.Writer
	// ServerLog, when not nil, gets what the child servers log.
	ServerLog io.Writer
}

// DefaultOptions returns the options of the scenarios.
func DefaultOptions() Options {
	return Options{
		Scenarios:        slices.Clone(Scenarios),
		PayloadSize:      1024,
		Messages:         50_000,
		Publishers:       32,
		LatencyRate:      1000,
		LatencyDuration:  30 * time.Second,
		IngestMessages:   50_000,
		IngestPublishers: 64,
		BacklogMessages:  1_000_000,
		FanoutEndpoints:  1000,
		DeadEndpoints:    100,
		DeadRate:         10,
		DeadWarmup:       20 * time.Second,
		VerifyEvery:      10,
		LostWait:         60 * time.Second,
	}
}

func (o *Options) fill() error {
	d := DefaultOptions()
	if len(o.Scenarios) == 0 {
		o.Scenarios = d.Scenarios
	}
	for _, s := range o.Scenarios {
		if !slices.Contains(Scenarios, s) {
			return fmt.Errorf("bench: unknown scenario %q (want %s or all)", s, strings.Join(Scenarios, ", "))
		}
	}
	setInt := func(p *int, def int) {
		if *p <= 0 {
			*p = def
		}
	}
	setInt(&o.PayloadSize, d.PayloadSize)
	setInt(&o.Messages, d.Messages)
	setInt(&o.Publishers, d.Publishers)
	setInt(&o.BaselineMessages, o.Messages)
	setInt(&o.IngestMessages, d.IngestMessages)
	setInt(&o.IngestPublishers, d.IngestPublishers)
	setInt(&o.BacklogMessages, d.BacklogMessages)
	setInt(&o.FanoutEndpoints, d.FanoutEndpoints)
	setInt(&o.DeadEndpoints, d.DeadEndpoints)
	if o.DeadRate <= 0 {
		o.DeadRate = d.DeadRate
	}
	if o.DeadWarmup < 0 {
		o.DeadWarmup = 0
	} else if o.DeadWarmup == 0 {
		o.DeadWarmup = d.DeadWarmup
	}
	setInt(&o.VerifyEvery, d.VerifyEvery)
	if o.LatencyRate <= 0 {
		o.LatencyRate = d.LatencyRate
	}
	if o.LatencyDuration <= 0 {
		o.LatencyDuration = d.LatencyDuration
	}
	if o.LostWait <= 0 {
		o.LostWait = d.LostWait
	}
	if o.ServerURL != "" {
		o.ServerURL = strings.TrimRight(o.ServerURL, "/")
		if o.Token == "" {
			return errors.New("bench: a server URL needs a token")
		}
	} else if len(o.ServerCommand) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("bench: finding the hookline binary: %w", err)
		}
		o.ServerCommand = []string{exe}
	}
	return nil
}

// Report is the outcome of a run.
type Report struct {
	Started  time.Time `json:"started"`
	Machine  Machine   `json:"machine"`
	Server   string    `json:"server"` // what was measured
	Settings Settings  `json:"settings"`
	// Baseline is a bare net/http client POSTing the same payloads with the
	// same concurrency straight to the same receiver.
	Baseline *Result   `json:"baseline"`
	Results  []*Result `json:"results"`

	// Stray counts deliveries that came for no running scenario (late
	// retries or duplicates of a finished one); not an error.
	Stray         int  `json:"stray"`
	Lost          int  `json:"lost"`
	BadSignatures int  `json:"badSignatures"`
	Failures      int  `json:"failures"` // wrong ids, unreadable deliveries, refused publishes, scenarios that failed
	OK            bool `json:"ok"`
}

// Settings are the sizes a run used.
type Settings struct {
	PayloadSize      int     `json:"payloadSize"`
	Messages         int     `json:"messages"`
	Publishers       int     `json:"publishers"`
	BaselineMessages int     `json:"baselineMessages"`
	LatencyRate      float64 `json:"latencyRate"`
	LatencySeconds   float64 `json:"latencySeconds"`
	IngestMessages   int     `json:"ingestMessages"`
	IngestPublishers int     `json:"ingestPublishers"`
	BacklogMessages  int     `json:"backlogMessages"`
	FanoutEndpoints  int     `json:"fanoutEndpoints"`
	VerifyEvery      int     `json:"verifyEvery"`
	ServeFlags       string  `json:"serveFlags,omitempty"`
}

// Result is the outcome of one scenario.
type Result struct {
	Scenario string `json:"scenario"`
	// Messages is the number of messages the API accepted (sent, for the
	// baseline); Deliveries the deliveries expected from them (messages ×
	// endpoints; 0 for ingest, which delivers nothing).
	Messages   int `json:"messages"`
	Deliveries int `json:"deliveries"`
	Received   int `json:"received"` // distinct deliveries that arrived
	Lost       int `json:"lost"`     // expected deliveries that never arrived
	Duplicates int `json:"duplicates"`

	WrongIDs          int    `json:"wrongIds"`          // arrived with a webhook-id other than the API's message id
	Corrupt           int    `json:"corrupt"`           // deliveries whose body the receiver could not read
	SignaturesChecked int    `json:"signaturesChecked"` // sampled, one in VerifyEvery
	BadSignatures     int    `json:"badSignatures"`
	PublishErrors     int    `json:"publishErrors"`
	FirstError        string `json:"firstError,omitempty"`

	// Seconds is the measured time: first publish to last arrival for the
	// delivery scenarios, first publish to last 202 for ingest, server
	// restart to last arrival for backlog.
	Seconds float64 `json:"seconds"`
	// Rate is Received (Messages for ingest) per second of Seconds.
	Rate     float64 `json:"rate"`
	RateUnit string  `json:"rateUnit"`
	// OfBaseline is Rate as a fraction of the baseline's.
	OfBaseline float64 `json:"ofBaseline,omitempty"`
	// PublishRate is how fast the API accepted the messages, per second.
	PublishRate float64 `json:"publishRate,omitempty"`

	Latency *Percentiles `json:"latency,omitempty"`
	Server  *ServerUsage `json:"server,omitempty"`
	Targets []Check      `json:"targets,omitempty"`
	Notes   []string     `json:"notes,omitempty"`
	Error   string       `json:"error,omitempty"` // the scenario could not run to its end
	Skipped string       `json:"skipped,omitempty"`
}

// Percentiles of a latency, in milliseconds.
type Percentiles struct {
	// What is measured: "publish → first arrival" (the publish time is
	// carried in the payload), or "API answer" for ingest.
	What string  `json:"what"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

// ServerUsage is the resource use of a server the benchmark started.
type ServerUsage struct {
	PeakRSSMiB float64 `json:"peakRssMiB"` // the highest VmRSS sampled every 100 ms
	HWMMiB     float64 `json:"hwmMiB"`     // VmHWM, the kernel's peak RSS of the process
	CPUSeconds float64 `json:"cpuSeconds"` // user + system, during the measurement
	// CPUPerOp is CPUSeconds per delivery (per accepted message for
	// ingest), in microseconds.
	CPUPerOp float64 `json:"cpuMicrosPerOp"`
}

// Check is a target of the issue and whether this run met it.
type Check struct {
	Target string `json:"target"`
	Got    string `json:"got"`
	Met    bool   `json:"met"`
}

// failed says whether r makes the run fail.
func (r *Result) failures() int {
	n := r.WrongIDs + r.Corrupt + r.PublishErrors
	if r.Error != "" {
		n++
	}
	return n
}

// Run runs the scenarios of opts and reports. It returns an error when the
// run could not be made at all (no receiver, no baseline) or ctx ended; a
// scenario that fails records its error in its Result and the run goes on.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	recv, err := startReceiver()
	if err != nil {
		return nil, fmt.Errorf("bench: start the receiver: %w", err)
	}
	defer recv.close()
	key := make([]byte, 32)
	rand.Read(key)
	secret := "whsec_" + base64.StdEncoding.EncodeToString(key)
	verifier, err := signature.NewStandard(secret)
	if err != nil {
		return nil, err
	}
	conns := max(opts.Publishers, opts.IngestPublishers, 8) + 16
	r := &runner{
		opts: opts, recv: recv, secret: secret, verifier: verifier,
		api: newHTTPClient(conns), bare: newHTTPClient(conns),
	}
	defer r.api.CloseIdleConnections()
	defer r.bare.CloseIdleConnections()

	rep := &Report{
		Started: time.Now().UTC(),
		Machine: machine(),
		Settings: Settings{
			PayloadSize: opts.PayloadSize, Messages: opts.Messages, Publishers: opts.Publishers,
			BaselineMessages: opts.BaselineMessages, LatencyRate: opts.LatencyRate,
			LatencySeconds: opts.LatencyDuration.Seconds(), IngestMessages: opts.IngestMessages,
			IngestPublishers: opts.IngestPublishers, BacklogMessages: opts.BacklogMessages,
			FanoutEndpoints: opts.FanoutEndpoints, VerifyEvery: opts.VerifyEvery,
			ServeFlags: strings.Join(opts.ServeFlags, " "),
		},
	}
	if opts.ServerURL != "" {
		rep.Server = opts.ServerURL
	} else {
		rep.Server = "child: " + strings.Join(opts.ServerCommand, " ") + " serve (SQLite in a temporary directory, a new store per scenario)"
		if opts.Postgres != "" {
			rep.Server = "child: " + strings.Join(opts.ServerCommand, " ") + " serve (PostgreSQL, a new schema per scenario)"
		}
		if len(opts.ServeFlags) > 0 {
			rep.Server += " with " + strings.Join(opts.ServeFlags, " ")
		}
	}

	rep.Baseline = r.baseline(ctx)
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	if rep.Baseline.Error != "" {
		return rep, fmt.Errorf("bench: baseline: %s", rep.Baseline.Error)
	}
	for _, name := range Scenarios {
		if !slices.Contains(opts.Scenarios, name) {
			continue
		}
		var res *Result
		switch name {
		case Throughput:
			res = r.throughput(ctx)
		case Latency:
			res = r.latency(ctx)
		case Ingest:
			res = r.ingest(ctx)
		case Backlog:
			res = r.backlog(ctx)
		case Fanout:
			res = r.fanout(ctx)
		case Isolation:
			res = r.isolation(ctx)
		}
		rep.Results = append(rep.Results, res)
		if err := ctx.Err(); err != nil {
			rep.summarise()
			return rep, err
		}
	}
	rep.Stray = int(recv.stray.Load())
	rep.summarise()
	return rep, nil
}

func (rep *Report) summarise() {
	rep.Lost, rep.BadSignatures, rep.Failures = 0, 0, 0
	var thr *Result
	for _, res := range append([]*Result{rep.Baseline}, rep.Results...) {
		if res == nil {
			continue
		}
		rep.Lost += res.Lost
		rep.BadSignatures += res.BadSignatures
		rep.Failures += res.failures()
		if res != rep.Baseline && res.RateUnit != "" && res.Scenario != Latency && rep.Baseline != nil && rep.Baseline.Rate > 0 {
			res.OfBaseline = res.Rate / rep.Baseline.Rate
		}
		if res.Scenario == Throughput && res.Error == "" {
			thr = res
		}
	}
	for _, res := range rep.Results {
		res.Targets = targets(res, thr)
	}
	rep.OK = rep.Lost == 0 && rep.BadSignatures == 0 && rep.Failures == 0
}

// targets compares a result with the targets.
func targets(r, throughput *Result) []Check {
	if r.Error != "" || r.Skipped != "" {
		return nil
	}
	var c []Check
	add := func(target, got string, met bool) { c = append(c, Check{target, got, met}) }
	switch r.Scenario {
	case Throughput:
		add("≥ 50 % of the baseline", fmt.Sprintf("%.1f %%", 100*r.OfBaseline), r.OfBaseline >= 0.5)
		if r.Server != nil {
			add("server CPU ≤ 100 µs per delivery", fmt.Sprintf("%.0f µs", r.Server.CPUPerOp), r.Server.CPUPerOp <= 100)
			add("server RSS ≤ 150 MiB", fmt.Sprintf("%.0f MiB", r.Server.PeakRSSMiB), r.Server.PeakRSSMiB <= 150)
		}
	case Latency:
		if r.Latency != nil {
			add("p50 ≤ 3 ms", fmt.Sprintf("%.2f ms", r.Latency.P50), r.Latency.P50 <= 3)
			add("p99 ≤ 20 ms", fmt.Sprintf("%.2f ms", r.Latency.P99), r.Latency.P99 <= 20)
		}
	case Ingest:
		add("≥ 15,000 accepted/s", fmt.Sprintf("%.0f/s", r.Rate), r.Rate >= 15000)
	case Backlog:
		if throughput != nil && throughput.Rate > 0 {
			add("drain ≥ 80 % of throughput", fmt.Sprintf("%.1f %%", 100*r.Rate/throughput.Rate), r.Rate >= 0.8*throughput.Rate)
		}
		if r.Server != nil {
			add("server RSS ≤ 256 MiB", fmt.Sprintf("%.0f MiB", r.Server.PeakRSSMiB), r.Server.PeakRSSMiB <= 256)
		}
	case Fanout:
		add("all delivered within 1 s", fmt.Sprintf("%.3f s", r.Seconds), r.Lost == 0 && r.Seconds <= 1)
	case Isolation:
		if throughput != nil && throughput.Rate > 0 {
			add("healthy endpoint ≥ 80 % of its solo throughput", fmt.Sprintf("%.1f %%", 100*r.Rate/throughput.Rate),
				r.Rate >= 0.8*throughput.Rate)
		}
	}
	return c
}

// runner holds what the scenarios of a run share.
type runner struct {
	opts     Options
	recv     *receiver
	secret   string
	verifier *signature.Standard
	api      *http.Client // to the server's API
	bare     *http.Client // the baseline's
}

// target is the server a scenario measures.
type target struct {
	api    *apiClient
	child  *child // nil for an external server
	dir    string // the temporary store's directory
	schema string // on PostgreSQL: the temporary store's schema
	token  string
}

// db returns the --db of t's server: a file in t's directory, or a URL of
// t's schema.
func (r *runner) db(t *target) string {
	if t.schema == "" {
		return t.dir + string(os.PathSeparator) + "bench.db"
	}
	return withSearchPath(r.opts.Postgres, t.schema)
}

// open starts a server on a new temporary store (or returns the external
// one) and waits until it is healthy.
func (r *runner) open(ctx context.Context, noDispatch bool) (*target, error) {
	if r.opts.ServerURL != "" {
		t := &target{api: &apiClient{base: r.opts.ServerURL, token: r.opts.Token, hc: r.api}}
		hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return t, t.api.health(hctx)
	}
	dir, err := os.MkdirTemp(r.opts.TempDir, "hookline-bench-")
	if err != nil {
		return nil, err
	}
	t := &target{dir: dir, token: newToken()}
	if r.opts.Postgres != "" {
		if t.schema, err = createSchema(ctx, r.opts.Postgres); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if err := r.restart(ctx, t, noDispatch); err != nil {
		t.close(r)
		return nil, err
	}
	return t, nil
}

// restart starts a child server on t's store (after open or stop).
func (r *runner) restart(ctx context.Context, t *target, noDispatch bool) error {
	c, err := startChild(ctx, r.opts.ServerCommand, r.db(t), t.token, noDispatch, r.opts.ServeFlags, r.opts.ServerLog)
	if err != nil {
		return err
	}
	t.child = c
	t.api = &apiClient{base: "http://" + c.addr, token: t.token, hc: r.api}
	hctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := t.api.health(hctx); err != nil {
		c.kill()
		return fmt.Errorf("%w\n%s", err, c.logs)
	}
	return nil
}

// stop stops the child server, if any, and returns its usage.
func (t *target) stop() (usage, error) {
	if t.child == nil {
		return usage{}, nil
	}
	u, err := t.child.stop(time.Minute)
	t.child = nil
	return u, err
}

// close stops the server and removes its store.
func (t *target) close(r *runner) error {
	_, err := t.stop()
	if t.dir != "" {
		os.RemoveAll(t.dir)
	}
	if t.schema != "" {
		if derr := dropSchema(r.opts.Postgres, t.schema); err == nil {
			err = derr
		}
	}
	return err
}

func newToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return "hk_bench_" + base64.RawURLEncoding.EncodeToString(b)
}

// setup creates an application named for the scenario with n endpoints,
// endpoint i at the receiver's URL for (run, i), all with the run's secret.
func (r *runner) setup(ctx context.Context, t *target, name string, run, n int) (string, error) {
	app, err := t.api.createApp(ctx, "hookline bench "+name)
	if err != nil {
		return "", err
	}
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	for range min(n, 8) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if _, err := t.api.createEndpoint(ctx, app, r.recv.endpointURL(run, i), r.secret); err != nil {
					errOnce.Do(func() { first = fmt.Errorf("creating endpoint %d: %w", i, err) })
					return
				}
			}
		}()
	}
	wg.Wait()
	return app, first
}

// teardown deletes the scenario's application on an external server (a
// started one is thrown away with its store).
func (r *runner) teardown(t *target, app string) {
	if t.child != nil || t.dir != "" || app == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t.api.deleteApp(ctx, app)
}

// progressf prints a progress line, when progress is wanted.
func (r *runner) progressf(start time.Time, name, format string, args ...any) {
	if r.opts.Progress == nil {
		return
	}
	fmt.Fprintf(r.opts.Progress, "bench: %-10s %6.1fs  %s\n", name, time.Since(start).Seconds(), fmt.Sprintf(format, args...))
}

// awaitPublished waits until p is done, showing progress.
func (r *runner) awaitPublished(ctx context.Context, name string, p *publication) {
	start := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-ctx.Done():
			<-p.done // publishers stop with ctx
			return
		case <-tick.C:
			r.progressf(start, name, "accepted %d/%d", p.accepted.Load(), p.n)
		}
	}
}

// awaitDeliveries waits until every delivery of the accepted messages of p
// arrived at tr, or none arrived for LostWait after publishing finished
// (or after since, when later), or ctx ended.
func (r *runner) awaitDeliveries(ctx context.Context, name string, tr *tracker, p *publication) {
	start := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	poll := time.NewTicker(5 * time.Millisecond)
	defer poll.Stop()
	var lastRecv int64 = -1
	lastChange := time.Now()
	published := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			r.progressf(start, name, "delivered %d/%d  accepted %d/%d", tr.received.Load(), int(p.accepted.Load())*tr.eps, p.accepted.Load(), p.n)
			continue
		case <-poll.C:
		}
		if got := tr.received.Load(); got != lastRecv {
			lastRecv, lastChange = got, time.Now()
		}
		if !published {
			if !p.finished() {
				continue
			}
			published, lastChange = true, time.Now()
		}
		if tr.received.Load() >= p.accepted.Load()*int64(tr.eps) {
			if s := tr.scan(p.ids, false); s.lost == 0 {
				return
			}
		}
		if time.Since(lastChange) > r.opts.LostWait {
			return
		}
	}
}

// deliveryResult fills a result from what tr saw of p's messages.
func deliveryResult(name string, tr *tracker, p *publication, from int64) *Result {
	s := tr.scan(p.ids, true)
	res := &Result{
		Scenario: name, Messages: int(p.accepted.Load()), Deliveries: s.expected, Received: s.arrived,
		Lost: s.lost, Duplicates: int(tr.duplicates.Load()), WrongIDs: s.wrongID, Corrupt: int(tr.corrupt.Load()),
		SignaturesChecked: int(tr.checked.Load()), BadSignatures: int(tr.badSig.Load()),
		PublishErrors: int(p.failed.Load()), FirstError: p.err(), RateUnit: "deliveries/s",
	}
	if e := tr.badSigErr.Load(); e != nil && res.FirstError == "" {
		res.FirstError = "bad signature: " + *e
	}
	if from == 0 {
		from = p.firstStart.Load()
	}
	if s.lastArrival > from && from > 0 {
		res.Seconds = float64(s.lastArrival-from) / 1e9
		res.Rate = float64(s.arrived) / res.Seconds
	}
	if d := p.lastDone.Load() - p.firstStart.Load(); d > 0 && p.accepted.Load() > 1 {
		res.PublishRate = float64(p.accepted.Load()) / (float64(d) / 1e9)
	}
	res.Latency = latencyOf("publish → first arrival", s.latencies)
	if res.Lost > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d deliveries never arrived (no arrival for the lost-wait after publishing ended)", res.Lost))
	}
	return res
}

// latencyOf returns the percentiles of ns durations (nearest rank), or nil.
func latencyOf(what string, ns []int64) *Percentiles {
	if len(ns) == 0 {
		return nil
	}
	slices.Sort(ns)
	at := func(p float64) float64 {
		i := int(p*float64(len(ns))+0.999999) - 1
		i = min(max(i, 0), len(ns)-1)
		return float64(ns[i]) / 1e6
	}
	return &Percentiles{What: what, P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: float64(ns[len(ns)-1]) / 1e6}
}

// serverUsage turns the usage of a child between two readings into the
// result's figures, ops being what the CPU time is divided by.
func serverUsage(before, after usage, ops int) *ServerUsage {
	cpu := after.CPU - before.CPU
	u := &ServerUsage{
		PeakRSSMiB: float64(max(after.PeakRSS, before.PeakRSS)) / (1 << 20),
		HWMMiB:     float64(max(after.HWM, before.HWM)) / (1 << 20),
		CPUSeconds: cpu.Seconds(),
	}
	if ops > 0 {
		u.CPUPerOp = float64(cpu.Microseconds()) / float64(ops)
	}
	return u
}

func failed(name string, err error) *Result {
	return &Result{Scenario: name, Error: err.Error()}
}

// baseline POSTs the throughput scenario's payloads with its concurrency
// straight to the receiver with a plain net/http client.
func (r *runner) baseline(ctx context.Context) *Result {
	n := r.opts.BaselineMessages
	tr := newTracker(n, 1, nil, 0)
	run := r.recv.track(tr)
	defer r.recv.untrack(run)
	p := publish(ctx, n, r.opts.Publishers, r.opts.PayloadSize, 0, bareSender(r.bare, r.recv.endpointURL(run, 0)))
	r.awaitDeliveries(ctx, "baseline", tr, p)
	res := deliveryResult("baseline", tr, p, 0)
	res.Notes = append(res.Notes, fmt.Sprintf("bare net/http: %d publishers POST the payloads straight to the receiver", r.opts.Publishers))
	return res
}

// deliver runs a delivery scenario on a server with dispatch: n messages
// to eps endpoints, from workers publishers, paced to rate when > 0.
func (r *runner) deliver(ctx context.Context, name string, n, eps, workers int, rate float64) *Result {
	t, err := r.open(ctx, false)
	if err != nil {
		return failed(name, err)
	}
	defer t.close(r)
	tr := newTracker(n, eps, r.verifier, r.opts.VerifyEvery)
	run := r.recv.track(tr)
	defer r.recv.untrack(run)
	app, err := r.setup(ctx, t, name, run, eps)
	defer r.teardown(t, app)
	if err != nil {
		return failed(name, err)
	}
	var before usage
	if t.child != nil {
		before = t.child.usage()
	}
	p := publish(ctx, n, workers, r.opts.PayloadSize, rate, t.api.messageSender(app))
	r.awaitDeliveries(ctx, name, tr, p)
	res := deliveryResult(name, tr, p, 0)
	if t.child != nil {
		res.Server = serverUsage(before, t.child.usage(), res.Received)
	}
	if _, err := t.stop(); err != nil {
		res.Notes = append(res.Notes, err.Error())
	}
	return res
}

func (r *runner) throughput(ctx context.Context) *Result {
	return r.deliver(ctx, Throughput, r.opts.Messages, 1, r.opts.Publishers, 0)
}

func (r *runner) latency(ctx context.Context) *Result {
	n := max(int(r.opts.LatencyRate*r.opts.LatencyDuration.Seconds()), 1)
	res := r.deliver(ctx, Latency, n, 1, r.opts.Publishers, r.opts.LatencyRate)
	if res.Error == "" {
		res.Notes = append(res.Notes, fmt.Sprintf("paced at %.0f messages/s for %s; published at %.0f/s", r.opts.LatencyRate, r.opts.LatencyDuration, res.PublishRate))
	}
	return res
}

func (r *runner) fanout(ctx context.Context) *Result {
	res := r.deliver(ctx, Fanout, 1, r.opts.FanoutEndpoints, 1, 0)
	if res.Error == "" {
		res.Notes = append(res.Notes, fmt.Sprintf("one message to %d endpoints; time from publish to the last arrival", r.opts.FanoutEndpoints))
	}
	return res
}

// ingest measures how fast the API accepts messages with dispatch off.
func (r *runner) ingest(ctx context.Context) *Result {
	if r.opts.ServerURL != "" {
		return &Result{Scenario: Ingest, Skipped: "needs a server the benchmark starts (with --no-dispatch)"}
	}
	t, err := r.open(ctx, true)
	if err != nil {
		return failed(Ingest, err)
	}
	defer t.close(r)
	// One endpoint, so that each message writes its delivery as in real use;
	// with dispatch off nothing is sent to it.
	app, err := r.setup(ctx, t, Ingest, 0, 1)
	if err != nil {
		return failed(Ingest, err)
	}
	before := t.child.usage()
	p := publish(ctx, r.opts.IngestMessages, r.opts.IngestPublishers, r.opts.PayloadSize, 0, t.api.messageSender(app))
	r.awaitPublished(ctx, Ingest, p)
	after := t.child.usage()
	res := &Result{
		Scenario: Ingest, Messages: int(p.accepted.Load()), PublishErrors: int(p.failed.Load()),
		FirstError: p.err(), RateUnit: "accepted/s",
	}
	if d := p.lastDone.Load() - p.firstStart.Load(); d > 0 {
		res.Seconds = float64(d) / 1e9
		res.Rate = float64(res.Messages) / res.Seconds
	}
	res.Latency = latencyOf("API answer (202)", acceptTimes(p))
	res.Server = serverUsage(before, after, res.Messages)
	res.Notes = append(res.Notes, fmt.Sprintf("serve --no-dispatch; %d publishers, one message per POST, one endpoint (one delivery row per message)", r.opts.IngestPublishers))
	if _, err := t.stop(); err != nil {
		res.Notes = append(res.Notes, err.Error())
	}
	return res
}

func acceptTimes(p *publication) []int64 {
	out := make([]int64, 0, p.accepted.Load())
	for i := range p.respTime {
		if p.ids[i].Load() != 0 {
			out = append(out, p.respTime[i].Load())
		}
	}
	return out
}

// backlog fills the store with a backlog while nothing is delivered (the
// server runs with --no-dispatch), stops it with SIGTERM, starts it again
// with dispatch on the same store and measures how fast the backlog drains.
// A disabled endpoint would not do: the store creates no delivery for a
// disabled endpoint, so enabling it later would deliver nothing.
func (r *runner) backlog(ctx context.Context) *Result {
	if r.opts.ServerURL != "" {
		return &Result{Scenario: Backlog, Skipped: "needs a server the benchmark starts (it restarts it)"}
	}
	n := r.opts.BacklogMessages
	t, err := r.open(ctx, true)
	if err != nil {
		return failed(Backlog, err)
	}
	defer t.close(r)
	tr := newTracker(n, 1, r.verifier, r.opts.VerifyEvery)
	run := r.recv.track(tr)
	defer r.recv.untrack(run)
	app, err := r.setup(ctx, t, Backlog, run, 1)
	if err != nil {
		return failed(Backlog, err)
	}
	p := publish(ctx, n, r.opts.Publishers, r.opts.PayloadSize, 0, t.api.messageSender(app))
	r.awaitPublished(ctx, Backlog, p)
	if ctx.Err() != nil {
		return failed(Backlog, ctx.Err())
	}
	filled, err := t.stop()
	if err != nil {
		return failed(Backlog, fmt.Errorf("stopping the server after filling the backlog: %w", err))
	}
	if tr.received.Load() > 0 {
		return failed(Backlog, fmt.Errorf("%d deliveries arrived while dispatch was off", tr.received.Load()))
	}
	restart := time.Now()
	if err := r.restart(ctx, t, false); err != nil {
		return failed(Backlog, fmt.Errorf("restarting the server with dispatch: %w", err))
	}
	r.awaitDeliveries(ctx, Backlog, tr, p)
	drained := t.child.usage()
	res := deliveryResult(Backlog, tr, p, restart.UnixNano())
	res.Latency = nil // every message waited for the restart: the age says nothing
	res.Server = serverUsage(usage{}, drained, res.Received)
	res.Server.PeakRSSMiB = float64(max(filled.PeakRSS, drained.PeakRSS)) / (1 << 20)
	res.Server.HWMMiB = float64(max(filled.HWM, drained.HWM)) / (1 << 20)
	res.Notes = append(res.Notes,
		fmt.Sprintf("filled with serve --no-dispatch at %.0f accepted/s (RSS peak %.0f MiB); SIGTERM; serve again with dispatch on the same store: drain measured from the restart (RSS peak %.0f MiB, CPU of the drain only)",
			res.PublishRate, float64(filled.PeakRSS)/(1<<20), float64(drained.PeakRSS)/(1<<20)))
	if _, err := t.stop(); err != nil {
		res.Notes = append(res.Notes, err.Error())
	}
	return res
}
