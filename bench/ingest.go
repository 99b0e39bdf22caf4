package bench

import (
	"context"
	"fmt"
)

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
