package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// deadReceiver accepts connections and requests on 127.0.0.1 and never
// answers them: every attempt to it ends in the server's timeout.
type deadReceiver struct {
	srv      *http.Server
	url      string
	requests atomic.Int64
	stop     chan struct{}
}

func startDeadReceiver() (*deadReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &deadReceiver{url: "http://" + ln.Addr().String(), stop: make(chan struct{})}
	d.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.requests.Add(1)
		select {
		case <-r.Context().Done():
		case <-d.stop:
		}
	})}
	go d.srv.Serve(ln)
	return d, nil
}

func (d *deadReceiver) close() {
	close(d.stop)
	d.srv.Close()
}

// isolation measures the throughput and latency of one healthy endpoint
// while DeadEndpoints endpoints of another application, which never answer,
// get DeadRate messages a second: a broken tenant must not slow the others.
func (r *runner) isolation(ctx context.Context) *Result {
	t, err := r.open(ctx, false)
	if err != nil {
		return failed(Isolation, err)
	}
	defer t.close(r)
	dead, err := startDeadReceiver()
	if err != nil {
		return failed(Isolation, err)
	}
	defer dead.close()

	deadApp, err := t.api.createApp(ctx, "hookline bench dead endpoints")
	if err != nil {
		return failed(Isolation, err)
	}
	defer r.teardown(t, deadApp)
	for i := range r.opts.DeadEndpoints {
		if _, err := t.api.createEndpoint(ctx, deadApp, fmt.Sprintf("%s/dead/%d", dead.url, i), r.secret); err != nil {
			return failed(Isolation, fmt.Errorf("creating dead endpoint %d: %w", i, err))
		}
	}
	n := r.opts.Messages
	tr := newTracker(n, 1, r.verifier, r.opts.VerifyEvery)
	run := r.recv.track(tr)
	defer r.recv.untrack(run)
	app, err := r.setup(ctx, t, Isolation, run, 1)
	defer r.teardown(t, app)
	if err != nil {
		return failed(Isolation, err)
	}

	// The dead load, from now until the healthy messages are delivered.
	deadCtx, stopDead := context.WithCancel(ctx)
	defer stopDead()
	deadN := int(r.opts.DeadRate * (r.opts.DeadWarmup.Seconds() + 3600))
	deadPub := publish(deadCtx, deadN, 4, r.opts.PayloadSize, r.opts.DeadRate, t.api.messageSender(deadApp))
	start := time.Now()
	r.progressf(start, Isolation, "warming up: %d dead endpoints get %.0f messages/s for %s", r.opts.DeadEndpoints, r.opts.DeadRate, r.opts.DeadWarmup)
	select {
	case <-ctx.Done():
		return failed(Isolation, ctx.Err())
	case <-time.After(r.opts.DeadWarmup):
	}

	var before usage
	if t.child != nil {
		before = t.child.usage()
	}
	p := publish(ctx, n, r.opts.Publishers, r.opts.PayloadSize, 0, t.api.messageSender(app))
	r.awaitDeliveries(ctx, Isolation, tr, p)
	res := deliveryResult(Isolation, tr, p, 0)
	if t.child != nil {
		res.Server = serverUsage(before, t.child.usage(), res.Received)
	}
	stopDead()
	res.Notes = append(res.Notes,
		fmt.Sprintf("%d endpoints that never answer (15 s timeouts) got %d messages at %.0f/s from %s before and during the run; they hold %d requests",
			r.opts.DeadEndpoints, deadPub.accepted.Load(), r.opts.DeadRate, r.opts.DeadWarmup, dead.requests.Load()),
		"rate and latency: the healthy endpoint's, to compare with the throughput scenario's")
	if _, err := t.stop(); err != nil {
		res.Notes = append(res.Notes, err.Error())
	}
	return res
}
