package background_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/background"
	"github.com/hookline/hookline/internal/wait"
	"github.com/hookline/hookline/postgres"
	"github.com/hookline/hookline/postgres/pgtest"
	"github.com/hookline/hookline/sqlite"
)

// TestRunner runs each case on a SQLite file and on PostgreSQL.
func TestRunner(t *testing.T) {
	stores := map[string]func(*testing.T) hookline.Store{
		"sqlite": func(t *testing.T) hookline.Store {
			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "hookline.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		"postgres": func(t *testing.T) hookline.Store {
			_, url := pgtest.Schema(t)
			s, err := postgres.Open(t.Context(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	}
	cases := map[string]func(*testing.T, func(*testing.T) hookline.Store){
		"RecoverInBatches":      testRecoverInBatches,
		"RecoverOnlyFailed":     testRecoverOnlyFailed,
		"ResumeAfterLease":      testResumeAfterLease,
		"FailsWhenEndpointGone": testFailsWhenEndpointGone,
		"ReplayAndPurge":        testReplayAndPurge,
		"RunWakes":              testRunWakes,
	}
	for db, open := range stores {
		for name, fn := range cases {
			t.Run(db+"/"+name, func(t *testing.T) { fn(t, open) })
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// setup makes an application, an endpoint and n messages whose deliveries
// to it failed for good.
func setup(t *testing.T, s hookline.Store, n int) (*hookline.Application, *hookline.Endpoint, []*hookline.Message) {
	t.Helper()
	ctx := t.Context()
	app := &hookline.Application{Name: "a"}
	must(t, s.CreateApplication(ctx, app))
	ep := &hookline.Endpoint{AppID: app.ID, URL: "https://example.com/hook"}
	must(t, s.CreateEndpoint(ctx, ep, 0))
	var msgs []*hookline.Message
	for range n {
		m := &hookline.Message{AppID: app.ID, EventType: "x", Payload: json.RawMessage(`{"a":1}`)}
		_, err := s.CreateMessage(ctx, m)
		must(t, err)
		msgs = append(msgs, m)
	}
	complete(t, s, func(*hookline.Task) (hookline.Status, time.Time) { return hookline.StatusFail, time.Time{} })
	return app, ep, msgs
}

// complete attempts every due delivery once: outcome gives the attempt's
// status, which the delivery takes (a failed attempt with a next attempt
// set leaves it pending, waiting for that retry), and the attempt's time
// (zero: now).
func complete(t *testing.T, s hookline.Store, outcome func(*hookline.Task) (hookline.Status, time.Time)) {
	t.Helper()
	ctx := t.Context()
	tasks, err := s.ClaimDue(ctx, "d", time.Now().Add(time.Minute), time.Minute, 1000)
	must(t, err)
	var outs []hookline.Outcome
	for _, task := range tasks {
		st, at := outcome(task)
		code, next, shown := 500, time.Time{}, st
		if st == hookline.StatusSuccess {
			code = 200
		}
		if st == hookline.StatusSending {
			next, st, shown = time.Now().Add(time.Hour), hookline.StatusPending, hookline.StatusFail
		}
		d := task.Delivery
		outs = append(outs, hookline.Outcome{DeliveryID: d.ID, Status: st, NextAttemptAt: next, Attempts: 1,
			Attempt: hookline.Attempt{AppID: d.AppID, MessageID: d.MessageID, EndpointID: d.EndpointID,
				DeliveryID: d.ID, URL: task.Endpoint.URL, Status: shown, StatusCode: code, Response: "no", CreatedAt: at}})
	}
	must(t, s.Complete(ctx, "d", outs))
}

func newTask(t *testing.T, s hookline.Store, appID string, typ hookline.TaskType, p hookline.TaskParams) *hookline.BackgroundTask {
	t.Helper()
	b, err := json.Marshal(p)
	must(t, err)
	task := &hookline.BackgroundTask{AppID: appID, Type: typ, Params: b}
	must(t, s.CreateBackgroundTask(t.Context(), task))
	return task
}

func read(t *testing.T, s hookline.Store, task *hookline.BackgroundTask) (*hookline.BackgroundTask, map[string]any) {
	t.Helper()
	got, err := s.BackgroundTask(t.Context(), task.AppID, task.ID)
	must(t, err)
	var data map[string]any
	must(t, json.Unmarshal(got.Data, &data))
	return got, data
}

// testRecoverOnlyFailed: recover sends again, as svix-server's picks them,
// the messages with a failed attempt to the endpoint in the window and no
// successful one, whenever they were created: one that failed for good and
// one waiting for its retry (sending); not one that succeeded, nor one
// whose attempt failed before the window, nor another endpoint's.
func testRecoverOnlyFailed(t *testing.T, open func(*testing.T) hookline.Store) {
	s := open(t)
	ctx := t.Context()
	app, ep, _ := setup(t, s, 0)
	other := &hookline.Endpoint{AppID: app.ID, URL: "https://example.com/other"}
	must(t, s.CreateEndpoint(ctx, other, 0))
	msgs := map[string]string{} // message id -> its case
	for _, name := range []string{"failed", "sending", "succeeded", "early"} {
		m := &hookline.Message{AppID: app.ID, EventType: "x", Payload: json.RawMessage(`{}`)}
		_, err := s.CreateMessage(ctx, m)
		must(t, err)
		msgs[m.ID] = name
	}
	// The window begins after every message was created.
	since := time.Now().Add(time.Hour)
	complete(t, s, func(task *hookline.Task) (hookline.Status, time.Time) {
		in := since.Add(time.Minute)
		if task.Delivery.EndpointID == other.ID {
			return hookline.StatusFail, in
		}
		switch msgs[task.Delivery.MessageID] {
		case "sending":
			return hookline.StatusSending, in
		case "succeeded":
			return hookline.StatusSuccess, in
		case "early":
			return hookline.StatusFail, since.Add(-time.Minute)
		}
		return hookline.StatusFail, in
	})

	task := newTask(t, s, app.ID, hookline.TaskRecover, hookline.TaskParams{EndpointID: ep.ID, Since: &since})
	if ran, err := background.NewRunner(s, "r").RunOnce(ctx); !ran || err != nil {
		t.Fatalf("RunOnce = %v, %v", ran, err)
	}
	if _, data := read(t, s, task); data["messagesSent"] != float64(2) {
		t.Fatalf("recover data %v, want messagesSent 2", data)
	}
	resent := hookline.Delivery{Status: hookline.StatusPending, Trigger: hookline.TriggerManual}
	want := map[string]hookline.Delivery{"failed": resent, "sending": resent,
		"succeeded": {Status: hookline.StatusSuccess, Attempts: 1}, "early": {Status: hookline.StatusFail, Attempts: 1}}
	for id, name := range msgs {
		page, err := s.ListDeliveriesByMessage(ctx, app.ID, id, hookline.ListOptions{Limit: 10})
		must(t, err)
		for _, v := range page.Items {
			d, w := v.Delivery, want[name]
			if v.Endpoint.ID == other.ID {
				w = hookline.Delivery{Status: hookline.StatusFail, Attempts: 1}
			}
			if d.Status != w.Status || d.Trigger != w.Trigger || d.Attempts != w.Attempts {
				t.Errorf("%s message's delivery to %s after recover: %v trigger %v attempts %d, want %v trigger %v attempts %d",
					name, v.Endpoint.ID, d.Status, d.Trigger, d.Attempts, w.Status, w.Trigger, w.Attempts)
			}
		}
	}
}

// testRecoverInBatches: recover works in batches of failed attempts, and
// sends a message with two of them once.
func testRecoverInBatches(t *testing.T, open func(*testing.T) hookline.Store) {
	s := open(t)
	app, ep, msgs := setup(t, s, 5)
	must(t, s.Resend(t.Context(), app.ID, msgs[0].ID, ep.ID))
	complete(t, s, func(*hookline.Task) (hookline.Status, time.Time) { return hookline.StatusFail, time.Time{} })
	since := msgs[0].CreatedAt
	task := newTask(t, s, app.ID, hookline.TaskRecover, hookline.TaskParams{EndpointID: ep.ID, Since: &since})
	r := background.NewRunner(s, "r")
	r.Batch = 2
	ran, err := r.RunOnce(t.Context())
	if !ran || err != nil {
		t.Fatalf("RunOnce = %v, %v", ran, err)
	}
	got, data := read(t, s, task)
	if got.Status != hookline.TaskFinished || data["messagesSent"] != float64(5) || got.LeaseUntil != nil || got.ExpiresAt == nil {
		t.Fatalf("task: %+v, data %v", got, data)
	}
	last, err := s.ListAttemptsByEndpoint(t.Context(), app.ID, ep.ID, hookline.AttemptFilter{
		ListOptions: hookline.ListOptions{Limit: 1, Descending: true}})
	must(t, err)
	if got.Cursor != last.Items[0].ID {
		t.Fatalf("cursor %q, want the last failed attempt %s", got.Cursor, last.Items[0].ID)
	}
	page, err := s.ListMessagesByEndpoint(t.Context(), app.ID, ep.ID, hookline.EndpointMessageFilter{ListOptions: hookline.ListOptions{Limit: 10}})
	must(t, err)
	for _, em := range page.Items {
		if em.Delivery.Status != hookline.StatusPending || em.Delivery.Trigger != hookline.TriggerManual {
			t.Fatalf("delivery after recover: %+v", em.Delivery)
		}
	}
	if ran, err := r.RunOnce(t.Context()); ran || err != nil {
		t.Fatalf("RunOnce with no task = %v, %v", ran, err)
	}
}

// TestResumeAfterLease: a task whose runner died is taken by another once
// its lease ends, not before, and resumes after its recorded cursor.
func testResumeAfterLease(t *testing.T, open func(*testing.T) hookline.Store) {
	s := open(t)
	app, ep, msgs := setup(t, s, 3)
	since := msgs[0].CreatedAt
	task := newTask(t, s, app.ID, hookline.TaskRecover, hookline.TaskParams{EndpointID: ep.ID, Since: &since})
	now := time.Now()
	dead, err := s.ClaimBackgroundTask(t.Context(), "dead", now, time.Minute)
	must(t, err)
	// The dead runner had done the first failed attempt's message.
	attempts, err := s.ListAttemptsByEndpoint(t.Context(), app.ID, ep.ID, hookline.AttemptFilter{
		ListOptions: hookline.ListOptions{Limit: 2}})
	must(t, err)
	done, after := attempts.Items[0], attempts.Items[1]
	dead.Cursor, dead.Data, dead.UpdatedAt = done.ID, json.RawMessage(`{"messagesSent":1}`), now
	must(t, s.SaveBackgroundTask(t.Context(), "dead", dead))

	clock := now
	r := background.NewRunner(s, "r")
	r.Now = func() time.Time { return clock }
	if ran, err := r.RunOnce(t.Context()); ran || err != nil {
		t.Fatalf("RunOnce while the lease lives = %v, %v; want nothing claimed", ran, err)
	}
	clock = now.Add(time.Minute + time.Second)
	if ran, err := r.RunOnce(t.Context()); !ran || err != nil {
		t.Fatalf("RunOnce after the lease = %v, %v", ran, err)
	}
	got, data := read(t, s, task)
	if got.Status != hookline.TaskFinished || data["messagesSent"] != float64(3) {
		t.Fatalf("task: %+v, data %v; want finished, 3 sent (1 before, 2 after)", got, data)
	}
	if d := delivery(t, s, app.ID, done.MessageID, ep.ID); d.Status != hookline.StatusFail {
		t.Fatalf("the message before the cursor was sent again: %+v", d)
	}
	if d := delivery(t, s, app.ID, after.MessageID, ep.ID); d.Status != hookline.StatusPending {
		t.Fatalf("a message after the cursor was not sent again: %+v", d)
	}
}

func delivery(t *testing.T, s hookline.Store, appID, msgID, epID string) hookline.Delivery {
	t.Helper()
	p, err := s.ListDeliveriesByMessage(t.Context(), appID, msgID, hookline.ListOptions{})
	must(t, err)
	for _, v := range p.Items {
		if v.Endpoint.ID == epID {
			return v.Delivery
		}
	}
	t.Fatalf("no delivery of %s to %s", msgID, epID)
	return hookline.Delivery{}
}

// TestFailsWhenEndpointGone: a task whose endpoint was deleted ends failed
// and says why.
func testFailsWhenEndpointGone(t *testing.T, open func(*testing.T) hookline.Store) {
	s := open(t)
	app, ep, _ := setup(t, s, 1)
	since := time.Now().Add(-time.Hour)
	replay := newTask(t, s, app.ID, hookline.TaskReplay, hookline.TaskParams{EndpointID: ep.ID, Since: &since})
	recover := newTask(t, s, app.ID, hookline.TaskRecover, hookline.TaskParams{EndpointID: ep.ID, Since: &since})
	must(t, s.DeleteEndpoint(t.Context(), app.ID, ep.ID))
	r := background.NewRunner(s, "r")
	for range 2 {
		if _, err := r.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	for _, task := range []*hookline.BackgroundTask{replay, recover} {
		got, data := read(t, s, task)
		if got.Status != hookline.TaskFailed || data["error"] != hookline.ErrEndpointNotFound.Message {
			t.Fatalf("%s task: %+v, data %v", task.Type, got, data)
		}
	}
}

// TestReplayAndPurge: replay creates the deliveries an endpoint never had;
// purge expunges every payload of the application and no other.
func testReplayAndPurge(t *testing.T, open func(*testing.T) hookline.Store) {
	s := open(t)
	ctx := t.Context()
	app, _, sent := setup(t, s, 2)
	other := &hookline.Endpoint{AppID: app.ID, URL: "https://example.com/other", EventTypes: []string{"x"}}
	must(t, s.CreateEndpoint(ctx, other, 0))
	y := &hookline.Message{AppID: app.ID, EventType: "y", Payload: json.RawMessage(`{}`)}
	_, err := s.CreateMessage(ctx, y)
	must(t, err)
	since := sent[0].CreatedAt
	replay := newTask(t, s, app.ID, hookline.TaskReplay, hookline.TaskParams{EndpointID: other.ID, Since: &since})
	r := background.NewRunner(s, "r")
	r.Batch = 1
	if _, err := r.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	got, data := read(t, s, replay)
	if got.Status != hookline.TaskFinished || data["messagesSent"] != float64(2) {
		t.Fatalf("replay: %+v, data %v; want the two x messages", got, data)
	}
	delivery(t, s, app.ID, sent[1].ID, other.ID)

	theirs, _, _ := setup(t, s, 1)
	purge := newTask(t, s, app.ID, hookline.TaskPurgeContent, hookline.TaskParams{})
	if _, err := r.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	got, data = read(t, s, purge)
	if got.Status != hookline.TaskFinished || data["messagesPurged"] != float64(3) {
		t.Fatalf("purge: %+v, data %v", got, data)
	}
	for _, m := range append(sent, y) {
		if m, err := s.Message(ctx, app.ID, m.ID); err != nil || m.Payload != nil {
			t.Fatalf("message %s after purge: %v, %v", m.ID, m.Payload, err)
		}
	}
	p, err := s.ListMessages(ctx, theirs.ID, hookline.MessageFilter{})
	must(t, err)
	if len(p.Items) != 1 || p.Items[0].Payload == nil {
		t.Fatal("another application's payload was purged")
	}
}

// TestRunWakes: Run, idle with a poll of an hour, takes a task at once
// when woken, and stops with its context.
func testRunWakes(t *testing.T, open func(*testing.T) hookline.Store) {
	s := open(t)
	app, ep, msgs := setup(t, s, 1)
	r := background.NewRunner(s, "r")
	r.Poll = time.Hour
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	since := msgs[0].CreatedAt
	task := newTask(t, s, app.ID, hookline.TaskRecover, hookline.TaskParams{EndpointID: ep.ID, Since: &since})
	r.Wake()
	wait.For(t, "the task to finish after Wake", func() bool {
		got, _ := read(t, s, task)
		return got.Status == hookline.TaskFinished
	})
	cancel()
	<-done
}
