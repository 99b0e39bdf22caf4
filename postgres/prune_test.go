package postgres_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookline/hookline"
)

// TestPruneSkipsAMessageBeingResent: a message whose delivery another
// transaction is making pending again holds a FOR SHARE lock on the
// message (what Resend, Recover and ReplayMissing take first); Prune skips
// it rather than deleting the delivery under it, and prunes it once the
// lock is gone and the delivery done. A Resend that waits for Prune's lock
// finds the message gone and says so.
func TestPruneSkipsAMessageBeingResent(t *testing.T) {
	t.Parallel()
	_, url := template.Clone(t)
	s := open(t, url)
	ctx := t.Context()
	app := &hookline.Application{Name: "prune"}
	must(t, s.CreateApplication(ctx, app))
	ep := &hookline.Endpoint{AppID: app.ID, URL: "https://example.com/"}
	must(t, s.CreateEndpoint(ctx, ep, 0))
	old := time.Now().Add(-48 * time.Hour)
	msg := &hookline.Message{AppID: app.ID, EventType: "x", Payload: []byte(`{}`), CreatedAt: old}
	_, err := s.CreateMessage(ctx, msg)
	must(t, err)
	tasks, err := s.ClaimDue(ctx, "w", time.Now().Add(time.Second), time.Hour, 10)
	must(t, err)
	if len(tasks) != 1 {
		t.Fatalf("claimed %d deliveries, want 1", len(tasks))
	}
	d := tasks[0].Delivery
	out := []hookline.Outcome{{DeliveryID: d.ID, Status: hookline.StatusFail, Attempts: 1, Attempt: hookline.Attempt{
		AppID: d.AppID, MessageID: d.MessageID, EndpointID: d.EndpointID, DeliveryID: d.ID, URL: ep.URL,
		Status: hookline.StatusFail, StatusCode: 500}}}
	must(t, s.Complete(ctx, "w", out))

	conn, err := pgx.Connect(ctx, url)
	must(t, err)
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	must(t, err)
	var id string
	must(t, tx.QueryRow(ctx, `SELECT id FROM messages WHERE id = $1 FOR SHARE`, msg.ID).Scan(&id))
	if n, err := s.Prune(ctx, time.Now().Add(-24*time.Hour)); err != nil || n != 0 {
		t.Fatalf("Prune while the message is locked = %d, %v; want 0", n, err)
	}
	must(t, tx.Rollback(ctx))
	if _, err := s.Message(ctx, app.ID, msg.ID); err != nil {
		t.Fatalf("the locked message was pruned: %v", err)
	}

	if n, err := s.Prune(ctx, time.Now().Add(-24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("Prune once unlocked = %d, %v; want 1", n, err)
	}
	if err := s.Resend(ctx, app.ID, msg.ID, ep.ID); hookline.ErrorCode(err) != hookline.ENOTFOUND {
		t.Fatalf("Resend of a pruned message: %v, want not found", err)
	}
}
