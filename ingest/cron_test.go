package ingest_test

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/ingest"
	"github.com/hookline/hookline/internal/wait"
	"github.com/hookline/hookline/sqlite"
)

// clock is a clock the test moves; read tells when RunCron first read it.
type clock struct {
	mu   sync.Mutex
	now  time.Time
	read chan struct{}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.read != nil {
		close(c.read)
		c.read = nil
	}
	return c.now
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// TestRunCronFiveFields: a standard five-field schedule drives RunCron.
// With the clock at 12:03:30 when it starts, then moved to 12:10:30, a
// source on "*/5 * * * *" fires the ticks of 12:05 and 12:10, each a
// request in the source's log, stored in a real SQLite file; the source
// on "0 3 * * *" fires none.
func TestRunCronFiveFields(t *testing.T) {
	ctx := t.Context()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hookline.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	every5 := &hookline.Source{Name: "every 5", Type: hookline.SourceCron, Config: hookline.SourceConfig{Schedule: "*/5 * * * *", Payload: "{}"}}
	nightly := &hookline.Source{Name: "nightly", Type: hookline.SourceCron, Config: hookline.SourceConfig{Schedule: "0 3 * * *", Payload: "{}"}}
	// nightly first: RunCron goes through the sources by id, so it has
	// done with nightly once every5's ticks are stored.
	for _, src := range []*hookline.Source{nightly, every5} {
		if err := ingest.Check(src); err != nil {
			t.Fatal(err)
		}
		if err := ingest.Create(ctx, store, src); err != nil {
			t.Fatal(err)
		}
	}
	c := &clock{now: time.Date(2026, 5, 4, 12, 3, 30, 0, time.UTC), read: make(chan struct{})}
	g := ingest.New(ingest.Config{Store: store, Now: c.Now})
	cronCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { g.RunCron(cronCtx); close(done) }()
	defer func() { stop(); <-done }()

	<-c.read
	c.set(time.Date(2026, 5, 4, 12, 10, 30, 0, time.UTC))
	g.SourcesChanged() // wakes RunCron, which reads the clock again
	var ids []string
	wait.For(t, "the ticks of 12:05 and 12:10", func() bool {
		log, err := store.ListReceived(ctx, every5, hookline.ListOptions{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		ids = ids[:0]
		for _, r := range log.Items {
			ids = append(ids, r.DeliveryID)
		}
		return len(ids) >= 2
	})
	slices.Sort(ids)
	if want := []string{"cron:2026-05-04T12:05:00Z", "cron:2026-05-04T12:10:00Z"}; !slices.Equal(ids, want) {
		t.Fatalf("fired %v, want %v", ids, want)
	}
	log, err := store.ListReceived(ctx, nightly, hookline.ListOptions{Limit: 10})
	if err != nil || len(log.Items) != 0 {
		t.Fatalf("the nightly source fired %d ticks (%v)", len(log.Items), err)
	}
}
