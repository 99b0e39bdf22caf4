package storetest

import (
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

func testMessageCreateAndGet(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	m := &hookline.Message{
		AppID:     a.ID,
		EventType: "user.created",
		EventID:   ptr("evt-1"),
		Channels:  []string{"eu", "vip"},
		Tags:      []string{"t1"},
		Payload:   json.RawMessage(`{"id": 1,  "name":"x"}`),
		ExpiresAt: time.Now().Add(30 * 24 * time.Hour),
	}
	n, err := s.CreateMessage(ctx(t), m)
	must(t, err, "CreateMessage")
	if n != 0 {
		t.Fatalf("CreateMessage without endpoints made %d deliveries", n)
	}
	if m.ID == "" || m.CreatedAt.IsZero() {
		t.Fatal("id or CreatedAt unset")
	}
	got, err := s.Message(ctx(t), a.ID, m.ID)
	must(t, err, "Message by id")
	same(t, got, m, "Message by id")
	if string(got.Payload) != `{"id": 1,  "name":"x"}` {
		t.Fatalf("payload changed: %s", got.Payload)
	}
	got, err = s.Message(ctx(t), a.ID, "evt-1")
	must(t, err, "Message by eventId")
	same(t, got, m, "Message by eventId")

	bare, _ := newMessage(t, s, a.ID, "x")
	got, err = s.Message(ctx(t), a.ID, bare.ID)
	must(t, err, "Message")
	if got.EventID != nil || got.Channels != nil || got.Tags != nil || got.DeliverAt != nil {
		t.Fatalf("bare message reads back %+v", got)
	}
	same(t, got, bare, "bare Message")

	_, err = s.Message(ctx(t), a.ID, hookline.NewID(hookline.PrefixMessage))
	wantCode(t, err, hookline.ENOTFOUND, "Message of a missing id")
	_, err = s.Message(ctx(t), a.ID, "evt-2")
	wantCode(t, err, hookline.ENOTFOUND, "Message of a missing eventId")
	wantCode(t, s.ExpungeMessageContent(ctx(t), a.ID, hookline.NewID(hookline.PrefixMessage)), hookline.ENOTFOUND,
		"ExpungeMessageContent of a missing message")
	_, err = s.ListAttemptsByMessage(ctx(t), a.ID, hookline.NewID(hookline.PrefixMessage), hookline.AttemptFilter{})
	wantCode(t, err, hookline.ENOTFOUND, "ListAttemptsByMessage of a missing message")
	_, err = s.ListDeliveriesByMessage(ctx(t), a.ID, hookline.NewID(hookline.PrefixMessage), hookline.ListOptions{})
	wantCode(t, err, hookline.ENOTFOUND, "ListDeliveriesByMessage of a missing message")
}

func testMessageEventIDConflict(t *testing.T, s hookline.Store) {
	a, b := newApp(t, s), newApp(t, s)
	newEndpoint(t, s, a.ID)
	first, n := newMessage(t, s, a.ID, "x", func(m *hookline.Message) { m.EventID = ptr("once") })
	if n != 1 {
		t.Fatalf("%d deliveries, want 1", n)
	}
	dup := &hookline.Message{AppID: a.ID, EventType: "x", EventID: ptr("once"), Payload: []byte(`{}`)}
	n, err := s.CreateMessage(ctx(t), dup)
	wantCode(t, err, hookline.ECONFLICT, "CreateMessage with a taken eventId")
	if n != 0 {
		t.Fatalf("a conflicting CreateMessage reports %d deliveries", n)
	}
	// Nothing of the failed message stays: one message, one delivery.
	p, err := s.ListMessages(ctx(t), a.ID, hookline.MessageFilter{})
	must(t, err, "ListMessages")
	if len(p.Items) != 1 || p.Items[0].ID != first.ID {
		t.Fatalf("after a conflict the application lists %d messages", len(p.Items))
	}
	if tasks := claim(t, s, "w", later()); len(tasks) != 1 {
		t.Fatalf("after a conflict %d deliveries are due, want 1", len(tasks))
	}
	// eventIds are per application.
	newMessage(t, s, b.ID, "x", func(m *hookline.Message) { m.EventID = ptr("once") })
}

func testMessageFanOut(t *testing.T, s hookline.Store) {
	a, other := newApp(t, s), newApp(t, s)
	all := newEndpoint(t, s, a.ID)
	created := newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) { e.EventTypes = []string{"user.created"} })
	deleted := newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) { e.EventTypes = []string{"user.deleted", "user.banned"} })
	eu := newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) { e.Channels = []string{"eu"} })
	euCreated := newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) {
		e.Channels = []string{"eu", "asia"}
		e.EventTypes = []string{"user.created"}
	})
	newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) { e.Disabled = true })
	newEndpoint(t, s, other.ID) // another application's endpoint never gets a delivery

	for _, tc := range []struct {
		eventType string
		channels  []string
		want      []*hookline.Endpoint
	}{
		{"user.created", nil, []*hookline.Endpoint{all, created}},
		{"user.deleted", nil, []*hookline.Endpoint{all, deleted}},
		{"user.banned", []string{"us"}, []*hookline.Endpoint{all, deleted}},
		{"user.created", []string{"eu"}, []*hookline.Endpoint{all, created, eu, euCreated}},
		{"user.created", []string{"us", "asia"}, []*hookline.Endpoint{all, created, euCreated}},
		{"other", []string{"eu"}, []*hookline.Endpoint{all, eu}},
	} {
		m, n := newMessage(t, s, a.ID, tc.eventType, func(m *hookline.Message) { m.Channels = tc.channels })
		var want, got []string
		for _, e := range tc.want {
			want = append(want, e.ID)
		}
		sort.Strings(want)
		if n != len(want) {
			t.Fatalf("%s on %v: %d deliveries, want %d", tc.eventType, tc.channels, n, len(want))
		}
		p, err := s.ListDeliveriesByMessage(ctx(t), a.ID, m.ID, hookline.ListOptions{Limit: 50})
		must(t, err, "ListDeliveriesByMessage")
		for _, v := range p.Items {
			got = append(got, v.Endpoint.ID)
			if v.Delivery.Status != hookline.StatusPending || v.Delivery.Attempts != 0 ||
				v.Delivery.Trigger != hookline.TriggerScheduled || v.Delivery.NextAttemptAt == nil {
				t.Fatalf("new delivery %+v", v.Delivery)
			}
		}
		same(t, got, want, "endpoints of "+tc.eventType)
	}

	// An endpoint made or changed later takes part at once.
	late := newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) { e.EventTypes = []string{"late"} })
	if _, n := newMessage(t, s, a.ID, "late"); n != 2 {
		t.Fatalf("after CreateEndpoint: %d deliveries, want 2", n)
	}
	late.EventTypes = []string{"later"}
	must(t, s.UpdateEndpoint(ctx(t), late), "UpdateEndpoint")
	if _, n := newMessage(t, s, a.ID, "late"); n != 1 {
		t.Fatalf("after UpdateEndpoint: %d deliveries, want 1", n)
	}
	all.Disabled = true
	must(t, s.UpdateEndpoint(ctx(t), all), "UpdateEndpoint")
	if _, n := newMessage(t, s, a.ID, "later"); n != 1 {
		t.Fatalf("after disabling: %d deliveries, want 1", n)
	}
	must(t, s.DeleteEndpoint(ctx(t), a.ID, late.ID), "DeleteEndpoint")
	if _, n := newMessage(t, s, a.ID, "later"); n != 0 {
		t.Fatalf("after DeleteEndpoint: %d deliveries, want 0", n)
	}
}

