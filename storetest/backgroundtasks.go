package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// testBackgroundTasks checks that a task reads back as created, only in its
// application (or with appID ""), and that lists filter and page.
func testBackgroundTasks(t *testing.T, s hookline.Store) {
	a, b := newApp(t, s), newApp(t, s)
	var mine []string
	for i, typ := range []hookline.TaskType{hookline.TaskRecover, hookline.TaskReplay, hookline.TaskRecover} {
		task := &hookline.BackgroundTask{AppID: a.ID, Type: typ, Params: json.RawMessage(`{"endpointId":"ep_1"}`)}
		must(t, s.CreateBackgroundTask(ctx(t), task), "CreateBackgroundTask")
		if task.Status != hookline.TaskRunning || string(task.Data) != `{}` || !hookline.ValidID(task.ID, hookline.PrefixTask) {
			t.Fatalf("task %d as created: %+v", i, task)
		}
		got, err := s.BackgroundTask(ctx(t), a.ID, task.ID)
		must(t, err, "BackgroundTask")
		if got.ID != task.ID || got.Type != typ || got.Status != hookline.TaskRunning || !got.CreatedAt.Equal(task.CreatedAt) ||
			got.LeaseUntil != nil || got.ExpiresAt != nil {
			t.Fatalf("task %d read back: %+v, want %+v", i, got, task)
		}
		var params map[string]string
		if err := json.Unmarshal(got.Params, &params); err != nil || params["endpointId"] != "ep_1" {
			t.Fatalf("params read back: %s, %v", got.Params, err)
		}
		mine = append(mine, task.ID)
	}
	theirs := &hookline.BackgroundTask{AppID: b.ID, Type: hookline.TaskPurgeContent}
	must(t, s.CreateBackgroundTask(ctx(t), theirs), "CreateBackgroundTask")

	_, err := s.BackgroundTask(ctx(t), a.ID, theirs.ID)
	wantCode(t, err, hookline.ENOTFOUND, "another application's task")
	if got, err := s.BackgroundTask(ctx(t), "", theirs.ID); err != nil || got.AppID != b.ID {
		t.Fatalf("a task of any application: %+v, %v", got, err)
	}
	_, err = s.BackgroundTask(ctx(t), "", hookline.NewID(hookline.PrefixTask))
	wantCode(t, err, hookline.ENOTFOUND, "a missing task")

	ids := func(appID string, f hookline.TaskFilter) []string {
		t.Helper()
		f.Limit = hookline.MaxListLimit
		p, err := s.ListBackgroundTasks(ctx(t), appID, f)
		must(t, err, "ListBackgroundTasks")
		out := []string{}
		for _, task := range p.Items {
			out = append(out, task.ID)
		}
		return out
	}
	same(t, ids(a.ID, hookline.TaskFilter{}), mine, "the application's tasks")
	same(t, ids(a.ID, hookline.TaskFilter{Type: hookline.TaskRecover}), []string{mine[0], mine[2]}, "its recover tasks")
	same(t, ids(a.ID, hookline.TaskFilter{Status: hookline.TaskFinished}), []string{}, "its finished tasks")
	same(t, ids(b.ID, hookline.TaskFilter{}), []string{theirs.ID}, "the other application's tasks")
	all := ids("", hookline.TaskFilter{})
	if len(all) < 4 {
		t.Fatalf("every task: %v", all)
	}
	got := pages(t, 2, false, func(task *hookline.BackgroundTask) string { return task.ID },
		func(o hookline.ListOptions) (hookline.Page[*hookline.BackgroundTask], error) {
			return s.ListBackgroundTasks(ctx(t), a.ID, hookline.TaskFilter{ListOptions: o})
		})
	same(t, got, mine, "pages of two")
}

