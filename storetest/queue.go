package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

func testClaimDueOnly(t *testing.T, s hookline.Store) {
	if tasks := claim(t, s, "w", later()); len(tasks) != 0 {
		t.Fatalf("empty store: claimed %d", len(tasks))
	}
	a := newApp(t, s)
	newEndpoint(t, s, a.ID)
	start := time.Now()
	due, _ := newMessage(t, s, a.ID, "x")
	in := start.Add(time.Hour)
	newMessage(t, s, a.ID, "x", func(m *hookline.Message) { m.DeliverAt = &in })
	// Before the message existed, nothing was due.
	if tasks := claim(t, s, "w", start.Add(-time.Minute)); len(tasks) != 0 {
		t.Fatalf("claimed %d deliveries before they were due", len(tasks))
	}
	task := claimOne(t, s, "w", later())
	if task.Delivery.MessageID != due.ID {
		t.Fatalf("claimed %s, want the due message %s", task.Delivery.MessageID, due.ID)
	}
	if tasks := claim(t, s, "w", later()); len(tasks) != 0 {
		t.Fatalf("claimed %d more", len(tasks))
	}
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{outcome(task, hookline.StatusSuccess, 200)}), "Complete")
	if len(claim(t, s, "w", in.Add(time.Second))) != 1 {
		t.Fatal("the delayed delivery is not claimable once due")
	}
}

func testClaimOrderAndLimit(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	newEndpoint(t, s, a.ID)
	base := time.Now().Add(time.Hour)
	// Due times in an order unlike the creation order.
	offsets := []int{5, 1, 4, 2, 3}
	byOffset := map[string]int{}
	for _, off := range offsets {
		at := base.Add(time.Duration(off) * time.Minute)
		m, _ := newMessage(t, s, a.ID, "x", func(m *hookline.Message) { m.DeliverAt = &at })
		byOffset[m.ID] = off
	}
	now := base.Add(time.Hour)
	tasks, err := s.ClaimDue(ctx(t), "w", now, time.Minute, 2)
	must(t, err, "ClaimDue")
	if len(tasks) != 2 || byOffset[tasks[0].Delivery.MessageID] != 1 || byOffset[tasks[1].Delivery.MessageID] != 2 {
		t.Fatalf("first claim of 2 got %d tasks: %v", len(tasks), tasksOffsets(tasks, byOffset))
	}
	tasks, err = s.ClaimDue(ctx(t), "w", now, time.Minute, 10)
	must(t, err, "ClaimDue")
	if len(tasks) != 3 || byOffset[tasks[0].Delivery.MessageID] != 3 || byOffset[tasks[2].Delivery.MessageID] != 5 {
		t.Fatalf("second claim got %v", tasksOffsets(tasks, byOffset))
	}
}

func tasksOffsets(tasks []*hookline.Task, by map[string]int) []int {
	var out []int
	for _, t := range tasks {
		out = append(out, by[t.Delivery.MessageID])
	}
	return out
}

func testClaimTask(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) {
		e.Headers = map[string]string{"X-Key": "v"}
		e.EventTypes = []string{"user.created"}
	})
	m, _ := newMessage(t, s, a.ID, "user.created", func(m *hookline.Message) {
		m.Channels = []string{"eu"}
		m.EventID = ptr("e1")
		m.TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	})
	now := later().UTC().Truncate(time.Microsecond)
	task := claimOne(t, s, "owner-1", now)
	same(t, &task.Message, m, "task message")
	same(t, &task.Endpoint, ep, "task endpoint")
	if !bytes.Equal(task.Endpoint.Secret, ep.Secret) {
		t.Fatal("task endpoint secret differs")
	}
	d := task.Delivery
	if d.Status != hookline.StatusSending || d.AppID != a.ID || d.MessageID != m.ID || d.EndpointID != ep.ID ||
		d.Attempts != 0 || d.Trigger != hookline.TriggerScheduled || d.ID == "" {
		t.Fatalf("task delivery %+v", d)
	}
	if !task.LeaseUntil.Equal(now.Add(time.Minute)) {
		t.Fatalf("LeaseUntil %v, want %v", task.LeaseUntil, now.Add(time.Minute))
	}
	// The stored delivery says the same.
	got := delivery(t, s, a.ID, m.ID, ep.ID)
	if got.ID != d.ID || got.Status != hookline.StatusSending {
		t.Fatalf("stored delivery %+v, task %+v", got, d)
	}
}

func testLease(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	newEndpoint(t, s, a.ID)
	newMessage(t, s, a.ID, "x")
	now := later()
	task, err := s.ClaimDue(ctx(t), "a", now, 30*time.Second, 10)
	must(t, err, "ClaimDue")
	if len(task) != 1 {
		t.Fatalf("claimed %d, want 1", len(task))
	}
	for _, at := range []time.Duration{0, time.Second, 29 * time.Second} {
		if got := claim(t, s, "b", now.Add(at)); len(got) != 0 {
			t.Fatalf("claimed a leased delivery %v into its lease", at)
		}
		if got := claim(t, s, "a", now.Add(at)); len(got) != 0 {
			t.Fatalf("the owner claimed its own leased delivery again %v into its lease", at)
		}
	}
	// Expired: claimable again, by anyone.
	again := claimOne(t, s, "b", now.Add(31*time.Second))
	if again.Delivery.ID != task[0].Delivery.ID {
		t.Fatal("another delivery came back")
	}
	if again.Delivery.Attempts != 0 || again.Delivery.Status != hookline.StatusSending {
		t.Fatalf("reclaimed delivery %+v", again.Delivery)
	}
	if got := claim(t, s, "a", now.Add(40*time.Second)); len(got) != 0 {
		t.Fatal("claimed during the second lease")
	}
}

