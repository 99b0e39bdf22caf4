package bench

import (
	"context"
	"fmt"
)

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
