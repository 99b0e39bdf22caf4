package dispatch

import (
	"context"
	"time"

	"github.com/hookline/hookline"
)

// failingState is what the dispatcher knows of an endpoint's failing
// streak: since when, as the store recorded it (zero: not failing), and
// whether this process has told the store the endpoint works.
type failingState struct {
	since   time.Time
	cleared bool
}

// track records in the store whether t's endpoint works, disables it when
// it has been failing for longer than DisableAfter, and sends the
// operational events o calls for. It runs in the worker, before o is
// written: o.DisableEndpoint may be set.
func (d *Dispatcher) track(t *hookline.Task, o *hookline.Outcome) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ep := &t.Endpoint
	now := o.Attempt.CreatedAt
	if o.Attempt.Status == hookline.StatusSuccess {
		if fs := d.failing(ep.ID); !fs.cleared || !fs.since.IsZero() {
			if err := d.store.ClearFailing(ctx, ep.AppID, ep.ID); err != nil {
				d.log.Warn("dispatch: recording an endpoint's success", "endpoint", ep.ID, "err", err)
			} else {
				d.setFailing(ep.ID, failingState{cleared: true})
			}
		}
		if t.Delivery.Attempts >= hookline.FailingAfterAttempts {
			d.notify(ctx, hookline.AttemptEvent(hookline.EventMessageAttemptRecovered, t, &o.Attempt))
		}
		return
	}

	since := d.failing(ep.ID).since
	if since.IsZero() || (d.cfg.DisableAfter > 0 && now.Sub(since) >= d.cfg.DisableAfter) {
		// The first failure this process sees, or one that may disable the
		// endpoint: ask the store, which another node or an earlier run may
		// have told of a success, or of an earlier failure, since.
		got, err := d.store.MarkFailing(ctx, ep.AppID, ep.ID, now)
		if err != nil {
			d.log.Warn("dispatch: recording an endpoint's failure", "endpoint", ep.ID, "err", err)
		} else {
			since = got
			d.setFailing(ep.ID, failingState{since: got, cleared: true})
		}
	}
	disable := o.DisableEndpoint // 410 Gone
	if !disable && !since.IsZero() && d.cfg.DisableAfter > 0 && now.Sub(since) >= d.cfg.DisableAfter {
		o.DisableEndpoint, disable = true, true
		d.log.Info("dispatch: disabling an endpoint that has been failing since "+since.Format(time.RFC3339),
			"endpoint", ep.ID)
	}
	switch {
	case disable:
		var fs *time.Time
		if !since.IsZero() {
			fs = &since
		}
		d.notify(ctx, hookline.EndpointEvent(hookline.EventEndpointDisabled, ep, "automatic", fs))
	case o.Status == hookline.StatusFail:
		d.notify(ctx, hookline.AttemptEvent(hookline.EventMessageAttemptExhausted, t, &o.Attempt))
	case o.Attempts == hookline.FailingAfterAttempts:
		d.notify(ctx, hookline.AttemptEvent(hookline.EventMessageAttemptFailing, t, &o.Attempt))
	}
}

func (d *Dispatcher) notify(ctx context.Context, e hookline.OperationalEvent) {
	if d.cfg.Notifier != nil {
		d.cfg.Notifier.Notify(ctx, e)
	}
}

func (d *Dispatcher) failing(id string) failingState {
	d.failingMu.Lock()
	defer d.failingMu.Unlock()
	return d.failingOf[id]
}

func (d *Dispatcher) setFailing(id string, fs failingState) {
	d.failingMu.Lock()
	defer d.failingMu.Unlock()
	if fs.since.IsZero() && len(d.failingOf) > maxFailingStates {
		// Healthy endpoints need no entry but to spare a ClearFailing; a
		// map that grew with every endpoint ever seen is dropped.
		clear(d.failingOf)
	}
	d.failingOf[id] = fs
}

// maxFailingStates bounds the endpoints whose failing state is kept.
const maxFailingStates = 100_000
