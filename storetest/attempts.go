package storetest

import (
	"sort"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// taskOf finds the task of msg to ep.
func taskOf(t *testing.T, tasks []*hookline.Task, msgID, epID string) *hookline.Task {
	t.Helper()
	for _, task := range tasks {
		if task.Delivery.MessageID == msgID && task.Delivery.EndpointID == epID {
			return task
		}
	}
	t.Fatalf("no task of %s to %s among %d", msgID, epID, len(tasks))
	return nil
}

func testAttemptGetAndExpunge(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID)
	m, _ := newMessage(t, s, a.ID, "x")
	t0 := later()
	task := claimOne(t, s, "w", t0)
	out := outcome(task, hookline.StatusPending, 500)
	out.Attempt.ID = hookline.NewID(hookline.PrefixAttempt)
	out.Attempt.CreatedAt = t0.UTC().Truncate(time.Microsecond)
	out.NextAttemptAt = t0.Add(time.Minute)
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{out}), "Complete")

	got, err := s.Attempt(ctx(t), a.ID, m.ID, out.Attempt.ID)
	must(t, err, "Attempt")
	same(t, got, &out.Attempt, "Attempt")
	if got.URL != ep.URL || got.StatusCode != 500 || got.Status != hookline.StatusFail || got.DeliveryID != task.Delivery.ID {
		t.Fatalf("attempt %+v", got)
	}
	p, err := s.ListAttemptsByMessage(ctx(t), a.ID, m.ID, hookline.AttemptFilter{})
	must(t, err, "ListAttemptsByMessage")
	if len(p.Items) != 1 {
		t.Fatalf("%d attempts, want 1", len(p.Items))
	}
	same(t, p.Items[0], got, "listed attempt")

	must(t, s.ExpungeAttemptContent(ctx(t), a.ID, m.ID, out.Attempt.ID), "ExpungeAttemptContent")
	got, err = s.Attempt(ctx(t), a.ID, m.ID, out.Attempt.ID)
	must(t, err, "Attempt")
	if got.Response != hookline.ExpungedResponse {
		t.Fatalf("expunged response reads back %q, want %q", got.Response, hookline.ExpungedResponse)
	}
	if got.StatusCode != 500 {
		t.Fatal("expunge changed more than the response")
	}

	missing := hookline.NewID(hookline.PrefixAttempt)
	_, err = s.Attempt(ctx(t), a.ID, m.ID, missing)
	wantCode(t, err, hookline.ENOTFOUND, "Attempt of a missing id")
	wantCode(t, s.ExpungeAttemptContent(ctx(t), a.ID, m.ID, missing), hookline.ENOTFOUND, "ExpungeAttemptContent of a missing id")
	other, _ := newMessage(t, s, a.ID, "x")
	_, err = s.Attempt(ctx(t), a.ID, other.ID, out.Attempt.ID)
	wantCode(t, err, hookline.ENOTFOUND, "Attempt under another message")
}

// attemptWorld makes six attempts on two messages and two endpoints:
//
//	0: m1 → ep1 200 success      3: m2 → ep2 404 fail
//	1: m1 → ep2 500 fail         4: m1 → ep2 201 success
//	2: m2 → ep1 no response      5: m2 → ep1 503 fail
//
// m1 is an "a" on channel eu, m2 a "b" on channel us tagged vip. Attempt
// i is made at base+i minutes.
type attemptWorld struct {
	app      *hookline.Application
	ep1, ep2 *hookline.Endpoint
	m1, m2   *hookline.Message
	ids      [6]string
	base     time.Time
}

