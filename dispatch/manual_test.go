package dispatch_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/dispatch"
	"github.com/hookline/hookline/internal/wait"
)

// TestManualAttemptIsFinal resends a delivery whose retry waits an hour to
// an endpoint that keeps failing: the manual attempt is made once, its
// failure fails the delivery for good (the hour's retry is gone), and it
// sends no operational event and does not disable the endpoint, however
// long the endpoint has been failing.
func TestManualAttemptIsFinal(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	ep := f.endpoint(t, rc.URL)
	ev := &events{}
	f.run(t, dispatch.Config{Notifier: ev, Schedule: []time.Duration{time.Hour}, DisableAfter: time.Millisecond,
		BreakerFailures: 100})
	msg := f.message(t, `{"a":1}`)
	wait.For(t, "the first attempt to fail", func() bool {
		d := f.delivery(t, msg.ID)
		return d.Status == hookline.StatusPending && d.Attempts == 1
	})

	if err := f.store.Resend(f.ctx, f.app.ID, msg.ID, ep.ID); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the manual attempt to fail", func() bool { return f.delivery(t, msg.ID).Status == hookline.StatusFail })
	if d := f.delivery(t, msg.ID); d.NextAttemptAt != nil {
		t.Fatalf("a failed manual attempt left a next attempt at %v", d.NextAttemptAt)
	}
	atts := f.attempts(t, msg.ID)
	if len(atts) != 2 || atts[1].Trigger != hookline.TriggerManual || atts[1].Status != hookline.StatusFail {
		t.Fatalf("attempts %+v", atts)
	}
	if rc.count() != 2 {
		t.Fatalf("receiver got %d requests, want 2", rc.count())
	}
	// The outcome is written after its events are sent: none was.
	if got := ev.types(); len(got) != 0 {
		t.Fatalf("events %v, want none", got)
	}
	if got, err := f.store.Endpoint(f.ctx, f.app.ID, ep.ID); err != nil || got.Disabled {
		t.Fatalf("endpoint %+v, %v: a manual failure disabled it", got, err)
	}
}

// TestManualAttemptSucceeds resends a delivery whose retry waits an hour,
// and the receiver now answers: the delivery succeeds at once, with no
// retry left and no message.attempt.recovered (the manual attempt was on
// no schedule).
func TestManualAttemptSucceeds(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	ep := f.endpoint(t, rc.URL)
	ev := &events{}
	f.run(t, dispatch.Config{Notifier: ev, Schedule: []time.Duration{time.Hour}})
	msg := f.message(t, `{"a":1}`)
	wait.For(t, "the first attempt to fail", func() bool { return f.delivery(t, msg.ID).Attempts == 1 })

	if err := f.store.Resend(f.ctx, f.app.ID, msg.ID, ep.ID); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the manual attempt to succeed", func() bool { return f.delivery(t, msg.ID).Status == hookline.StatusSuccess })
	if d := f.delivery(t, msg.ID); d.NextAttemptAt != nil {
		t.Fatalf("a delivered message has a next attempt at %v", d.NextAttemptAt)
	}
	atts := f.attempts(t, msg.ID)
	if len(atts) != 2 || atts[1].Trigger != hookline.TriggerManual || atts[1].StatusCode != 200 {
		t.Fatalf("attempts %+v", atts)
	}
	if got := ev.types(); len(got) != 0 {
		t.Fatalf("events %v, want none", got)
	}
}

// TestManualAttemptAfterExhaustion resends a delivery that exhausted its
// schedule: the failed manual attempt sends no second
// message.attempt.exhausted.
func TestManualAttemptAfterExhaustion(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadRequest) })
	ep := f.endpoint(t, rc.URL)
	ev := &events{}
	f.run(t, dispatch.Config{Notifier: ev, Schedule: []time.Duration{}})
	msg := f.message(t, `{"a":1}`)
	wait.For(t, "the delivery to fail", func() bool { return f.delivery(t, msg.ID).Status == hookline.StatusFail })
	if got := ev.types(); len(got) != 1 || got[0] != hookline.EventMessageAttemptExhausted {
		t.Fatalf("events %v, want [exhausted]", got)
	}

	if err := f.store.Resend(f.ctx, f.app.ID, msg.ID, ep.ID); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the manual attempt to fail", func() bool { return len(f.attempts(t, msg.ID)) == 2 })
	wait.For(t, "the delivery to fail again", func() bool { return f.delivery(t, msg.ID).Status == hookline.StatusFail })
	if got := ev.types(); len(got) != 1 {
		t.Fatalf("events %v, want the first exhaustion alone", got)
	}
}