func testCompleteSuccess(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID)
	m, _ := newMessage(t, s, a.ID, "x")
	task := claimOne(t, s, "w", later())
	out := outcome(task, hookline.StatusSuccess, 204)
	out.Attempt.ID = hookline.NewID(hookline.PrefixAttempt)
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{out}), "Complete")
	d := delivery(t, s, a.ID, m.ID, ep.ID)
	if d.Status != hookline.StatusSuccess || d.Attempts != 1 || d.NextAttemptAt != nil {
		t.Fatalf("delivery after success %+v", d)
	}
	at, err := s.Attempt(ctx(t), a.ID, m.ID, out.Attempt.ID)
	must(t, err, "Attempt")
	if at.StatusCode != 204 || at.Status != hookline.StatusSuccess || at.Response != "response 204" || at.DurationMS != 12 {
		t.Fatalf("attempt %+v", at)
	}
	if got := claim(t, s, "w", later().Add(24*time.Hour)); len(got) != 0 {
		t.Fatal("a delivered message was claimed again")
	}
	if _, ok, err := s.NextDue(ctx(t)); err != nil || ok {
		t.Fatalf("NextDue after success: %v %v", ok, err)
	}
	// Completing nothing is fine.
	must(t, s.Complete(ctx(t), "w", nil), "Complete(nil)")
}

func testCompleteRetry(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID)
	m, _ := newMessage(t, s, a.ID, "x")
	now := later()
	task := claimOne(t, s, "w", now)
	out := outcome(task, hookline.StatusPending, 503)
	out.NextAttemptAt = now.Add(5 * time.Second).UTC().Truncate(time.Microsecond)
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{out}), "Complete")
	d := delivery(t, s, a.ID, m.ID, ep.ID)
	if d.Status != hookline.StatusPending || d.Attempts != 1 || d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(out.NextAttemptAt) {
		t.Fatalf("delivery after a retryable failure %+v", d)
	}
	if got := claim(t, s, "w", now.Add(4*time.Second)); len(got) != 0 {
		t.Fatal("claimed before NextAttemptAt")
	}
	next, ok, err := s.NextDue(ctx(t))
	must(t, err, "NextDue")
	if !ok || !next.Equal(out.NextAttemptAt) {
		t.Fatalf("NextDue = %v %v, want %v", next, ok, out.NextAttemptAt)
	}
	task = claimOne(t, s, "w", now.Add(5*time.Second))
	if task.Delivery.Attempts != 1 {
		t.Fatalf("retry task has %d attempts, want 1", task.Delivery.Attempts)
	}
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{outcome(task, hookline.StatusSuccess, 200)}), "Complete")
	d = delivery(t, s, a.ID, m.ID, ep.ID)
	if d.Status != hookline.StatusSuccess || d.Attempts != 2 {
		t.Fatalf("delivery after the retry %+v", d)
	}
	p, err := s.ListAttemptsByMessage(ctx(t), a.ID, m.ID, hookline.AttemptFilter{})
	must(t, err, "ListAttemptsByMessage")
	if len(p.Items) != 2 || p.Items[0].StatusCode != 503 || p.Items[1].StatusCode != 200 {
		t.Fatalf("attempts %+v", p.Items)
	}
}

// testCompleteBatch completes a few outcomes and many at once, mixed: a
// store may write a small batch and a large one differently.
func testCompleteBatch(t *testing.T, s hookline.Store) {
	for _, n := range []int{3, 12} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			a := newApp(t, s)
			ep := newEndpoint(t, s, a.ID)
			for range n {
				newMessage(t, s, a.ID, "x")
			}
			now := later()
			tasks := claim(t, s, "w", now)
			if len(tasks) != n {
				t.Fatalf("claimed %d, want %d", len(tasks), n)
			}
			retryAt := now.Add(5 * time.Second).UTC().Truncate(time.Microsecond)
			outs := func() []hookline.Outcome {
				var outs []hookline.Outcome
				for i, task := range tasks {
					switch i % 3 {
					case 0:
						outs = append(outs, outcome(task, hookline.StatusSuccess, 200))
					case 1:
						o := outcome(task, hookline.StatusPending, 503)
						o.NextAttemptAt = retryAt
						outs = append(outs, o)
					case 2:
						outs = append(outs, outcome(task, hookline.StatusFail, 400))
					}
				}
				return outs
			}
			// Another owner's outcomes move nothing.
			must(t, s.Complete(ctx(t), "stranger", outs()), "Complete by a stranger")
			for _, task := range tasks {
				if d := delivery(t, s, a.ID, task.Delivery.MessageID, ep.ID); d.Status != hookline.StatusSending {
					t.Fatalf("a stranger's Complete moved a delivery to %v", d.Status)
				}
			}
			must(t, s.Complete(ctx(t), "w", outs()), "Complete")
			for i, task := range tasks {
				d := delivery(t, s, a.ID, task.Delivery.MessageID, ep.ID)
				want := []hookline.Status{hookline.StatusSuccess, hookline.StatusPending, hookline.StatusFail}[i%3]
				if d.Status != want || d.Attempts != 1 {
					t.Fatalf("delivery %d: %v after %d attempts, want %v after 1", i, d.Status, d.Attempts, want)
				}
				if (d.NextAttemptAt != nil) != (want == hookline.StatusPending) ||
					d.NextAttemptAt != nil && !d.NextAttemptAt.Equal(retryAt) {
					t.Fatalf("delivery %d (%v): next attempt %v, want %v", i, d.Status, d.NextAttemptAt, retryAt)
				}
			}
			next, ok, err := s.NextDue(ctx(t))
			must(t, err, "NextDue")
			if !ok || !next.Equal(retryAt) {
				t.Fatalf("NextDue = %v %v, want %v", next, ok, retryAt)
			}
			if got := claim(t, s, "w", retryAt); len(got) != (n+1)/3 {
				t.Fatalf("claimed %d retries, want %d", len(got), (n+1)/3)
			}
		})
	}
}

