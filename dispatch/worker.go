package dispatch

import (
	"context"
	"time"

	"github.com/hookline/hookline"
)

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
	if _, action := hookline.ActionName(j.task.Endpoint.URL); took >= d.cfg.SlowAfter && !action {
		h = hung
	}
	l, next, breaker, until := d.gate.done(j, h, took)
	d.logBreaker(j.task, &o.Attempt, breaker, until)
	if !o.Deferred {
		d.track(j.task, &o)
	}
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
