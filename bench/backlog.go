package bench

import (
	"context"
	"fmt"
	"time"
)

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
