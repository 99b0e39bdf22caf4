package dispatch

import (
	"sync"
	"time"

	"github.com/hookline/hookline"
)

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