// testBackgroundTaskLease checks that a task is claimed by one runner at a
// time, taken again when its lease ends, written only by the holder of its
// lease, and never claimed once ended.
func testBackgroundTaskLease(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	first := &hookline.BackgroundTask{AppID: a.ID, Type: hookline.TaskRecover}
	second := &hookline.BackgroundTask{AppID: a.ID, Type: hookline.TaskReplay}
	must(t, s.CreateBackgroundTask(ctx(t), first), "CreateBackgroundTask")
	must(t, s.CreateBackgroundTask(ctx(t), second), "CreateBackgroundTask")
	now := time.Now()
	claimTask := func(owner string, at time.Time) *hookline.BackgroundTask {
		t.Helper()
		task, err := s.ClaimBackgroundTask(ctx(t), owner, at, time.Minute)
		must(t, err, "ClaimBackgroundTask")
		return task
	}
	got := claimTask("r1", now)
	if got == nil || got.ID != first.ID || got.LeaseOwner != "r1" || got.LeaseUntil == nil {
		t.Fatalf("first claim: %+v, want %s leased by r1", got, first.ID)
	}
	if got := claimTask("r2", now); got == nil || got.ID != second.ID {
		t.Fatalf("second claim: %+v, want %s", got, second.ID)
	}
	if got := claimTask("r3", now.Add(30*time.Second)); got != nil {
		t.Fatalf("claim while both leases live: %+v, want none", got)
	}
	// A runner that keeps its name across a restart takes its task back.
	if again := claimTask("r1", now.Add(30*time.Second)); again == nil || again.ID != first.ID {
		t.Fatalf("claim by the holder of a lease: %+v, want %s", again, first.ID)
	}

	// r1 records progress and renews its lease.
	got.Cursor, got.Data = "msg_1", json.RawMessage(`{"messagesSent": 1}`)
	until := now.Add(2 * time.Minute)
	got.LeaseUntil, got.UpdatedAt = &until, time.Now()
	must(t, s.SaveBackgroundTask(ctx(t), "r1", got), "SaveBackgroundTask")
	if again := claimTask("r3", now.Add(90*time.Second)); again == nil || again.ID != second.ID {
		t.Fatalf("claim after the second's lease ended: %+v, want %s (the first's was renewed)", again, second.ID)
	}
	// r1 dies: r4 takes its task after the lease, and r1 can no longer write it.
	taken := claimTask("r4", now.Add(3*time.Minute))
	if taken == nil || taken.ID != first.ID || taken.Cursor != "msg_1" {
		t.Fatalf("claim after the first's lease ended: %+v, want %s at msg_1", taken, first.ID)
	}
	var data map[string]int
	if err := json.Unmarshal(taken.Data, &data); err != nil || data["messagesSent"] != 1 {
		t.Fatalf("data read back: %s, %v", taken.Data, err)
	}
	got.Cursor = "msg_2"
	wantCode(t, s.SaveBackgroundTask(ctx(t), "r1", got), hookline.ECONFLICT, "a write by a runner whose lease ended")
	if read, _ := s.BackgroundTask(ctx(t), a.ID, first.ID); read.Cursor != "msg_1" || read.LeaseOwner != "r4" {
		t.Fatalf("after the refused write: %+v", read)
	}

	taken.End(hookline.TaskFinished, time.Now())
	must(t, s.SaveBackgroundTask(ctx(t), "r4", taken), "SaveBackgroundTask (finished)")
	read, err := s.BackgroundTask(ctx(t), a.ID, first.ID)
	must(t, err, "BackgroundTask")
	if read.Status != hookline.TaskFinished || read.LeaseOwner != "" || read.LeaseUntil != nil || read.ExpiresAt == nil {
		t.Fatalf("finished task: %+v", read)
	}
	wantCode(t, s.SaveBackgroundTask(ctx(t), "r4", taken), hookline.ECONFLICT, "a write of a task that ended")
	if got := claimTask("r5", now.Add(time.Hour)); got != nil && got.ID == first.ID {
		t.Fatal("a finished task was claimed")
	}
}

// testBackgroundTaskCleanup checks that the retention sweep deletes a task
// that ended once it expired, and no other.
func testBackgroundTaskCleanup(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	old := &hookline.BackgroundTask{AppID: a.ID, Type: hookline.TaskRecover}
	kept := &hookline.BackgroundTask{AppID: a.ID, Type: hookline.TaskRecover}
	running := &hookline.BackgroundTask{AppID: a.ID, Type: hookline.TaskRecover}
	for _, task := range []*hookline.BackgroundTask{old, kept, running} {
		must(t, s.CreateBackgroundTask(ctx(t), task), "CreateBackgroundTask")
	}
	for _, task := range []*hookline.BackgroundTask{old, kept} {
		claimed, err := s.ClaimBackgroundTask(ctx(t), "r", time.Now(), time.Minute)
		must(t, err, "ClaimBackgroundTask")
		if claimed.ID != task.ID {
			t.Fatalf("claimed %s, want %s", claimed.ID, task.ID)
		}
		ended := time.Now()
		if task == old {
			ended = ended.Add(-hookline.TaskRetention - time.Minute)
		}
		claimed.End(hookline.TaskFinished, ended)
		must(t, s.SaveBackgroundTask(ctx(t), "r", claimed), "SaveBackgroundTask")
	}
	if _, err := s.Cleanup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	_, err := s.BackgroundTask(ctx(t), a.ID, old.ID)
	wantCode(t, err, hookline.ENOTFOUND, "a task that ended more than TaskRetention ago")
	for _, task := range []*hookline.BackgroundTask{kept, running} {
		if _, err := s.BackgroundTask(ctx(t), a.ID, task.ID); err != nil {
			t.Fatalf("task %s: %v", task.ID, err)
		}
	}
}