func testCompleteFail(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID)
	m, _ := newMessage(t, s, a.ID, "x")
	task := claimOne(t, s, "w", later())
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{outcome(task, hookline.StatusFail, 400)}), "Complete")
	d := delivery(t, s, a.ID, m.ID, ep.ID)
	if d.Status != hookline.StatusFail || d.NextAttemptAt != nil || d.Attempts != 1 {
		t.Fatalf("failed delivery %+v", d)
	}
	if got := claim(t, s, "w", later().Add(24*time.Hour)); len(got) != 0 {
		t.Fatal("a failed delivery was claimed")
	}
	if _, ok, _ := s.NextDue(ctx(t)); ok {
		t.Fatal("NextDue reports a failed delivery")
	}
}

func testCompleteDisablesEndpoint(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	gone := newEndpoint(t, s, a.ID)
	m1, _ := newMessage(t, s, a.ID, "x")
	now := later()
	task := claimOne(t, s, "w", now)
	newMessage(t, s, a.ID, "x") // pending behind the one in flight
	out := outcome(task, hookline.StatusFail, 410)
	out.Disable = hookline.DisabledGone
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{out}), "Complete")
	ep, err := s.Endpoint(ctx(t), a.ID, gone.ID)
	must(t, err, "Endpoint")
	if !ep.Disabled {
		t.Fatal("endpoint not disabled")
	}
	if d := delivery(t, s, a.ID, m1.ID, gone.ID); d.Status != hookline.StatusFail {
		t.Fatalf("delivery %+v", d)
	}
	if got := claim(t, s, "w", now.Add(time.Hour)); len(got) != 0 {
		t.Fatal("a delivery of the disabled endpoint was claimed")
	}
	if _, ok, _ := s.NextDue(ctx(t)); ok {
		t.Fatal("NextDue reports a delivery of a disabled endpoint")
	}
	// New messages skip it.
	if _, n := newMessage(t, s, a.ID, "x"); n != 0 {
		t.Fatalf("%d deliveries to a disabled endpoint", n)
	}
	// Enabled again, its pending delivery flows.
	ep.Disabled = false
	must(t, s.UpdateEndpoint(ctx(t), ep), "UpdateEndpoint")
	if got := claim(t, s, "w", now.Add(time.Hour)); len(got) != 1 {
		t.Fatalf("after enabling: claimed %d, want 1", len(got))
	}
}

func testCompleteByNonOwner(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID)
	m, _ := newMessage(t, s, a.ID, "x")
	now := later()
	slow := claimOne(t, s, "slow", now)
	fast := claimOne(t, s, "fast", now.Add(2*time.Minute)) // after slow's lease expired

	// The slow owner comes back late: its attempt is logged, nothing else.
	late := outcome(slow, hookline.StatusFail, 410)
	late.Disable = hookline.DisabledGone
	must(t, s.Complete(ctx(t), "slow", []hookline.Outcome{late}), "Complete by the old owner")
	d := delivery(t, s, a.ID, m.ID, ep.ID)
	if d.Status != hookline.StatusSending {
		t.Fatalf("a non-owner's Complete moved the delivery to %v", d.Status)
	}
	got, err := s.Endpoint(ctx(t), a.ID, ep.ID)
	must(t, err, "Endpoint")
	if got.Disabled {
		t.Fatal("a non-owner's Complete disabled the endpoint")
	}
	// A stranger's too.
	must(t, s.Complete(ctx(t), "stranger", []hookline.Outcome{outcome(fast, hookline.StatusSuccess, 200)}), "Complete by a stranger")
	if d := delivery(t, s, a.ID, m.ID, ep.ID); d.Status != hookline.StatusSending {
		t.Fatalf("a stranger's Complete moved the delivery to %v", d.Status)
	}
	must(t, s.Complete(ctx(t), "fast", []hookline.Outcome{outcome(fast, hookline.StatusSuccess, 200)}), "Complete by the owner")
	if d := delivery(t, s, a.ID, m.ID, ep.ID); d.Status != hookline.StatusSuccess {
		t.Fatalf("the owner's Complete left the delivery %v", d.Status)
	}
	// Every attempt is in the log.
	p, err := s.ListAttemptsByMessage(ctx(t), a.ID, m.ID, hookline.AttemptFilter{})
	must(t, err, "ListAttemptsByMessage")
	if len(p.Items) != 3 {
		t.Fatalf("%d attempts logged, want 3", len(p.Items))
	}
	// Completing the finished delivery again changes nothing.
	must(t, s.Complete(ctx(t), "fast", []hookline.Outcome{outcome(fast, hookline.StatusFail, 500)}), "Complete twice")
	if d := delivery(t, s, a.ID, m.ID, ep.ID); d.Status != hookline.StatusSuccess {
		t.Fatalf("a second Complete moved the delivery to %v", d.Status)
	}
}