func newAttemptWorld(t *testing.T, s hookline.Store) *attemptWorld {
	w := &attemptWorld{app: newApp(t, s)}
	w.ep1, w.ep2 = newEndpoint(t, s, w.app.ID), newEndpoint(t, s, w.app.ID)
	w.m1, _ = newMessage(t, s, w.app.ID, "a", func(m *hookline.Message) { m.Channels = []string{"eu"} })
	w.m2, _ = newMessage(t, s, w.app.ID, "b", func(m *hookline.Message) { m.Channels, m.Tags = []string{"us"}, []string{"vip"} })
	w.base = time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	t0 := later()
	tasks := claim(t, s, "w", t0)
	if len(tasks) != 4 {
		t.Fatalf("claimed %d, want 4", len(tasks))
	}
	mk := func(i int, task *hookline.Task, status hookline.Status, code int) hookline.Outcome {
		o := outcome(task, status, code)
		if status == hookline.StatusPending {
			o.Attempt.Status = hookline.StatusFail
			o.NextAttemptAt = t0.Add(time.Minute)
		}
		w.ids[i] = hookline.NewID(hookline.PrefixAttempt)
		o.Attempt.ID = w.ids[i]
		o.Attempt.CreatedAt = w.base.Add(time.Duration(i) * time.Minute)
		return o
	}
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{
		mk(0, taskOf(t, tasks, w.m1.ID, w.ep1.ID), hookline.StatusSuccess, 200),
		mk(1, taskOf(t, tasks, w.m1.ID, w.ep2.ID), hookline.StatusPending, 500),
		mk(2, taskOf(t, tasks, w.m2.ID, w.ep1.ID), hookline.StatusPending, 0),
		mk(3, taskOf(t, tasks, w.m2.ID, w.ep2.ID), hookline.StatusFail, 404),
	}), "Complete")
	tasks = claim(t, s, "w", t0.Add(2*time.Minute))
	if len(tasks) != 2 {
		t.Fatalf("claimed %d retries, want 2", len(tasks))
	}
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{
		mk(4, taskOf(t, tasks, w.m1.ID, w.ep2.ID), hookline.StatusSuccess, 201),
		mk(5, taskOf(t, tasks, w.m2.ID, w.ep1.ID), hookline.StatusFail, 503),
	}), "Complete")
	return w
}

func (w *attemptWorld) want(is ...int) []string {
	out := []string{}
	for _, i := range is {
		out = append(out, w.ids[i])
	}
	sort.Strings(out)
	return out
}

func testAttemptListFilters(t *testing.T, s hookline.Store) {
	w := newAttemptWorld(t, s)
	at := func(i int) *time.Time { v := w.base.Add(time.Duration(i) * time.Minute); return &v }
	success, fail := hookline.StatusSuccess, hookline.StatusFail
	c0, c200, c400, c500 := 0, 200, 400, 500
	key := func(a *hookline.Attempt) string { return a.ID }

	for _, tc := range []struct {
		name string
		f    hookline.AttemptFilter
		ep1  []int // attempts to ep1
		m1   []int // attempts for m1
	}{
		{"none", hookline.AttemptFilter{}, []int{0, 2, 5}, []int{0, 1, 4}},
		{"success", hookline.AttemptFilter{Status: &success}, []int{0}, []int{0, 4}},
		{"fail", hookline.AttemptFilter{Status: &fail}, []int{2, 5}, []int{1}},
		{"no response", hookline.AttemptFilter{StatusCodeClass: &c0}, []int{2}, nil},
		{"2xx", hookline.AttemptFilter{StatusCodeClass: &c200}, []int{0}, []int{0, 4}},
		{"4xx", hookline.AttemptFilter{StatusCodeClass: &c400}, nil, nil},
		{"5xx", hookline.AttemptFilter{StatusCodeClass: &c500}, []int{5}, []int{1}},
		{"channel eu", hookline.AttemptFilter{Channel: "eu"}, []int{0}, []int{0, 1, 4}},
		{"channel us", hookline.AttemptFilter{Channel: "us"}, []int{2, 5}, nil},
		{"type b", hookline.AttemptFilter{EventTypes: []string{"b"}}, []int{2, 5}, nil},
		{"tag vip", hookline.AttemptFilter{Tag: "vip"}, []int{2, 5}, nil},
		{"tag vip 5xx", hookline.AttemptFilter{Tag: "vip", StatusCodeClass: &c500}, []int{5}, nil},
		{"tag other", hookline.AttemptFilter{Tag: "other"}, nil, nil},
		{"types a b", hookline.AttemptFilter{EventTypes: []string{"a", "b"}}, []int{0, 2, 5}, []int{0, 1, 4}},
		{"before 2", hookline.AttemptFilter{Before: at(2)}, []int{0}, []int{0, 1}},
		{"after 2 (at 2 included)", hookline.AttemptFilter{After: at(2)}, []int{2, 5}, []int{4}},
		{"after 0 before 5", hookline.AttemptFilter{After: at(0), Before: at(5)}, []int{0, 2}, []int{0, 1, 4}},
		{"fail 5xx", hookline.AttemptFilter{Status: &fail, StatusCodeClass: &c500}, []int{5}, []int{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkPages(t, w.want(tc.ep1...), key, func(o hookline.ListOptions) (hookline.Page[*hookline.Attempt], error) {
				f := tc.f
				f.ListOptions = o
				return s.ListAttemptsByEndpoint(ctx(t), w.app.ID, w.ep1.ID, f)
			})
			checkPages(t, w.want(tc.m1...), key, func(o hookline.ListOptions) (hookline.Page[*hookline.Attempt], error) {
				f := tc.f
				f.ListOptions = o
				return s.ListAttemptsByMessage(ctx(t), w.app.ID, w.m1.ID, f)
			})
		})
	}
	// EndpointID narrows the attempts of a message.
	checkPages(t, w.want(1, 4), key, func(o hookline.ListOptions) (hookline.Page[*hookline.Attempt], error) {
		return s.ListAttemptsByMessage(ctx(t), w.app.ID, w.m1.ID, hookline.AttemptFilter{ListOptions: o, EndpointID: w.ep2.ID})
	})
	checkPages(t, w.want(3), key, func(o hookline.ListOptions) (hookline.Page[*hookline.Attempt], error) {
		return s.ListAttemptsByMessage(ctx(t), w.app.ID, w.m2.ID, hookline.AttemptFilter{ListOptions: o, EndpointID: w.ep2.ID, Status: &fail})
	})
}

