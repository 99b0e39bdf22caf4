package dispatch

import (
	"context"
	"time"

	"github.com/hookline/hookline"
)

// Actions runs the operator's actions, which ingest endpoints name
// (action:NAME) in place of a URL. The action package implements it; it
// is the only place that starts processes.
type Actions interface {
	// Acquire takes a place among the action's concurrent runs, and reports
	// false when all are taken: the delivery then waits in the store, not
	// in memory. It reports true for a name it does not define (Run then
	// says so).
	Acquire(name string) (release func(), ok bool)
	// Run runs the action for t until it exits or its own timeout, and
	// returns its output (capped) and whether it exited with status 0; or,
	// when it could not run, why.
	Run(ctx context.Context, name string, t *hookline.Task) (output string, ok bool)
}

// ActionBusyRetry is how long a delivery to an action whose every place is
// taken waits in the store before it is claimed again.
const ActionBusyRetry = time.Second

// actionBusy is the outcome of a delivery to an action that runs as often
// as it may at once: not attempted, due again in ActionBusyRetry.
func (d *Dispatcher) actionBusy(t *hookline.Task) hookline.Outcome {
	return hookline.Outcome{
		DeliveryID: t.Delivery.ID, Status: hookline.StatusPending, Attempts: t.Delivery.Attempts,
		NextAttemptAt: d.now().Add(ActionBusyRetry), Deferred: true,
	}
}

// runAction runs the action name for t, as an attempt.
func (d *Dispatcher) runAction(ctx context.Context, name string, t *hookline.Task) response {
	if d.cfg.Actions == nil {
		return response{action: true, body: "not run: this server defines no actions (--actions)"}
	}
	out, ok := d.cfg.Actions.Run(ctx, name, t)
	return response{action: true, ran: ok, body: out}
}