// testReplayMissing checks that ReplayMissing creates the deliveries that
// do not exist, and only those, of messages of the application.
func testReplayMissing(t *testing.T, s hookline.Store) {
	a, b := newApp(t, s), newApp(t, s)
	sent, _ := newMessage(t, s, a.ID, "x") // before the endpoint: no delivery
	ep := newEndpoint(t, s, a.ID)
	has, n := newMessage(t, s, a.ID, "x")
	if n != 1 {
		t.Fatalf("CreateMessage: %d deliveries, want 1", n)
	}
	theirs, _ := newMessage(t, s, b.ID, "x")
	before := delivery(t, s, a.ID, has.ID, ep.ID)
	Drain(s)
	got, err := s.ReplayMissing(ctx(t), a.ID, ep.ID, []string{sent.ID, has.ID, theirs.ID, hookline.NewID(hookline.PrefixMessage)})
	must(t, err, "ReplayMissing")
	if got != 1 {
		t.Fatalf("ReplayMissing = %d, want 1", got)
	}
	if !Signalled(s) {
		t.Fatal("ReplayMissing did not signal Due")
	}
	d := delivery(t, s, a.ID, sent.ID, ep.ID)
	if d.Status != hookline.StatusPending || d.Trigger != hookline.TriggerManual {
		t.Fatalf("replayed delivery: %+v", d)
	}
	if again := delivery(t, s, a.ID, has.ID, ep.ID); again.ID != before.ID || again.UpdatedAt != before.UpdatedAt {
		t.Fatalf("the delivery that existed changed: %+v, was %+v", again, before)
	}
	p, err := s.ListDeliveriesByMessage(ctx(t), b.ID, theirs.ID, hookline.ListOptions{})
	must(t, err, "ListDeliveriesByMessage")
	if len(p.Items) != 0 {
		t.Fatalf("another application's message got %d deliveries", len(p.Items))
	}
	tasks := claim(t, s, "w", later())
	if len(tasks) != 2 {
		t.Fatalf("claimed %d deliveries, want 2", len(tasks))
	}
	if got, err := s.ReplayMissing(ctx(t), a.ID, ep.ID, []string{sent.ID}); err != nil || got != 0 {
		t.Fatalf("ReplayMissing again: %d, %v; want 0", got, err)
	}
	_, err = s.ReplayMissing(ctx(t), b.ID, ep.ID, []string{theirs.ID})
	wantCode(t, err, hookline.ENOTFOUND, "ReplayMissing to another application's endpoint")
}

// testBackgroundTaskConcurrentClaim checks that runners claiming at once
// (on PostgreSQL, as several nodes do) get each task once.
func testBackgroundTaskConcurrentClaim(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	const tasks, runners = 20, 6
	for range tasks {
		must(t, s.CreateBackgroundTask(ctx(t), &hookline.BackgroundTask{AppID: a.ID, Type: hookline.TaskRecover}), "CreateBackgroundTask")
	}
	now := time.Now()
	var mu sync.Mutex
	claimed := map[string]int{}
	var wg sync.WaitGroup
	for r := range runners {
		wg.Go(func() {
			// A runner holds one task at a time, and claims again only
			// once it ended it; here each claim is a runner of its own.
			for i := 0; ; i++ {
				task, err := s.ClaimBackgroundTask(ctx(t), fmt.Sprintf("runner-%d-%d", r, i), now, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if task == nil {
					return
				}
				mu.Lock()
				claimed[task.ID]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != tasks {
		t.Fatalf("%d tasks claimed, want %d", len(claimed), tasks)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("task %s claimed %d times", id, n)
		}
	}
}