func testAttemptListPagination(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID)
	m, _ := newMessage(t, s, a.ID, "x")
	now := later()
	want := []string{}
	for i := range 7 {
		task := claimOne(t, s, "w", now)
		if task.Delivery.Attempts != i {
			t.Fatalf("task after %d attempts says %d", i, task.Delivery.Attempts)
		}
		o := outcome(task, hookline.StatusPending, 500)
		o.NextAttemptAt = now.Add(time.Second)
		o.Attempt.ID = hookline.NewID(hookline.PrefixAttempt)
		want = append(want, o.Attempt.ID)
		must(t, s.Complete(ctx(t), "w", []hookline.Outcome{o}), "Complete")
		now = now.Add(2 * time.Second)
	}
	sort.Strings(want)
	key := func(a *hookline.Attempt) string { return a.ID }
	checkPages(t, want, key, func(o hookline.ListOptions) (hookline.Page[*hookline.Attempt], error) {
		return s.ListAttemptsByMessage(ctx(t), a.ID, m.ID, hookline.AttemptFilter{ListOptions: o})
	})
	checkPages(t, want, key, func(o hookline.ListOptions) (hookline.Page[*hookline.Attempt], error) {
		return s.ListAttemptsByEndpoint(ctx(t), a.ID, ep.ID, hookline.AttemptFilter{ListOptions: o})
	})
}

func testDeliveriesByMessage(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	var want []string
	eps := map[string]*hookline.Endpoint{}
	for range 5 {
		ep := newEndpoint(t, s, a.ID)
		want = append(want, ep.ID)
		eps[ep.ID] = ep
	}
	sort.Strings(want)
	m, n := newMessage(t, s, a.ID, "x")
	if n != 5 {
		t.Fatalf("%d deliveries, want 5", n)
	}
	checkPages(t, want, func(v *hookline.DeliveryView) string { return v.Endpoint.ID },
		func(o hookline.ListOptions) (hookline.Page[*hookline.DeliveryView], error) {
			return s.ListDeliveriesByMessage(ctx(t), a.ID, m.ID, o)
		})
	p, err := s.ListDeliveriesByMessage(ctx(t), a.ID, m.ID, hookline.ListOptions{Limit: 10})
	must(t, err, "ListDeliveriesByMessage")
	ids := map[string]bool{}
	for _, v := range p.Items {
		shown := *eps[v.Endpoint.ID]
		shown.Secret = nil // a destination shows no secret
		same(t, v.Endpoint, &shown, "endpoint of a delivery")
		d := v.Delivery
		if d.AppID != a.ID || d.MessageID != m.ID || d.EndpointID != v.Endpoint.ID || d.Status != hookline.StatusPending ||
			d.CreatedAt.IsZero() || d.UpdatedAt.IsZero() || len(d.ID) <= len(hookline.PrefixDelivery) ||
			d.ID[:len(hookline.PrefixDelivery)] != hookline.PrefixDelivery || ids[d.ID] {
			t.Fatalf("delivery %+v", d)
		}
		ids[d.ID] = true
	}
	// States show: one success, one sending, one failed, one retrying.
	now := later()
	tasks := claim(t, s, "w", now)
	if len(tasks) != 5 {
		t.Fatalf("claimed %d, want 5", len(tasks))
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].Delivery.EndpointID < tasks[j].Delivery.EndpointID })
	retry := outcome(tasks[3], hookline.StatusPending, 500)
	retry.NextAttemptAt = now.Add(time.Hour).UTC().Truncate(time.Microsecond)
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{
		outcome(tasks[0], hookline.StatusSuccess, 200),
		outcome(tasks[2], hookline.StatusFail, 400),
		retry,
	}), "Complete")
	p, err = s.ListDeliveriesByMessage(ctx(t), a.ID, m.ID, hookline.ListOptions{Limit: 10})
	must(t, err, "ListDeliveriesByMessage")
	for i, want := range []hookline.Status{hookline.StatusSuccess, hookline.StatusSending, hookline.StatusFail,
		hookline.StatusPending, hookline.StatusSending} {
		d := p.Items[i].Delivery
		if d.Status != want {
			t.Fatalf("delivery %d: status %v, want %v", i, d.Status, want)
		}
		wantAttempts := 1
		if want == hookline.StatusSending {
			wantAttempts = 0
		}
		if d.Attempts != wantAttempts {
			t.Fatalf("delivery %d: %d attempts, want %d", i, d.Attempts, wantAttempts)
		}
		if (want == hookline.StatusPending) != (d.NextAttemptAt != nil) {
			t.Fatalf("delivery %d (%v): NextAttemptAt %v", i, want, d.NextAttemptAt)
		}
	}
	if !p.Items[3].Delivery.NextAttemptAt.Equal(retry.NextAttemptAt) {
		t.Fatalf("NextAttemptAt %v, want %v", p.Items[3].Delivery.NextAttemptAt, retry.NextAttemptAt)
	}
}