func testDisabledEndpointNotClaimed(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID)
	live := newEndpoint(t, s, a.ID)
	newMessage(t, s, a.ID, "x")
	ep.Disabled = true
	must(t, s.UpdateEndpoint(ctx(t), ep), "UpdateEndpoint")
	tasks := claim(t, s, "w", later())
	if len(tasks) != 1 || tasks[0].Endpoint.ID != live.ID {
		t.Fatalf("claimed %d tasks with a disabled endpoint", len(tasks))
	}
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{outcome(tasks[0], hookline.StatusSuccess, 200)}), "Complete")
	if _, ok, _ := s.NextDue(ctx(t)); ok {
		t.Fatal("NextDue reports a delivery of a disabled endpoint")
	}
}

func testRelease(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID)
	for range 3 {
		newMessage(t, s, a.ID, "x")
	}
	now := later()
	mine, err := s.ClaimDue(ctx(t), "me", now, time.Hour, 2)
	must(t, err, "ClaimDue")
	theirs := claimOne(t, s, "them", now)
	Drain(s)
	must(t, s.Release(ctx(t), "me"), "Release")
	if !Signalled(s) {
		t.Fatal("Release did not signal Due")
	}
	for _, task := range mine {
		d := delivery(t, s, a.ID, task.Delivery.MessageID, ep.ID)
		if d.Status != hookline.StatusPending || d.NextAttemptAt == nil || d.Attempts != 0 {
			t.Fatalf("released delivery %+v", d)
		}
	}
	if d := delivery(t, s, a.ID, theirs.Delivery.MessageID, ep.ID); d.Status != hookline.StatusSending {
		t.Fatal("Release gave back another owner's lease")
	}
	// Due at once, long before the lease would have ended.
	got := claim(t, s, "next", now)
	if len(got) != 2 {
		t.Fatalf("claimed %d released deliveries, want 2", len(got))
	}
	// An owner with nothing leased releases nothing.
	must(t, s.Release(ctx(t), "nobody"), "Release of nobody")
}

func testNextDue(t *testing.T, s hookline.Store) {
	_, ok, err := s.NextDue(ctx(t))
	must(t, err, "NextDue")
	if ok {
		t.Fatal("NextDue on an empty store")
	}
	a := newApp(t, s)
	newEndpoint(t, s, a.ID)
	at1 := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Microsecond)
	at2 := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	newMessage(t, s, a.ID, "x", func(m *hookline.Message) { m.DeliverAt = &at1 })
	next, ok, err := s.NextDue(ctx(t))
	must(t, err, "NextDue")
	if !ok || !next.Equal(at1) {
		t.Fatalf("NextDue = %v %v, want %v", next, ok, at1)
	}
	newMessage(t, s, a.ID, "x", func(m *hookline.Message) { m.DeliverAt = &at2 })
	next, _, _ = s.NextDue(ctx(t))
	if !next.Equal(at2) {
		t.Fatalf("NextDue = %v, want the earlier %v", next, at2)
	}
	// A claimed delivery is due again when its lease ends.
	claimAt := at2.Add(time.Second)
	tasks, err := s.ClaimDue(ctx(t), "w", claimAt, 10*time.Minute, 1)
	must(t, err, "ClaimDue")
	if len(tasks) != 1 {
		t.Fatalf("claimed %d", len(tasks))
	}
	next, _, _ = s.NextDue(ctx(t))
	if !next.Equal(claimAt.Add(10 * time.Minute)) {
		t.Fatalf("NextDue = %v, want the lease end %v", next, claimAt.Add(10*time.Minute))
	}
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{outcome(tasks[0], hookline.StatusSuccess, 200)}), "Complete")
	next, _, _ = s.NextDue(ctx(t))
	if !next.Equal(at1) {
		t.Fatalf("NextDue = %v, want %v", next, at1)
	}
	if next.Location() != time.UTC {
		t.Fatalf("NextDue in %v", next.Location())
	}
}

