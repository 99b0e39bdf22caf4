package storetest

import (
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

func (f *testFeed) Reserve(*hookline.Task) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reserved >= f.room {
		return false
	}
	f.reserved++
	return true
}

func (f *testFeed) Unreserve(*hookline.Task) {
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

// testStoreFeed: a Feeder leases the deliveries due at once that its feed
// takes, hands them over whole, keeps them from claims like claimed ones,
// gives back the room of a message that failed, and stops at SetFeed(nil).
func testStoreFeed(t *testing.T, s hookline.Store) {
	feeder, ok := s.(hookline.Feeder)
	if !ok {
		t.Skip("the store is not a hookline.Feeder")
	}
	a := newApp(t, s)
	a.ThrottleRate = ptr(50)
	must(t, s.UpdateApplication(ctx(t), a), "UpdateApplication")
	ep := newEndpoint(t, s, a.ID)
	newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) { e.Disabled = true }) // gets nothing
	f := &testFeed{room: 2}
	feeder.SetFeed(f)
	defer feeder.SetFeed(nil)

	send := func(mod ...func(*hookline.Message)) *hookline.Message {
		t.Helper()
		m, _ := newMessage(t, s, a.ID, "x", append([]func(*hookline.Message){func(m *hookline.Message) {
			m.Payload = []byte(`{"a":1}`)
		}}, mod...)...)
		return m
	}
	first := send()
	later := time.Now().Add(time.Hour)
	send(func(m *hookline.Message) { m.DeliverAt = &later }) // not due: not fed
	second := send()
	third := send() // no room left: queued as usual

	reserved, tasks := f.state()
	if reserved != 2 || len(tasks) != 2 {
		t.Fatalf("reserved %d, fed %d tasks; want 2 and 2", reserved, len(tasks))
	}
	for i, m := range []*hookline.Message{first, second} {
		task := tasks[i]
		if task.Message.ID != m.ID || string(task.Message.Payload) != `{"a":1}` || task.Endpoint.ID != ep.ID ||
			task.Endpoint.URL != ep.URL || string(task.Endpoint.Secret) != string(ep.Secret) ||
			task.Delivery.Status != hookline.StatusSending || task.Delivery.EndpointID != ep.ID ||
			task.AppThrottleRate == nil || *task.AppThrottleRate != 50 ||
			task.LeaseUntil.Before(time.Now().Add(50*time.Second)) {
			t.Fatalf("fed task %d: %+v", i, task)
		}
	}
	// The fed deliveries are leased in the store like claimed ones: a claim
	// does not see them, and Complete by the feed's owner settles them.
	claimed, err := s.ClaimDue(ctx(t), "other", time.Now(), time.Minute, 10)
	if err != nil || len(claimed) != 1 || claimed[0].Message.ID != third.ID {
		t.Fatalf("claim beside the feed: %d tasks, %v", len(claimed), err)
	}
	views, err := s.ListDeliveriesByMessage(ctx(t), a.ID, first.ID, hookline.ListOptions{Limit: 10})
	if err != nil || len(views.Items) != 1 || views.Items[0].Delivery.Status != hookline.StatusSending {
		t.Fatalf("deliveries of the first message (the disabled endpoint gets none): %+v, %v", views.Items, err)
	}
	must(t, s.Complete(ctx(t), "feed-owner", []hookline.Outcome{outcome(tasks[0], hookline.StatusSuccess, 200)}), "Complete")
	if d := delivery(t, s, a.ID, first.ID, ep.ID); d.Status != hookline.StatusSuccess {
		t.Fatalf("fed delivery after Complete: %+v", d)
	}
	// Release gives the feed's leases back to the queue.
	must(t, s.Release(ctx(t), "feed-owner"), "Release")
	claimed, err = s.ClaimDue(ctx(t), "other", time.Now(), time.Minute, 10)
	if err != nil || len(claimed) != 1 || claimed[0].Message.ID != second.ID {
		t.Fatalf("claim after Release: %d tasks, %v", len(claimed), err)
	}

	// A message that fails after its deliveries were reserved gives its room
	// back.
	f.mu.Lock()
	f.room = 10
	f.mu.Unlock()
	dup := &hookline.Message{ID: first.ID, AppID: a.ID, EventType: "x", Payload: []byte(`{}`)}
	_, err = s.CreateMessage(ctx(t), dup)
	wantCode(t, err, hookline.ECONFLICT, "a message with a taken id")
	if reserved, tasks := f.state(); reserved != 2 || len(tasks) != 2 {
		t.Fatalf("after a failed message: reserved %d, %d tasks; want 2 and 2", reserved, len(tasks))
	}

	// Once SetFeed(nil) returns, nothing more is fed.
	feeder.SetFeed(nil)
	send()
	if reserved, tasks := f.state(); reserved != 2 || len(tasks) != 2 {
		t.Fatalf("after SetFeed(nil): reserved %d, %d tasks", reserved, len(tasks))
	}
}
