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
