package sqlite_test

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// testFeed is a hookline.Feed that takes up to room deliveries and keeps
// what it is handed.
type testFeed struct {
	mu       sync.Mutex
	room     int
	reserved int
	tasks    []*hookline.Task
}

func (f *testFeed) Owner() string        { return "feed-owner" }
func (f *testFeed) Lease() time.Duration { return time.Minute }

func (f *testFeed) Reserve(*hookline.Endpoint) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reserved >= f.room {
		return false
	}
	f.reserved++
	return true
}

func (f *testFeed) Unreserve(*hookline.Endpoint) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reserved--
}

func (f *testFeed) Deliver(tasks []*hookline.Task) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tasks = append(f.tasks, tasks...)
}

func (f *testFeed) state() (reserved int, tasks []*hookline.Task) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reserved, append([]*hookline.Task(nil), f.tasks...)
}

func TestFeed(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "hookline.db"))
	app := &hookline.Application{Name: "fed"}
	if err := s.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	ep := &hookline.Endpoint{AppID: app.ID, URL: "https://example.com/a"}
	off := &hookline.Endpoint{AppID: app.ID, URL: "https://example.com/b", Disabled: true}
	for _, e := range []*hookline.Endpoint{ep, off} { // nothing goes to a disabled endpoint
		if err := s.CreateEndpoint(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	f := &testFeed{room: 2}
	s.SetFeed(f)

	send := func(m *hookline.Message) {
		t.Helper()
		m.AppID, m.EventType, m.Payload = app.ID, "x", []byte(`{"a":1}`)
		if _, err := s.CreateMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	first := &hookline.Message{}
	send(first)
	later := time.Now().Add(time.Hour)
	send(&hookline.Message{DeliverAt: &later}) // not due: not fed
	second := &hookline.Message{}
	send(second)
	third := &hookline.Message{} // no room left: queued as usual
	send(third)

	reserved, tasks := f.state()
	if reserved != 2 || len(tasks) != 2 {
		t.Fatalf("reserved %d, fed %d tasks; want 2 and 2", reserved, len(tasks))
	}
	for i, m := range []*hookline.Message{first, second} {
		task := tasks[i]
		if task.Message.ID != m.ID || string(task.Message.Payload) != `{"a":1}` || task.Endpoint.ID != ep.ID ||
			string(task.Endpoint.Secret) != string(ep.Secret) || task.Delivery.Status != hookline.StatusSending ||
			task.LeaseUntil.Before(time.Now().Add(50*time.Second)) {
			t.Fatalf("fed task %d: %+v", i, task)
		}
	}
	// The fed deliveries are leased in the store like claimed ones: a claim
	// does not see them, and Complete by the feed's owner settles them.
	claimed, err := s.ClaimDue(ctx, "other", time.Now(), time.Minute, 10)
	if err != nil || len(claimed) != 1 || claimed[0].Message.ID != third.ID {
		t.Fatalf("claim beside the feed: %d tasks, %v", len(claimed), err)
	}
	views, err := s.ListDeliveriesByMessage(ctx, app.ID, first.ID, hookline.ListOptions{Limit: 10})
	if err != nil || len(views.Items) != 1 || views.Items[0].Delivery.Status != hookline.StatusSending {
		t.Fatalf("deliveries of the first message (the disabled endpoint gets none): %+v, %v", views.Items, err)
	}
	err = s.Complete(ctx, "feed-owner", []hookline.Outcome{{
		DeliveryID: tasks[0].Delivery.ID, Status: hookline.StatusSuccess, Attempts: 1,
		Attempt: hookline.Attempt{Status: hookline.StatusSuccess, StatusCode: 200},
	}})
	if err != nil {
		t.Fatal(err)
	}
	views, _ = s.ListDeliveriesByMessage(ctx, app.ID, first.ID, hookline.ListOptions{Limit: 10})
	for _, v := range views.Items {
		if v.Endpoint.ID == ep.ID && v.Delivery.Status != hookline.StatusSuccess {
			t.Fatalf("fed delivery after Complete: %+v", v.Delivery)
		}
	}
	// Release gives the feed's leases back to the queue.
	if err := s.Release(ctx, "feed-owner"); err != nil {
		t.Fatal(err)
	}
	claimed, err = s.ClaimDue(ctx, "other", time.Now(), time.Minute, 10)
	if err != nil || len(claimed) != 1 || claimed[0].Message.ID != second.ID {
		t.Fatalf("claim after Release: %d tasks, %v", len(claimed), err)
	}

	// A message that fails after its rows were written gives its room back.
	f.mu.Lock()
	f.room = 10
	f.mu.Unlock()
	dup := &hookline.Message{ID: first.ID}
	dup.AppID, dup.EventType, dup.Payload = app.ID, "x", []byte(`{}`)
	if _, err := s.CreateMessage(ctx, dup); hookline.ErrorCode(err) != hookline.ECONFLICT {
		t.Fatalf("a message with a taken id: %v", err)
	}
	if reserved, tasks := f.state(); reserved != 2 || len(tasks) != 2 {
		t.Fatalf("after a failed message: reserved %d, %d tasks; want 2 and 2", reserved, len(tasks))
	}

	// Once SetFeed(nil) returns, nothing more is fed.
	s.SetFeed(nil)
	send(&hookline.Message{})
	if reserved, tasks := f.state(); reserved != 2 || len(tasks) != 2 {
		t.Fatalf("after SetFeed(nil): reserved %d, %d tasks", reserved, len(tasks))
	}
}
