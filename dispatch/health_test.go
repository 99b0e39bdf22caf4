package dispatch_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/dispatch"
	"github.com/hookline/hookline/internal/wait"
)

// events is a hookline.Notifier that keeps what it is sent.
type events struct {
	mu  sync.Mutex
	got []hookline.OperationalEvent
}

func (e *events) Notify(_ context.Context, ev hookline.OperationalEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, ev)
}

func (e *events) types() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.got {
		out = append(out, ev.Type)
	}
	return out
}

func (e *events) first(typ string) (hookline.OperationalEvent, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.got {
		if ev.Type == typ {
			return ev, true
		}
	}
	return hookline.OperationalEvent{}, false
}

func TestFailingThenRecoveredEvents(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n <= hookline.FailingAfterAttempts {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	ep := f.endpoint(t, rc.URL)
	ev := &events{}
	ms := 5 * time.Millisecond
	f.run(t, dispatch.Config{Notifier: ev, Schedule: []time.Duration{ms, ms, ms, ms, ms}, BreakerFailures: 100})
	msg := f.message(t, `{"a":1}`)
	wait.For(t, "the success", func() bool { return f.delivery(t, msg.ID).Status == hookline.StatusSuccess })
	got := ev.types()
	if len(got) != 2 || got[0] != hookline.EventMessageAttemptFailing || got[1] != hookline.EventMessageAttemptRecovered {
		t.Fatalf("events %v, want [failing recovered]", got)
	}
	e, _ := ev.first(hookline.EventMessageAttemptFailing)
	d := e.Data.(hookline.AttemptEventData)
	if d.MsgID != msg.ID || d.EndpointID != ep.ID || d.AppID != f.app.ID || d.LastAttempt.ResponseStatusCode != 500 {
		t.Fatalf("failing event data %+v", d)
	}
}

func TestExhaustedEvent(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadRequest) })
	f.endpoint(t, rc.URL)
	ev := &events{}
	f.run(t, dispatch.Config{Notifier: ev, Schedule: []time.Duration{time.Millisecond}})
	msg := f.message(t, `{"a":1}`)
	wait.For(t, "the failure", func() bool { return f.delivery(t, msg.ID).Status == hookline.StatusFail })
	wait.For(t, "the exhausted event", func() bool {
		_, ok := ev.first(hookline.EventMessageAttemptExhausted)
		return ok
	})
}

// TestEndpointFailingTooLongIsDisabled fails an endpoint for longer than
// DisableAfter: it is disabled, with an endpoint.disabled event that says
// since when it failed, and the failing time survives in the store.
func TestEndpointFailingTooLongIsDisabled(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	ep := f.endpoint(t, rc.URL)
	ev := &events{}
	ms := 20 * time.Millisecond
	f.run(t, dispatch.Config{Notifier: ev, DisableAfter: 100 * time.Millisecond, BreakerFailures: 100,
		Schedule: []time.Duration{ms, ms, ms, ms, ms, ms, ms, ms, ms, ms, ms, ms, ms, ms, ms, ms, ms, ms, ms, ms}})
	start := time.Now()
	f.message(t, `{"a":1}`)
	var got *hookline.Endpoint
	wait.For(t, "the endpoint to be disabled", func() bool {
		var err error
		got, err = f.store.Endpoint(f.ctx, f.app.ID, ep.ID)
		return err == nil && got.Disabled
	})
	if got.DisabledReason != hookline.DisabledFailing || got.DisabledAt == nil {
		t.Fatalf("disabled for %q at %v, want %q", got.DisabledReason, got.DisabledAt, hookline.DisabledFailing)
	}
	e, ok := ev.first(hookline.EventEndpointDisabled)
	if !ok {
		t.Fatalf("no endpoint.disabled event; events %v", ev.types())
	}
	d := e.Data.(hookline.EndpointEventData)
	if d.EndpointID != ep.ID || d.Trigger != "automatic" || d.FailSince == nil || d.FailSince.Before(start.Add(-time.Second)) {
		t.Fatalf("endpoint.disabled data %+v", d)
	}
	if time.Since(*d.FailSince) < 100*time.Millisecond {
		t.Fatalf("disabled %v after it started failing, before DisableAfter", time.Since(*d.FailSince))
	}
	since, err := f.store.MarkFailing(f.ctx, f.app.ID, ep.ID, time.Now())
	if err != nil || !since.Equal(*d.FailSince) {
		t.Fatalf("the store's failing time %v, %v; want %v", since, err, *d.FailSince)
	}
}
