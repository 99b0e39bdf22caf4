package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// testCleanupExpunges checks, for a Store with a Cleanup method, that it
// expunges the payloads whose retention has ended and keeps the others.
func testCleanupExpunges(t *testing.T, s hookline.Store) {
	c, ok := s.(interface {
		Cleanup(ctx context.Context) (int, error)
	})
	if !ok {
		t.Skip("the store has no Cleanup")
	}
	ctx := t.Context()
	app := newApp(t, s)
	old := &hookline.Message{AppID: app.ID, EventType: "x", Payload: []byte(`{"old":1}`), ExpiresAt: time.Now().Add(-time.Minute)}
	kept := &hookline.Message{AppID: app.ID, EventType: "x", Payload: []byte(`{"kept":1}`), ExpiresAt: time.Now().Add(time.Hour)}
	for _, m := range []*hookline.Message{old, kept} {
		if _, err := s.CreateMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := c.Cleanup(ctx); err != nil || n != 1 {
		t.Fatalf("Cleanup: %d rows, %v; want 1", n, err)
	}
	if got, err := s.Message(ctx, app.ID, old.ID); err != nil || got.Payload != nil {
		t.Fatalf("expired message: payload %q, %v; want none", got.Payload, err)
	}
	if got, err := s.Message(ctx, app.ID, kept.ID); err != nil || string(got.Payload) != `{"kept":1}` {
		t.Fatalf("unexpired message: payload %q, %v", got.Payload, err)
	}
	if n, err := c.Cleanup(ctx); err != nil || n != 0 {
		t.Fatalf("second Cleanup: %d rows, %v; want 0", n, err)
	}
}

// testPrune checks that Prune deletes the messages made before its time
// whose deliveries are all done, or that have none, with their deliveries
// and attempts, keeps a message with a delivery not done and every later
// one, and deletes the ingest log of before its time.
func testPrune(t *testing.T, s hookline.Store) {
	app := newApp(t, s)
	ep := newEndpoint(t, s, app.ID)
	now := time.Now()
	old := now.Add(-48 * time.Hour)
	at := func(when time.Time) func(*hookline.Message) {
		return func(m *hookline.Message) { m.CreatedAt = when }
	}
	delivered, _ := newMessage(t, s, app.ID, "x", at(old))
	failed, _ := newMessage(t, s, app.ID, "x", at(old.Add(time.Second)))
	for i, task := range claim(t, s, "w", later()) {
		st, code := hookline.StatusSuccess, 200
		if i == 1 {
			st, code = hookline.StatusFail, 500
		}
		must(t, s.Complete(ctx(t), "w", []hookline.Outcome{outcome(task, st, code)}), "Complete")
	}
	pending, _ := newMessage(t, s, app.ID, "x", at(old.Add(2*time.Second)))
	bare := newApp(t, s) // no endpoint: its message has no delivery
	alone, _ := newMessage(t, s, bare.ID, "x", at(old.Add(3*time.Second)))
	young, _ := newMessage(t, s, app.ID, "x")
	attempts, err := s.ListAttemptsByMessage(ctx(t), app.ID, delivered.ID, hookline.AttemptFilter{})
	must(t, err, "ListAttemptsByMessage")
	if len(attempts.Items) != 1 {
		t.Fatalf("attempts of the delivered message: %d", len(attempts.Items))
	}

	src := newSource(t, s)
	logged := &hookline.Received{RemoteAddr: "198.51.100.7", StatusCode: 401, Outcome: hookline.ReceivedRefused, Reason: "old", CreatedAt: old}
	must(t, s.Receive(ctx(t), src, logged, nil, time.Hour), "Receive")
	recent := &hookline.Received{RemoteAddr: "198.51.100.7", StatusCode: 401, Outcome: hookline.ReceivedRefused, Reason: "new"}
	must(t, s.Receive(ctx(t), src, recent, nil, time.Hour), "Receive")

	n, err := s.Prune(ctx(t), now.Add(-24*time.Hour))
	must(t, err, "Prune")
	if n != 3+1 {
		t.Fatalf("Prune = %d, want 4: three messages and a log entry", n)
	}
	for _, m := range []*hookline.Message{delivered, failed, alone} {
		_, err := s.Message(ctx(t), m.AppID, m.ID)
		wantCode(t, err, hookline.ENOTFOUND, "a pruned message")
	}
	_, err = s.Attempt(ctx(t), app.ID, delivered.ID, attempts.Items[0].ID)
	wantCode(t, err, hookline.ENOTFOUND, "the attempt of a pruned message")
	for _, m := range []*hookline.Message{pending, young} {
		if _, err := s.Message(ctx(t), app.ID, m.ID); err != nil {
			t.Fatalf("message %s was pruned: %v", m.ID, err)
		}
	}
	if d := delivery(t, s, app.ID, pending.ID, ep.ID); d.Status != hookline.StatusPending {
		t.Fatalf("the kept message's delivery: %+v", d)
	}
	log, err := s.ListReceived(ctx(t), src, hookline.ListOptions{Limit: 10})
	must(t, err, "ListReceived")
	if len(log.Items) != 1 || log.Items[0].ID != recent.ID {
		t.Fatalf("ingest log after Prune: %d entries, want the recent one", len(log.Items))
	}
	if n, err := s.Prune(ctx(t), now.Add(-24*time.Hour)); err != nil || n != 0 {
		t.Fatalf("Prune again = %d, %v; want 0", n, err)
	}
}