func testMessagesByEndpoint(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) { e.EventTypes = []string{"a", "b", "c"} })
	base := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	specs := []struct {
		eventType string
		channels  []string
	}{
		{"a", []string{"eu"}}, {"b", nil}, {"a", []string{"us"}}, {"c", []string{"eu", "us"}}, {"b", []string{"eu"}}, {"a", nil},
	}
	var msgs []*hookline.Message
	for i, sp := range specs {
		m, _ := newMessage(t, s, a.ID, sp.eventType, func(m *hookline.Message) {
			m.Channels = sp.channels
			if i%2 == 1 {
				m.Tags = []string{"vip"}
			}
			m.CreatedAt = base.Add(time.Duration(i) * time.Minute)
		})
		msgs = append(msgs, m)
	}
	// Another endpoint's deliveries stay out.
	other := newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) { e.EventTypes = []string{"z"} })
	newMessage(t, s, a.ID, "z")
	_ = other
	// 0 and 3 succeed, 1 fails, 5 fails and waits for its retry (shown
	// sending: see Delivery.ShownStatus), 2 and 4 stay pending.
	now := later()
	tasks := claim(t, s, "w", now)
	var outs []hookline.Outcome
	for _, task := range tasks {
		switch task.Delivery.MessageID {
		case msgs[0].ID, msgs[3].ID:
			outs = append(outs, outcome(task, hookline.StatusSuccess, 200))
		case msgs[1].ID:
			outs = append(outs, outcome(task, hookline.StatusFail, 400))
		case msgs[5].ID:
			o := outcome(task, hookline.StatusPending, 500)
			o.NextAttemptAt = now.Add(time.Hour)
			outs = append(outs, o)
		}
	}
	must(t, s.Complete(ctx(t), "w", outs), "Complete")
	must(t, s.Release(ctx(t), "w"), "Release")

	at := func(i int) *time.Time { v := base.Add(time.Duration(i) * time.Minute); return &v }
	success, pending, fail, sending := hookline.StatusSuccess, hookline.StatusPending, hookline.StatusFail, hookline.StatusSending
	for _, tc := range []struct {
		name string
		f    hookline.EndpointMessageFilter
		want []int
	}{
		{"none", hookline.EndpointMessageFilter{}, []int{0, 1, 2, 3, 4, 5}},
		{"success", hookline.EndpointMessageFilter{Status: &success}, []int{0, 3}},
		{"pending", hookline.EndpointMessageFilter{Status: &pending}, []int{2, 4}},
		{"sending", hookline.EndpointMessageFilter{Status: &sending}, []int{5}},
		{"fail", hookline.EndpointMessageFilter{Status: &fail}, []int{1}},
		{"channel eu", hookline.EndpointMessageFilter{Channel: "eu"}, []int{0, 3, 4}},
		{"tag vip", hookline.EndpointMessageFilter{Tag: "vip"}, []int{1, 3, 5}},
		{"tag vip channel eu", hookline.EndpointMessageFilter{Tag: "vip", Channel: "eu"}, []int{3}},
		{"type a", hookline.EndpointMessageFilter{EventTypes: []string{"a"}}, []int{0, 2, 5}},
		{"types b c", hookline.EndpointMessageFilter{EventTypes: []string{"b", "c"}}, []int{1, 3, 4}},
		{"before 3", hookline.EndpointMessageFilter{Before: at(3)}, []int{0, 1, 2}},
		{"after 3 (at 3 included)", hookline.EndpointMessageFilter{After: at(3)}, []int{3, 4, 5}},
		{"pending eu after 0", hookline.EndpointMessageFilter{Status: &pending, Channel: "eu", After: at(0)}, []int{4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := []string{}
			for _, i := range tc.want {
				want = append(want, msgs[i].ID)
			}
			sort.Strings(want)
			checkPages(t, want, func(em *hookline.EndpointMessage) string { return em.Message.ID },
				func(o hookline.ListOptions) (hookline.Page[*hookline.EndpointMessage], error) {
					f := tc.f
					f.ListOptions = o
					return s.ListMessagesByEndpoint(ctx(t), a.ID, ep.ID, f)
				})
		})
	}
	p, err := s.ListMessagesByEndpoint(ctx(t), a.ID, ep.ID, hookline.EndpointMessageFilter{ListOptions: hookline.ListOptions{Limit: 10}})
	must(t, err, "ListMessagesByEndpoint")
	for _, em := range p.Items {
		got, err := s.Message(ctx(t), a.ID, em.Message.ID)
		must(t, err, "Message")
		same(t, &em.Message, got, "message of an endpoint")
		if em.Delivery.EndpointID != ep.ID || em.Delivery.MessageID != em.Message.ID {
			t.Fatalf("delivery %+v with message %s", em.Delivery, em.Message.ID)
		}
	}
}

