package bench

import (
	"context"
	"time"
)

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