func testDueSignal(t *testing.T, s hookline.Store) {
	if cap(s.Due()) < 1 {
		t.Fatal("Due is not buffered")
	}
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID)
	Drain(s)
	m, _ := newMessage(t, s, a.ID, "x")
	if !Signalled(s) {
		t.Fatal("CreateMessage with a delivery did not signal Due")
	}
	// Coalesced: many signals, no blocking, at least one value.
	for range 10 {
		newMessage(t, s, a.ID, "x")
	}
	if !Signalled(s) {
		t.Fatal("no signal after ten messages")
	}
	task := claim(t, s, "w", later())[0]
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{outcome(task, hookline.StatusFail, 400)}), "Complete")
	Drain(s)
	must(t, s.Resend(ctx(t), a.ID, task.Delivery.MessageID, ep.ID), "Resend")
	if !Signalled(s) {
		t.Fatal("Resend did not signal Due")
	}
	_ = m
}

func testConcurrentClaimers(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	newEndpoint(t, s, a.ID)
	newEndpoint(t, s, a.ID)
	const messages = 150
	for range messages {
		newMessage(t, s, a.ID, "x")
	}
	now := later()
	var (
		mu      sync.Mutex
		claimed = map[string]string{}
		dup     []string
		wg      sync.WaitGroup
		errs    = make(chan error, 8)
	)
	for w := range 6 {
		owner := fmt.Sprintf("claimer-%d", w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				tasks, err := s.ClaimDue(ctx(t), owner, now, time.Hour, 7)
				if err != nil {
					errs <- err
					return
				}
				if len(tasks) == 0 {
					return
				}
				mu.Lock()
				for _, task := range tasks {
					if prev, ok := claimed[task.Delivery.ID]; ok {
						dup = append(dup, fmt.Sprintf("%s by %s and %s", task.Delivery.ID, prev, owner))
					}
					claimed[task.Delivery.ID] = owner
				}
				mu.Unlock()
				// Complete half, leave half leased: neither may come back.
				var outs []hookline.Outcome
				for i, task := range tasks {
					if i%2 == 0 {
						outs = append(outs, outcome(task, hookline.StatusSuccess, 200))
					}
				}
				if err := s.Complete(ctx(t), owner, outs); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(dup) > 0 {
		t.Fatalf("deliveries handed to two claimers during their lease: %v", dup)
	}
	if len(claimed) != 2*messages {
		t.Fatalf("claimed %d distinct deliveries, want %d", len(claimed), 2*messages)
	}
}

func testResend(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) { e.EventTypes = []string{"x"} })
	never := newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) { e.EventTypes = []string{"y"} })
	m, n := newMessage(t, s, a.ID, "x")
	if n != 1 {
		t.Fatalf("%d deliveries", n)
	}
	now := later()
	task := claimOne(t, s, "w", now)
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{outcome(task, hookline.StatusFail, 400)}), "Complete")

	// An existing delivery: pending again, manual, a new schedule.
	must(t, s.Resend(ctx(t), a.ID, m.ID, ep.ID), "Resend")
	d := delivery(t, s, a.ID, m.ID, ep.ID)
	if d.ID != task.Delivery.ID || d.Status != hookline.StatusPending || d.Trigger != hookline.TriggerManual ||
		d.Attempts != 0 || d.NextAttemptAt == nil {
		t.Fatalf("resent delivery %+v", d)
	}
	task = claimOne(t, s, "w", now)
	if task.Delivery.Trigger != hookline.TriggerManual || task.Delivery.Attempts != 0 {
		t.Fatalf("resent task %+v", task.Delivery)
	}

	// Resending a delivery in flight takes it from its owner.
	must(t, s.Resend(ctx(t), a.ID, m.ID, ep.ID), "Resend in flight")
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{outcome(task, hookline.StatusSuccess, 200)}), "Complete by the old owner")
	if d := delivery(t, s, a.ID, m.ID, ep.ID); d.Status != hookline.StatusPending {
		t.Fatalf("resent delivery after its old owner completed: %v", d.Status)
	}
	task = claimOne(t, s, "w2", now)
	must(t, s.Complete(ctx(t), "w2", []hookline.Outcome{outcome(task, hookline.StatusSuccess, 200)}), "Complete")

	// A new delivery to an endpoint the message never went to.
	must(t, s.Resend(ctx(t), a.ID, m.ID, never.ID), "Resend to a new endpoint")
	d = delivery(t, s, a.ID, m.ID, never.ID)
	if d.Status != hookline.StatusPending || d.Trigger != hookline.TriggerManual || d.Attempts != 0 {
		t.Fatalf("new resent delivery %+v", d)
	}
	task = claimOne(t, s, "w", now)
	if task.Endpoint.ID != never.ID || task.Message.ID != m.ID {
		t.Fatal("the new delivery is not the task")
	}

	wantCode(t, s.Resend(ctx(t), a.ID, hookline.NewID(hookline.PrefixMessage), ep.ID), hookline.ENOTFOUND, "Resend of a missing message")
}

