package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/wait"
	"github.com/hookline/hookline/sqlite"
)

// TestServeRetention: serve with --retention deletes, at start and then
// every sweep, a message older than the retention whose deliveries are done
// (here: it has none), and keeps a recent one. The old message is made in
// the past (its CreatedAt), so no clock is waited for.
func TestServeRetention(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "hookline.db")
	s, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	app := &hookline.Application{Name: "kept"}
	if err := s.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	old := &hookline.Message{AppID: app.ID, EventType: "x", Payload: json.RawMessage(`{}`), CreatedAt: time.Now().Add(-31 * 24 * time.Hour)}
	recent := &hookline.Message{AppID: app.ID, EventType: "x", Payload: json.RawMessage(`{}`)}
	for _, m := range []*hookline.Message{old, recent} {
		if _, err := s.CreateMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	sx := startServer(t, "--db", db, "--retention", "720h").client(t)
	wait.For(t, "the old message to be pruned", func() bool {
		_, err := sx.Message.Get(ctx, app.ID, old.ID, nil)
		var se *svix.Error
		return errors.As(err, &se) && se.Status() == http.StatusNotFound
	})
	if _, err := sx.Message.Get(ctx, app.ID, recent.ID, nil); err != nil {
		t.Fatalf("the recent message: %v", err)
	}
}
