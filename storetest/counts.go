package storetest

import (
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// testCountDeliveries puts deliveries in every state and counts them:
// pending (a disabled endpoint's included), sending, held (deferred until
// claimed again or resent), failed; those that succeeded in none. It
// counts the held ones by endpoint too (HeldDeliveries).
func testCountDeliveries(t *testing.T, s hookline.Store) {
	wantCounts(t, s, hookline.DeliveryCounts{}, "an empty store")
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) { e.EventTypes = []string{"x"} })
	other := newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) { e.EventTypes = []string{"y"} })
	var msgs []*hookline.Message
	for range 4 {
		m, _ := newMessage(t, s, a.ID, "x")
		msgs = append(msgs, m)
	}
	wantCounts(t, s, hookline.DeliveryCounts{Pending: 4}, "new messages")
	now := later()
	tasks, err := s.ClaimDue(ctx(t), "w", now, 24*time.Hour, 10) // leased beyond the claims below
	must(t, err, "ClaimDue")
	if len(tasks) != 4 {
		t.Fatalf("claimed %d, want 4", len(tasks))
	}
	wantCounts(t, s, hookline.DeliveryCounts{Sending: 4}, "claimed")
	byMsg := map[string]*hookline.Task{}
	for _, task := range tasks {
		byMsg[task.Delivery.MessageID] = task
	}
	deferred := hookline.Outcome{DeliveryID: byMsg[msgs[2].ID].Delivery.ID, Status: hookline.StatusPending,
		NextAttemptAt: now.Add(time.Hour), Deferred: true}
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{
		outcome(byMsg[msgs[0].ID], hookline.StatusSuccess, 200),
		outcome(byMsg[msgs[1].ID], hookline.StatusFail, 500),
		deferred,
	}), "Complete")
	// A message to an endpoint disabled since: pending, parked or not.
	newMessage(t, s, a.ID, "y")
	other.Disabled = true
	must(t, s.UpdateEndpoint(ctx(t), other), "UpdateEndpoint")
	wantCounts(t, s, hookline.DeliveryCounts{Pending: 1, Sending: 1, Held: 1, Failed: 1}, "completed")
	wantHeld(t, s, []string{ep.ID, other.ID}, map[string]int64{ep.ID: 1}, "completed")

	// Claimed again, a held delivery is held no more, nor when released.
	if got := claim(t, s, "v", now.Add(2*time.Hour)); len(got) != 1 || got[0].Delivery.MessageID != msgs[2].ID {
		t.Fatalf("claimed %d, want the held delivery", len(got))
	}
	wantCounts(t, s, hookline.DeliveryCounts{Pending: 1, Sending: 2, Failed: 1}, "the held delivery claimed (the parked one too)")
	wantHeld(t, s, []string{ep.ID, other.ID}, map[string]int64{}, "the held delivery claimed")
	must(t, s.Release(ctx(t), "v"), "Release")
	wantCounts(t, s, hookline.DeliveryCounts{Pending: 2, Sending: 1, Failed: 1}, "released")

	// Resent, a held delivery is pending.
	task := claimOne(t, s, "u", now.Add(2*time.Hour))
	deferred.DeliveryID = task.Delivery.ID
	must(t, s.Complete(ctx(t), "u", []hookline.Outcome{deferred}), "Complete deferred")
	wantCounts(t, s, hookline.DeliveryCounts{Pending: 1, Sending: 1, Held: 1, Failed: 1}, "deferred again")
	wantHeld(t, s, []string{other.ID}, map[string]int64{}, "deferred again, of another endpoint")
	wantHeld(t, s, nil, map[string]int64{}, "deferred again, of no endpoint")
	must(t, s.Resend(ctx(t), a.ID, msgs[2].ID, ep.ID), "Resend")
	wantCounts(t, s, hookline.DeliveryCounts{Pending: 2, Sending: 1, Failed: 1}, "resent")
}

func wantCounts(t *testing.T, s hookline.Store, want hookline.DeliveryCounts, when string) {
	t.Helper()
	got, err := s.CountDeliveries(ctx(t))
	must(t, err, "CountDeliveries")
	if got != want {
		t.Fatalf("%s: counts %+v, want %+v", when, got, want)
	}
}

func wantHeld(t *testing.T, s hookline.Store, endpointIDs []string, want map[string]int64, when string) {
	t.Helper()
	got, err := s.HeldDeliveries(ctx(t), endpointIDs)
	must(t, err, "HeldDeliveries")
	same(t, got, want, when+": held deliveries by endpoint")
}