func testMessageOnlyEndpoint(t *testing.T, s hookline.Store) {
	a, b := newApp(t, s), newApp(t, s)
	newEndpoint(t, s, a.ID)
	picky := newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) {
		e.EventTypes = []string{"never"}
		e.Channels = []string{"nowhere"}
	})
	m, n := newMessage(t, s, a.ID, "example", func(m *hookline.Message) { m.OnlyEndpoint = picky.ID })
	if n != 1 {
		t.Fatalf("OnlyEndpoint: %d deliveries, want 1", n)
	}
	p, err := s.ListDeliveriesByMessage(ctx(t), a.ID, m.ID, hookline.ListOptions{Limit: 10})
	must(t, err, "ListDeliveriesByMessage")
	if len(p.Items) != 1 || p.Items[0].Endpoint.ID != picky.ID {
		t.Fatalf("OnlyEndpoint delivered to %+v", p.Items)
	}
	got, err := s.Message(ctx(t), a.ID, m.ID)
	must(t, err, "Message")
	if got.OnlyEndpoint != "" {
		t.Fatal("OnlyEndpoint was stored")
	}
	other := newEndpoint(t, s, b.ID)
	_, err = s.CreateMessage(ctx(t), &hookline.Message{AppID: a.ID, EventType: "x", Payload: []byte(`{}`), OnlyEndpoint: other.ID})
	wantCode(t, err, hookline.ENOTFOUND, "OnlyEndpoint of another application")
}

