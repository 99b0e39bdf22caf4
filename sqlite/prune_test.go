package sqlite_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/sqlitetest"
)

// TestPruneGivesSpaceBack: a new database is in incremental auto-vacuum
// mode, and after Prune deleted most of its messages it holds fewer pages
// and no free ones: the file does not keep what retention removed. The
// messages are made in the past (their CreatedAt), so no clock is waited
// for.
func TestPruneGivesSpaceBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hookline.db")
	s := open(t, path)
	app := &hookline.Application{Name: "a"}
	if err := s.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	ep := &hookline.Endpoint{AppID: app.ID, URL: "https://example.com/hook"}
	if err := s.CreateEndpoint(ctx, ep, 0); err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]string{"pad": strings.Repeat("x", 4000)})
	old := time.Now().Add(-100 * 24 * time.Hour)
	const messages = 600
	for i := range messages {
		m := &hookline.Message{AppID: app.ID, EventType: "x", Payload: payload, CreatedAt: old.Add(time.Duration(i) * time.Millisecond)}
		if i == messages-1 {
			m.CreatedAt = time.Time{} // now: kept
		}
		if _, err := s.CreateMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	for {
		tasks, err := s.ClaimDue(ctx, "w", time.Now().Add(time.Minute), time.Minute, 200)
		if err != nil {
			t.Fatal(err)
		}
		if len(tasks) == 0 {
			break
		}
		var outs []hookline.Outcome
		for _, task := range tasks {
			outs = append(outs, hookline.Outcome{DeliveryID: task.Delivery.ID, Status: hookline.StatusSuccess, Attempts: 1,
				Attempt: hookline.Attempt{AppID: app.ID, MessageID: task.Message.ID, EndpointID: ep.ID, DeliveryID: task.Delivery.ID,
					URL: ep.URL, Status: hookline.StatusSuccess, StatusCode: 200, Response: strings.Repeat("r", 500)}})
		}
		if err := s.Complete(ctx, "w", outs); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	before, _, mode := sqlitetest.Pages(t, path)
	if mode != 2 {
		t.Fatalf("auto_vacuum = %d, want 2 (incremental)", mode)
	}

	s = open(t, path)
	n, err := s.Prune(ctx, time.Now().Add(-hookline.DefaultRetention))
	if err != nil || n != messages-1 {
		t.Fatalf("Prune = %d, %v; want %d", n, err, messages-1)
	}
	list, err := s.ListMessages(ctx, app.ID, hookline.MessageFilter{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("messages after Prune: %d, %v; want the recent one", len(list.Items), err)
	}
	s.Close()
	after, free, _ := sqlitetest.Pages(t, path)
	t.Logf("pages: %d before Prune, %d after, %d free", before, after, free)
	if free != 0 || after*4 > before {
		t.Fatalf("after Prune: %d pages (%d free), before %d: the space was not given back", after, free, before)
	}
}