// testResendIsOneAttempt: a resend takes the place of the schedule of a
// delivery whose retry waits, and its manual attempt is made once: the
// outcome the dispatcher gives a failed manual attempt (StatusFail, see
// hookline.Trigger.Retries) leaves the delivery failed, with no next
// attempt, and nothing is due again, neither the manual attempt nor the
// retry it took the place of; a successful one leaves it delivered.
func testResendIsOneAttempt(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID)
	failed, _ := newMessage(t, s, a.ID, "x")
	delivered, _ := newMessage(t, s, a.ID, "x")
	now := later()
	var outs []hookline.Outcome
	for _, task := range claim(t, s, "w", now) {
		o := outcome(task, hookline.StatusPending, 503)
		o.NextAttemptAt = now.Add(time.Hour) // a retry waits an hour
		outs = append(outs, o)
	}
	if len(outs) != 2 {
		t.Fatalf("claimed %d deliveries, want 2", len(outs))
	}
	must(t, s.Complete(ctx(t), "w", outs), "Complete")

	for _, m := range []*hookline.Message{failed, delivered} {
		must(t, s.Resend(ctx(t), a.ID, m.ID, ep.ID), "Resend")
		if d := delivery(t, s, a.ID, m.ID, ep.ID); d.Status != hookline.StatusPending || d.Trigger != hookline.TriggerManual ||
			d.Attempts != 0 || d.NextAttemptAt == nil || d.NextAttemptAt.After(now) {
			t.Fatalf("a resent delivery whose retry waited: %+v, want due now", d)
		}
	}
	tasks := claim(t, s, "w", now)
	if len(tasks) != 2 {
		t.Fatalf("claimed %d resent deliveries, want 2", len(tasks))
	}
	outs = outs[:0]
	for _, task := range tasks {
		if task.Delivery.Trigger != hookline.TriggerManual {
			t.Fatalf("resent task %+v", task.Delivery)
		}
		if task.Delivery.MessageID == failed.ID {
			outs = append(outs, outcome(task, hookline.StatusFail, 500))
		} else {
			outs = append(outs, outcome(task, hookline.StatusSuccess, 200))
		}
	}
	must(t, s.Complete(ctx(t), "w", outs), "Complete the manual attempts")

	for m, want := range map[*hookline.Message]hookline.Status{failed: hookline.StatusFail, delivered: hookline.StatusSuccess} {
		d := delivery(t, s, a.ID, m.ID, ep.ID)
		if d.Status != want || d.NextAttemptAt != nil || d.Trigger != hookline.TriggerScheduled {
			t.Fatalf("after its manual attempt: %+v, want %v with no next attempt", d, want)
		}
		if got := d.ShownStatus(); got != want {
			t.Fatalf("shown as %v, want %v", got, want)
		}
	}
	if tasks := claim(t, s, "w", now.Add(24*time.Hour)); len(tasks) != 0 {
		t.Fatalf("claimed %d deliveries after their manual attempts, want none", len(tasks))
	}
	if _, ok, err := s.NextDue(ctx(t)); err != nil || ok {
		t.Fatalf("NextDue after the manual attempts: %v, %v; want nothing due", ok, err)
	}
	p, err := s.ListAttemptsByEndpoint(ctx(t), a.ID, ep.ID, hookline.AttemptFilter{ListOptions: hookline.ListOptions{Limit: 10}})
	must(t, err, "ListAttemptsByEndpoint")
	manual := 0
	for _, at := range p.Items {
		if at.Trigger == hookline.TriggerManual {
			manual++
		}
	}
	if len(p.Items) != 4 || manual != 2 {
		t.Fatalf("%d attempts, %d manual; want 4, 2", len(p.Items), manual)
	}
}

