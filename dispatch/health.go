package dispatch

import (
	"context"
	"log/slog"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/telemetry"
)

// failingState is what the dispatcher knows of an endpoint's failing
// streak: since when, as the store recorded it (zero: not failing), and
// whether this process has told the store the endpoint works; and which
// version of the endpoint (its UpdatedAt) this process disabled, if any.
type failingState struct {
	since    time.Time
	cleared  bool
	disabled time.Time
}

// track records in the store whether t's endpoint works, disables it when
// it has been failing for longer than DisableAfter, and sends the
// operational events o calls for. It runs in the worker, before o is
// written: o.Disable may be set.
func (d *Dispatcher) track(t *hookline.Task, o *hookline.Outcome) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ep := &t.Endpoint
	now := o.Attempt.CreatedAt
	if o.Attempt.Status == hookline.StatusSuccess {
		if fs := d.failing(ep.ID); !fs.cleared || !fs.since.IsZero() {
			if err := d.store.ClearFailing(ctx, ep.AppID, ep.ID); err != nil {
				d.log.LogAttrs(ctx, slog.LevelWarn, "dispatch: recording an endpoint's success", append(ids(t), slog.Any("err", err))...)
			} else {
				d.setFailing(ep.ID, failingState{cleared: true})
			}
		}
		if t.Delivery.Attempts >= hookline.FailingAfterAttempts {
			d.notify(ctx, hookline.AttemptEvent(hookline.EventMessageAttemptRecovered, t, &o.Attempt))
		}
		return
	}

	// A manual attempt's failure ends no schedule and counts nothing
	// towards disabling the endpoint (Trigger.Retries); 410 Gone still
	// disables it.
	scheduled := t.Delivery.Trigger.Retries()
	since := d.failing(ep.ID).since
	if scheduled && (since.IsZero() || (d.cfg.DisableAfter > 0 && now.Sub(since) >= d.cfg.DisableAfter)) {
		// The first failure this process sees, or one that may disable the
		// endpoint: ask the store, which another node or an earlier run may
		// have told of a success, or of an earlier failure, since.
		got, err := d.store.MarkFailing(ctx, ep.AppID, ep.ID, now)
		if err != nil {
			d.log.LogAttrs(ctx, slog.LevelWarn, "dispatch: recording an endpoint's failure", append(ids(t), slog.Any("err", err))...)
		} else {
			since = got
			d.updateFailing(ep.ID, func(fs *failingState) { fs.since, fs.cleared = got, true })
		}
	}
	disable, why := o.Disable == hookline.DisabledGone, telemetry.Gone
	if !disable && scheduled && !since.IsZero() && d.cfg.DisableAfter > 0 && now.Sub(since) >= d.cfg.DisableAfter {
		o.Disable, disable, why = hookline.DisabledFailing, true, telemetry.Failing
	}
	switch {
	case disable:
		if !d.firstDisable(ep) {
			// Another attempt in flight to the same endpoint disabled it.
			break
		}
		d.tel.EndpointDisabled(why)
		cause := "the endpoint answered 410 Gone"
		if why == telemetry.Failing {
			cause = "its attempts have all failed since " + since.Format(time.RFC3339)
		}
		d.log.LogAttrs(ctx, slog.LevelWarn, "dispatch: endpoint disabled: "+cause, append(ids(t),
			slog.String("cause", why.String()), slog.String("reason", reason(&o.Attempt)))...)
		var fs *time.Time
		if !since.IsZero() {
			fs = &since
		}
		d.notify(ctx, hookline.EndpointEvent(hookline.EventEndpointDisabled, ep, o.Disable.Trigger(), fs))
	case !scheduled:
		// Neither exhausted nor failing: the attempt was not on a schedule.
	case o.Status == hookline.StatusFail:
		d.log.LogAttrs(ctx, slog.LevelWarn, "dispatch: delivery failed for good, its retries exhausted", append(ids(t),
			slog.Int("attempts", o.Attempts), slog.String("reason", reason(&o.Attempt)))...)
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

// firstDisable reports whether this process disables ep, as the task saw
// it, for the first time: attempts in flight to one endpoint may each
// decide to disable it, and only the first is logged and announced. An
// endpoint enabled again since is another version (its UpdatedAt).
func (d *Dispatcher) firstDisable(ep *hookline.Endpoint) bool {
	d.failingMu.Lock()
	defer d.failingMu.Unlock()
	fs := d.failingOf[ep.ID]
	if fs.disabled.Equal(ep.UpdatedAt) {
		return false
	}
	fs.disabled = ep.UpdatedAt
	d.failingOf[ep.ID] = fs
	return true
}

// logBreaker logs what the attempt a of t did to its endpoint's circuit
// breaker: opened it (until when it lets a probe through) or closed it.
func (d *Dispatcher) logBreaker(t *hookline.Task, a *hookline.Attempt, change breakerChange, until time.Time) {
	switch change {
	case breakerOpened:
		d.log.LogAttrs(context.Background(), slog.LevelWarn,
			"dispatch: circuit breaker opened: the endpoint's deliveries wait until it lets a probe through",
			append(ids(t), slog.String("reason", reason(a)), slog.Time("probe_at", until))...)
	case breakerClosed:
		d.log.LogAttrs(context.Background(), slog.LevelInfo, "dispatch: circuit breaker closed: the endpoint answers again",
			append(ids(t), slog.String("reason", reason(a)))...)
	}
}

func (d *Dispatcher) setFailing(id string, fs failingState) {
	d.updateFailing(id, func(s *failingState) { *s = fs })
}

// updateFailing changes the failing state of endpoint id with change.
func (d *Dispatcher) updateFailing(id string, change func(*failingState)) {
	d.failingMu.Lock()
	defer d.failingMu.Unlock()
	fs := d.failingOf[id]
	change(&fs)
	if fs.since.IsZero() && len(d.failingOf) > maxFailingStates {
		// Healthy endpoints need no entry but to spare a ClearFailing; a
		// map that grew with every endpoint ever seen is dropped.
		clear(d.failingOf)
	}
	d.failingOf[id] = fs
}

// maxFailingStates bounds the endpoints whose failing state is kept.
const maxFailingStates = 100_000
