package bench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
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
		res := r.measure(ctx, name)
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

// runner holds what the scenarios of a run share.
type runner struct {
	opts     Options
	recv     *receiver
	secret   string
	verifier *signature.Standard
	api      *http.Client // to the server's API
	bare     *http.Client // the baseline's
}

// measure runs the scenario name and returns its result.
func (r *runner) measure(ctx context.Context, name string) *Result {
	scenarios := map[string]func(context.Context) *Result{
		Throughput: r.throughput, Latency: r.latency, Ingest: r.ingest,
		Backlog: r.backlog, Fanout: r.fanout, Isolation: r.isolation,
	}
	return scenarios[name](ctx)
}

// progressf prints a progress line, when progress is wanted.
func (r *runner) progressf(start time.Time, name, format string, args ...any) {
	if r.opts.Progress == nil {
		return
	}
	fmt.Fprintf(r.opts.Progress, "bench: %-10s %6.1fs  %s\n", name, time.Since(start).Seconds(), fmt.Sprintf(format, args...))
}