// testDeleteEndpointEndsDeliveries: deleting an endpoint fails its
// deliveries waiting for an attempt, lets the one in flight end as its
// attempt does, claims none of them again, and keeps the endpoint, as the
// API shows it, among its messages' destinations until the application goes.
func testDeleteEndpointEndsDeliveries(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	uid := "doomed"
	doomed := newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) {
		e.UID, e.Description = &uid, "going"
		e.Headers = map[string]string{"X-Secret": "s3cret"}
	})
	first, _ := newMessage(t, s, a.ID, "x")
	now := later()
	inflight := claimOne(t, s, "w", now)
	kept := newEndpoint(t, s, a.ID)
	second, _ := newMessage(t, s, a.ID, "x")

	must(t, s.DeleteEndpoint(ctx(t), a.ID, doomed.ID), "DeleteEndpoint")
	if d := delivery(t, s, a.ID, second.ID, doomed.ID); d.Status != hookline.StatusFail || d.NextAttemptAt != nil {
		t.Fatalf("a waiting delivery of a deleted endpoint: %+v, want failed", d)
	}
	p, err := s.ListDeliveriesByMessage(ctx(t), a.ID, second.ID, hookline.ListOptions{Limit: 10})
	must(t, err, "ListDeliveriesByMessage")
	if len(p.Items) != 2 {
		t.Fatalf("destinations after DeleteEndpoint: %d, want the deleted endpoint and the kept one", len(p.Items))
	}
	for _, v := range p.Items {
		if v.Endpoint.ID != doomed.ID {
			continue
		}
		got := v.Endpoint
		if got.URL != doomed.URL || got.Description != "going" || got.UID == nil || *got.UID != uid ||
			!got.CreatedAt.Equal(doomed.CreatedAt) || got.AppID != a.ID {
			t.Fatalf("the deleted endpoint as a destination: %+v, want it as it was (%+v)", got, doomed)
		}
		if len(got.Secret) != 0 || got.Headers != nil {
			t.Fatalf("the deleted endpoint as a destination shows its secret or headers: %+v", got)
		}
	}

	// The attempt in flight fails and would be retried: the retry is never
	// claimed, and the delivery fails.
	out := outcome(inflight, hookline.StatusPending, 500)
	out.NextAttemptAt = now.Add(time.Second).UTC().Truncate(time.Microsecond)
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{out}), "Complete")
	for _, task := range claim(t, s, "w", now.Add(time.Hour)) {
		if task.Endpoint.ID == doomed.ID {
			t.Fatal("claimed a delivery of a deleted endpoint")
		}
	}
	if d := delivery(t, s, a.ID, first.ID, doomed.ID); d.Status != hookline.StatusFail || d.Attempts != 1 {
		t.Fatalf("the delivery in flight at the deletion: %+v, want failed after its attempt", d)
	}
	attempts, err := s.ListAttemptsByMessage(ctx(t), a.ID, first.ID, hookline.AttemptFilter{ListOptions: hookline.ListOptions{Limit: 10}})
	must(t, err, "ListAttemptsByMessage")
	if len(attempts.Items) != 1 {
		t.Fatalf("attempts of the deleted endpoint: %d, want the one in flight", len(attempts.Items))
	}

	// Cleanup keeps the deleted endpoint while deliveries refer to it, and
	// a new endpoint may take its uid.
	_, err = s.Cleanup(ctx(t))
	must(t, err, "Cleanup")
	delivery(t, s, a.ID, second.ID, doomed.ID)
	newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) { e.UID = &uid })
	_ = kept

	// Deleting the application takes it all.
	must(t, s.DeleteApplication(ctx(t), a.ID), "DeleteApplication")
	if _, err := s.ListDeliveriesByMessage(ctx(t), a.ID, second.ID, hookline.ListOptions{Limit: 10}); hookline.ErrorCode(err) != hookline.ENOTFOUND {
		t.Fatalf("destinations after DeleteApplication: %v, want not found", err)
	}
}

func testCompleteDeferred(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID)
	m, _ := newMessage(t, s, a.ID, "x")
	must(t, s.Resend(ctx(t), a.ID, m.ID, ep.ID), "Resend") // a manual trigger, to be kept
	now := later()
	task := claimOne(t, s, "w", now)
	out := hookline.Outcome{
		DeliveryID: task.Delivery.ID, Status: hookline.StatusPending, Attempts: task.Delivery.Attempts,
		NextAttemptAt: now.Add(2 * time.Second).UTC().Truncate(time.Microsecond), Deferred: true,
		Attempt: hookline.Attempt{StatusCode: 999, DeliveryID: task.Delivery.ID}, // must not be logged
	}
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{out}), "Complete")
	d := delivery(t, s, a.ID, m.ID, ep.ID)
	if d.Status != hookline.StatusPending || d.Attempts != 0 || d.Trigger != hookline.TriggerManual ||
		d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(out.NextAttemptAt) {
		t.Fatalf("delivery after it was deferred %+v", d)
	}
	p, err := s.ListAttemptsByMessage(ctx(t), a.ID, m.ID, hookline.AttemptFilter{})
	must(t, err, "ListAttemptsByMessage")
	if len(p.Items) != 0 {
		t.Fatalf("a deferred delivery logged attempts %+v", p.Items)
	}
	if got := claim(t, s, "w", now.Add(time.Second)); len(got) != 0 {
		t.Fatal("claimed before the deferral ended")
	}
	task = claimOne(t, s, "w", now.Add(2*time.Second))
	if task.Delivery.Trigger != hookline.TriggerManual || task.Delivery.Attempts != 0 {
		t.Fatalf("task after the deferral %+v", task.Delivery)
	}
}