func testEndpointStats(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID)
	base := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	st, err := s.EndpointStats(ctx(t), a.ID, ep.ID, nil, nil)
	must(t, err, "EndpointStats")
	same(t, st, &hookline.EndpointStats{}, "stats of a new endpoint")
	var msgs []*hookline.Message
	for i := range 6 {
		m, _ := newMessage(t, s, a.ID, "x", func(m *hookline.Message) { m.CreatedAt = base.Add(time.Duration(i) * time.Minute) })
		msgs = append(msgs, m)
	}
	// 0 1 succeed, 2 fails, 3 sending (leased), 4 5 sending (a retry
	// waits: see Delivery.ShownStatus).
	now := later()
	tasks := claim(t, s, "w", now)
	var outs []hookline.Outcome
	for _, task := range tasks {
		switch task.Delivery.MessageID {
		case msgs[0].ID, msgs[1].ID:
			outs = append(outs, outcome(task, hookline.StatusSuccess, 200))
		case msgs[2].ID:
			outs = append(outs, outcome(task, hookline.StatusFail, 400))
		case msgs[4].ID, msgs[5].ID:
			o := outcome(task, hookline.StatusPending, 500)
			o.NextAttemptAt = now.Add(time.Hour)
			outs = append(outs, o)
		}
	}
	must(t, s.Complete(ctx(t), "w", outs), "Complete")
	st, err = s.EndpointStats(ctx(t), a.ID, ep.ID, nil, nil)
	must(t, err, "EndpointStats")
	same(t, st, &hookline.EndpointStats{Success: 2, Fail: 1, Sending: 3}, "stats")
	since, until := base.Add(time.Minute), base.Add(4*time.Minute)
	st, err = s.EndpointStats(ctx(t), a.ID, ep.ID, &since, &until)
	must(t, err, "EndpointStats in a window")
	same(t, st, &hookline.EndpointStats{Success: 1, Fail: 1, Sending: 1}, "stats of messages 1 to 3")
	st, err = s.EndpointStats(ctx(t), a.ID, ep.ID, &until, nil)
	must(t, err, "EndpointStats since")
	same(t, st, &hookline.EndpointStats{Sending: 2}, "stats since message 4")
	st, err = s.EndpointStats(ctx(t), a.ID, ep.ID, nil, &since)
	must(t, err, "EndpointStats until")
	same(t, st, &hookline.EndpointStats{Success: 1}, "stats until message 1")
}