func testMessageDeliverAt(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID)
	at := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	m, n := newMessage(t, s, a.ID, "x", func(m *hookline.Message) { m.DeliverAt = &at })
	if n != 1 {
		t.Fatalf("%d deliveries, want 1", n)
	}
	d := delivery(t, s, a.ID, m.ID, ep.ID)
	if d.Status != hookline.StatusPending || d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(at) {
		t.Fatalf("delivery of a message with DeliverAt %v: %+v", at, d)
	}
	if tasks := claim(t, s, "w", later()); len(tasks) != 0 {
		t.Fatalf("claimed %d deliveries before DeliverAt", len(tasks))
	}
	next, ok, err := s.NextDue(ctx(t))
	must(t, err, "NextDue")
	if !ok || !next.Equal(at) {
		t.Fatalf("NextDue = %v, %v; want %v", next, ok, at)
	}
	task := claimOne(t, s, "w", at)
	if task.Message.DeliverAt == nil || !task.Message.DeliverAt.Equal(at) {
		t.Fatalf("task message DeliverAt = %v", task.Message.DeliverAt)
	}
}

func testMessageList(t *testing.T, s hookline.Store) {
	a, b := newApp(t, s), newApp(t, s)
	var want []string
	for i := range 9 {
		m, _ := newMessage(t, s, a.ID, "x")
		want = append(want, m.ID)
		if i%3 == 0 {
			newMessage(t, s, b.ID, "x")
		}
	}
	sort.Strings(want)
	checkPages(t, want, func(m *hookline.Message) string { return m.ID },
		func(o hookline.ListOptions) (hookline.Page[*hookline.Message], error) {
			return s.ListMessages(ctx(t), a.ID, hookline.MessageFilter{ListOptions: o})
		})
	p, err := s.ListMessages(ctx(t), a.ID, hookline.MessageFilter{ListOptions: hookline.ListOptions{Limit: 1}})
	must(t, err, "ListMessages")
	got, err := s.Message(ctx(t), a.ID, p.Items[0].ID)
	must(t, err, "Message")
	same(t, p.Items[0], got, "listed message")
}

func testMessageListFilters(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	base := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	type spec struct {
		eventType string
		channels  []string
		tags      []string
	}
	specs := []spec{
		{"a", nil, nil},
		{"b", []string{"eu"}, []string{"red"}},
		{"a", []string{"us", "eu"}, []string{"blue"}},
		{"c", []string{"us"}, []string{"red", "blue"}},
		{"b", nil, []string{"green"}},
	}
	var ids []string
	for i, sp := range specs {
		m, _ := newMessage(t, s, a.ID, sp.eventType, func(m *hookline.Message) {
			m.Channels, m.Tags = sp.channels, sp.tags
			m.CreatedAt = base.Add(time.Duration(i) * time.Minute)
		})
		ids = append(ids, m.ID)
	}
	at := func(i int) *time.Time { v := base.Add(time.Duration(i) * time.Minute); return &v }
	for _, tc := range []struct {
		name string
		f    hookline.MessageFilter
		want []int
	}{
		{"none", hookline.MessageFilter{}, []int{0, 1, 2, 3, 4}},
		{"channel eu", hookline.MessageFilter{Channel: "eu"}, []int{1, 2}},
		{"channel us", hookline.MessageFilter{Channel: "us"}, []int{2, 3}},
		{"channel none", hookline.MessageFilter{Channel: "asia"}, nil},
		{"tag red", hookline.MessageFilter{Tag: "red"}, []int{1, 3}},
		{"tag blue", hookline.MessageFilter{Tag: "blue"}, []int{2, 3}},
		{"type a", hookline.MessageFilter{EventTypes: []string{"a"}}, []int{0, 2}},
		{"types b c", hookline.MessageFilter{EventTypes: []string{"b", "c"}}, []int{1, 3, 4}},
		{"before 2", hookline.MessageFilter{Before: at(2)}, []int{0, 1}},
		{"after 2 (at 2 included)", hookline.MessageFilter{After: at(2)}, []int{2, 3, 4}},
		{"after 0 before 4", hookline.MessageFilter{After: at(0), Before: at(4)}, []int{0, 1, 2, 3}},
		{"type b channel eu", hookline.MessageFilter{EventTypes: []string{"b"}, Channel: "eu"}, []int{1}},
		{"tag blue before 3", hookline.MessageFilter{Tag: "blue", Before: at(3)}, []int{2}},
	} {
		want := []string{}
		for _, i := range tc.want {
			want = append(want, ids[i])
		}
		sort.Strings(want)
		checkPages(t, want, func(m *hookline.Message) string { return m.ID },
			func(o hookline.ListOptions) (hookline.Page[*hookline.Message], error) {
				f := tc.f
				f.ListOptions = o
				return s.ListMessages(ctx(t), a.ID, f)
			})
	}
}

func testMessageExpunge(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	m, _ := newMessage(t, s, a.ID, "x")
	must(t, s.ExpungeMessageContent(ctx(t), a.ID, m.ID), "ExpungeMessageContent")
	got, err := s.Message(ctx(t), a.ID, m.ID)
	must(t, err, "Message")
	if got.Payload != nil {
		t.Fatalf("expunged payload reads back %q", got.Payload)
	}
	if got.EventType != "x" {
		t.Fatal("expunge changed more than the payload")
	}
}