// testUpdateReleasesHeld: an update that changes an endpoint's URL, or
// enables it, makes the deliveries a dispatcher held back for it due at
// once and signals Due; another update, the endpoint's retries and other
// endpoints' held deliveries keep their time.
func testUpdateReleasesHeld(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID)
	other := newEndpoint(t, s, a.ID)
	held, _ := newMessage(t, s, a.ID, "x")
	retried, _ := newMessage(t, s, a.ID, "x")
	hour := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	// hold defers task for an hour, as an open breaker does.
	hold := func(task *hookline.Task) hookline.Outcome {
		return hookline.Outcome{DeliveryID: task.Delivery.ID, Status: hookline.StatusPending,
			Attempts: task.Delivery.Attempts, NextAttemptAt: hour, Deferred: true}
	}
	var outs []hookline.Outcome
	for _, task := range claim(t, s, "w", later()) {
		if task.Endpoint.ID == ep.ID && task.Delivery.MessageID == retried.ID {
			out := outcome(task, hookline.StatusPending, 503)
			out.NextAttemptAt = hour
			outs = append(outs, out)
		} else {
			outs = append(outs, hold(task))
		}
	}
	if len(outs) != 4 {
		t.Fatalf("claimed %d deliveries, want 4", len(outs))
	}
	must(t, s.Complete(ctx(t), "w", outs), "Complete")
	// kept fails t unless the deliveries but ep's held one are due in an
	// hour still.
	kept := func(what string) {
		t.Helper()
		for _, d := range []*hookline.Delivery{delivery(t, s, a.ID, retried.ID, ep.ID),
			delivery(t, s, a.ID, held.ID, other.ID), delivery(t, s, a.ID, retried.ID, other.ID)} {
			if d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(hour) {
				t.Fatalf("%s: the delivery of %s to %s is due at %v, want %v", what, d.MessageID, d.EndpointID, d.NextAttemptAt, hour)
			}
		}
	}
	// released fails t unless ep's held delivery, and it alone, is due
	// between from and now.
	released := func(from time.Time, what string) {
		t.Helper()
		now := time.Now()
		d := delivery(t, s, a.ID, held.ID, ep.ID)
		if d.NextAttemptAt == nil || d.NextAttemptAt.Before(from.Truncate(time.Microsecond)) || d.NextAttemptAt.After(now) {
			t.Fatalf("%s: the held delivery is due at %v, want in [%v, %v]", what, d.NextAttemptAt, from, now)
		}
		kept(what)
		if !Signalled(s) {
			t.Fatalf("%s did not signal Due", what)
		}
		task := claimOne(t, s, "w", now)
		if task.Delivery.MessageID != held.ID || task.Endpoint.ID != ep.ID {
			t.Fatalf("%s: claimed %s to %s, want the held delivery", what, task.Delivery.MessageID, task.Endpoint.ID)
		}
		must(t, s.Complete(ctx(t), "w", []hookline.Outcome{hold(task)}), "Complete")
	}

	ep.Description = "described"
	must(t, s.UpdateEndpoint(ctx(t), ep), "UpdateEndpoint: description")
	if got := claim(t, s, "w", later()); len(got) != 0 {
		t.Fatalf("claimed %d deliveries after a change of the description, want none", len(got))
	}
	kept("a change of the description")

	Drain(s)
	from := time.Now()
	ep.URL = "https://example.com/" + uniq("moved")
	must(t, s.UpdateEndpoint(ctx(t), ep), "UpdateEndpoint: URL")
	released(from, "a change of the URL")

	ep.Disabled = true
	must(t, s.UpdateEndpoint(ctx(t), ep), "UpdateEndpoint: disable")
	Drain(s)
	from = time.Now()
	ep.Disabled = false
	must(t, s.UpdateEndpoint(ctx(t), ep), "UpdateEndpoint: enable")
	released(from, "enabling the endpoint")
}

func testEndpointFailing(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID)
	first := time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
	got, err := s.MarkFailing(ctx(t), a.ID, ep.ID, first)
	must(t, err, "MarkFailing")
	if !got.Equal(first) {
		t.Fatalf("MarkFailing = %v, want %v", got, first)
	}
	// A later failure keeps the first time.
	if got, err = s.MarkFailing(ctx(t), a.ID, ep.ID, time.Now()); err != nil || !got.Equal(first) {
		t.Fatalf("second MarkFailing = %v, %v; want %v", got, err, first)
	}
	must(t, s.ClearFailing(ctx(t), a.ID, ep.ID), "ClearFailing")
	now := time.Now().UTC().Truncate(time.Microsecond)
	if got, err = s.MarkFailing(ctx(t), a.ID, ep.ID, now); err != nil || !got.Equal(now) {
		t.Fatalf("MarkFailing after ClearFailing = %v, %v; want %v", got, err, now)
	}
	// Another application's endpoint is not found, and is not changed.
	other := newApp(t, s)
	_, err = s.MarkFailing(ctx(t), other.ID, ep.ID, time.Now())
	wantCode(t, err, hookline.ENOTFOUND, "MarkFailing of another application's endpoint")
	must(t, s.ClearFailing(ctx(t), other.ID, ep.ID), "ClearFailing of another application's endpoint")
	if got, err = s.MarkFailing(ctx(t), a.ID, ep.ID, time.Now()); err != nil || !got.Equal(now) {
		t.Fatalf("after another application's ClearFailing: %v, %v; want %v", got, err, now)
	}
}

// testClaimAppThrottle: a claimed task carries its application's
// throttleRate, as it is when claimed.
func testClaimAppThrottle(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	newEndpoint(t, s, a.ID)
	newMessage(t, s, a.ID, "x")
	if task := claimOne(t, s, "w", later()); task.AppThrottleRate != nil {
		t.Fatalf("AppThrottleRate of an unthrottled application: %d", *task.AppThrottleRate)
	}
	a.ThrottleRate = ptr(7)
	must(t, s.UpdateApplication(ctx(t), a), "UpdateApplication")
	newMessage(t, s, a.ID, "x")
	task := claimOne(t, s, "w", later())
	if task.AppThrottleRate == nil || *task.AppThrottleRate != 7 {
		t.Fatalf("AppThrottleRate = %v, want 7", task.AppThrottleRate)
	}
	a.ThrottleRate = ptr(9)
	must(t, s.UpdateApplication(ctx(t), a), "UpdateApplication")
	newMessage(t, s, a.ID, "x")
	if task := claimOne(t, s, "w", later()); task.AppThrottleRate == nil || *task.AppThrottleRate != 9 {
		t.Fatalf("AppThrottleRate after a change = %v, want 9", task.AppThrottleRate)
	}
}
