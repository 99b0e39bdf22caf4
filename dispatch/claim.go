package dispatch

import (
	"context"
	"time"

	"github.com/hookline/hookline"
)

// maxIdleWait bounds a sleep with nothing due, so that leases that expire
// without a signal are noticed.
const maxIdleWait = time.Minute

// claimLoop claims due deliveries for the workers while ctx lasts: as many
// as there is room for, again at once when a claim filled its batch, else
// once the store signals new ones, room frees up, or the next one is due.
// A failed claim is retried after a growing pause.
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
				select {
				case <-ctx.Done():
				case <-time.After(wait):
				}
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
