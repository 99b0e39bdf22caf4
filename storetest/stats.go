package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// testCountAttemptsByEndpoint holds CountAttemptsByEndpoint to the filters
// of ListAttemptsByEndpoint: for each filter, the count is the number of
// attempts the list gives, and a count past max stops at max.
func testCountAttemptsByEndpoint(t *testing.T, s hookline.Store) {
	w := newAttemptWorld(t, s)
	at := func(i int) *time.Time { v := w.base.Add(time.Duration(i) * time.Minute); return &v }
	success, fail := hookline.StatusSuccess, hookline.StatusFail
	c0, c500 := 0, 500
	for _, tc := range []struct {
		name string
		f    hookline.AttemptFilter
		want int // attempts to ep1 (see attemptWorld)
	}{
		{"none", hookline.AttemptFilter{}, 3},
		{"success", hookline.AttemptFilter{Status: &success}, 1},
		{"fail", hookline.AttemptFilter{Status: &fail}, 2},
		{"no response", hookline.AttemptFilter{StatusCodeClass: &c0}, 1},
		{"5xx", hookline.AttemptFilter{StatusCodeClass: &c500}, 1},
		{"channel us", hookline.AttemptFilter{Channel: "us"}, 2},
		{"channel none", hookline.AttemptFilter{Channel: "nowhere"}, 0},
		{"tag vip", hookline.AttemptFilter{Tag: "vip"}, 2},
		{"tag vip fail", hookline.AttemptFilter{Tag: "vip", Status: &fail}, 2},
		{"tag other", hookline.AttemptFilter{Tag: "other"}, 0},
		{"types a", hookline.AttemptFilter{EventTypes: []string{"a"}}, 1},
		{"types a b", hookline.AttemptFilter{EventTypes: []string{"a", "b"}}, 3},
		{"after 2 (at 2 included)", hookline.AttemptFilter{After: at(2)}, 2},
		{"after 0 before 5", hookline.AttemptFilter{After: at(0), Before: at(5)}, 2},
		{"fail 5xx", hookline.AttemptFilter{Status: &fail, StatusCodeClass: &c500}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			f.ListOptions = hookline.ListOptions{Limit: hookline.MaxListLimit}
			listed, err := s.ListAttemptsByEndpoint(ctx(t), w.app.ID, w.ep1.ID, f)
			must(t, err, "ListAttemptsByEndpoint")
			if len(listed.Items) != tc.want {
				t.Fatalf("the list has %d attempts, want %d", len(listed.Items), tc.want)
			}
			// A page's options change nothing.
			f.ListOptions = hookline.ListOptions{Limit: 1, Iterator: w.ids[0], Descending: true}
			for max := range tc.want + 2 {
				n, capped, err := s.CountAttemptsByEndpoint(ctx(t), w.app.ID, w.ep1.ID, f, max)
				must(t, err, "CountAttemptsByEndpoint")
				if wantN, wantCapped := min(tc.want, max), tc.want > max; n != wantN || capped != wantCapped {
					t.Fatalf("max %d: count %d (capped %v), want %d (%v)", max, n, capped, wantN, wantCapped)
				}
			}
		})
	}
	// ep2 has attempts 1, 3, 4: counted apart from ep1's.
	n, capped, err := s.CountAttemptsByEndpoint(ctx(t), w.app.ID, w.ep2.ID, hookline.AttemptFilter{}, hookline.MaxAttemptCount)
	must(t, err, "CountAttemptsByEndpoint ep2")
	if n != 3 || capped {
		t.Fatalf("ep2: count %d (capped %v), want 3", n, capped)
	}

	other := newApp(t, s)
	for what, ids := range map[string][2]string{
		"an endpoint of another application": {other.ID, w.ep1.ID},
		"a missing endpoint":                 {w.app.ID, hookline.NewID(hookline.PrefixEndpoint)},
	} {
		_, _, err := s.CountAttemptsByEndpoint(ctx(t), ids[0], ids[1], hookline.AttemptFilter{}, 10)
		wantCode(t, err, hookline.ENOTFOUND, fmt.Sprintf("CountAttemptsByEndpoint of %s", what))
	}
}

// testAppAttemptStats counts the attempts of attemptWorld by step, event
// type and outcome, and never another application's.
func testAppAttemptStats(t *testing.T, s hookline.Store) {
	w := newAttemptWorld(t, s)
	newAttemptWorld(t, s) // another application's attempts, at the same times
	at := func(i int) time.Time { return w.base.Add(time.Duration(i) * time.Minute) }
	type tally = hookline.AttemptTally
	ok, fail := hookline.StatusSuccess, hookline.StatusFail
	for _, tc := range []struct {
		name         string
		since, until time.Time
		step         time.Duration
		types        []string
		want         []tally
	}{
		{"steps of 2 minutes", at(0), at(6), 2 * time.Minute, nil, []tally{
			{Step: 0, EventType: "a", Status: ok, Count: 1}, {Step: 0, EventType: "a", Status: fail, Count: 1}, {Step: 1, EventType: "b", Status: fail, Count: 2}, {Step: 2, EventType: "a", Status: ok, Count: 1}, {Step: 2, EventType: "b", Status: fail, Count: 1}}},
		{"of type b", at(0), at(6), 2 * time.Minute, []string{"b"}, []tally{{Step: 1, EventType: "b", Status: fail, Count: 2}, {Step: 2, EventType: "b", Status: fail, Count: 1}}},
		{"of types a and b", at(0), at(6), time.Hour, []string{"a", "b"}, []tally{
			{Step: 0, EventType: "a", Status: ok, Count: 2}, {Step: 0, EventType: "a", Status: fail, Count: 1}, {Step: 0, EventType: "b", Status: fail, Count: 3}}},
		{"since included, until not", at(1), at(5), time.Hour, nil, []tally{
			{Step: 0, EventType: "a", Status: ok, Count: 1}, {Step: 0, EventType: "a", Status: fail, Count: 1}, {Step: 0, EventType: "b", Status: fail, Count: 2}}},
		{"steps of a minute from 30 seconds", at(0).Add(30 * time.Second), at(6), time.Minute, nil, []tally{
			{Step: 0, EventType: "a", Status: fail, Count: 1}, {Step: 1, EventType: "b", Status: fail, Count: 1}, {Step: 2, EventType: "b", Status: fail, Count: 1}, {Step: 3, EventType: "a", Status: ok, Count: 1}, {Step: 4, EventType: "b", Status: fail, Count: 1}}},
		{"no type matches", at(0), at(6), time.Hour, []string{"c"}, nil},
		{"an empty range", at(6), at(6), time.Hour, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.AppAttemptStats(ctx(t), w.app.ID, tc.since, tc.until, tc.step, tc.types)
			must(t, err, "AppAttemptStats")
			sortTallies(got)
			if got == nil {
				got = []tally{}
			}
			if tc.want == nil {
				tc.want = []tally{}
			}
			sortTallies(tc.want)
			same(t, got, tc.want, "tallies")
		})
	}
	got, err := s.AppAttemptStats(ctx(t), newApp(t, s).ID, at(0), at(6), time.Hour, nil)
	must(t, err, "AppAttemptStats of an application without attempts")
	if len(got) != 0 {
		t.Fatalf("an application without attempts has %v", got)
	}
}

func sortTallies(ts []hookline.AttemptTally) {
	slices.SortFunc(ts, func(a, b hookline.AttemptTally) int {
		return cmp.Or(cmp.Compare(a.Step, b.Step), cmp.Compare(a.EventType, b.EventType), cmp.Compare(a.Status, b.Status))
	})
}

// testAppUsage counts each application's messages of a range and their
// deliveries, those to a deleted endpoint too, and tells what its
// endpoints subscribe to.
func testAppUsage(t *testing.T, s hookline.Store) {
	a, b, c := newApp(t, s), newApp(t, s), newApp(t, s)
	newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) { e.EventTypes = []string{"a"} })
	newEndpoint(t, s, a.ID) // every event type
	e3 := newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) { e.EventTypes = []string{"b", "a"} })
	newEndpoint(t, s, b.ID, func(e *hookline.Endpoint) { e.EventTypes = []string{"c"} })
	now := time.Now()
	since, until := now.Add(-time.Hour), now.Add(time.Hour)
	for _, m := range []struct {
		app, eventType string
		at             time.Time
		deliveries     int
	}{
		{a.ID, "a", now, 3}, {a.ID, "b", now, 2}, {a.ID, "z", since, 1}, {a.ID, "a", since.Add(-time.Microsecond), 3},
		{b.ID, "c", now, 1}, {b.ID, "c", until, 1},
	} {
		_, n := newMessage(t, s, m.app, m.eventType, func(msg *hookline.Message) { msg.CreatedAt = m.at })
		if n != m.deliveries {
			t.Fatalf("a message of %s to %d endpoints, want %d", m.eventType, n, m.deliveries)
		}
	}
	wantTypes := func(when string, want ...hookline.AppEventTypes) {
		t.Helper()
		ids := []string{}
		for _, w := range want {
			ids = append(ids, w.AppID)
		}
		got, err := s.AppEventTypes(ctx(t), ids)
		must(t, err, "AppEventTypes")
		if len(got) != len(want) {
			t.Fatalf("%s: %d applications, want %d", when, len(got), len(want))
		}
		for i := range want {
			if got[i].AppID != want[i].AppID || got[i].CatchAll != want[i].CatchAll ||
				fmt.Sprint(got[i].EventTypes) != fmt.Sprint(want[i].EventTypes) {
				t.Fatalf("%s: %+v, want %+v", when, got[i], want[i])
			}
		}
	}
	missing := hookline.NewID(hookline.PrefixApplication)
	wantTypes("before the delete", hookline.AppEventTypes{AppID: a.ID, EventTypes: []string{"a", "b"}, CatchAll: true},
		hookline.AppEventTypes{AppID: b.ID, EventTypes: []string{"c"}}, hookline.AppEventTypes{AppID: c.ID},
		hookline.AppEventTypes{AppID: missing})
	must(t, s.DeleteEndpoint(ctx(t), a.ID, e3.ID), "DeleteEndpoint")
	wantTypes("after the delete", hookline.AppEventTypes{AppID: c.ID},
		hookline.AppEventTypes{AppID: a.ID, EventTypes: []string{"a"}, CatchAll: true})

	got, err := s.AppUsage(ctx(t), []string{b.ID, missing, a.ID, c.ID}, since, until)
	must(t, err, "AppUsage")
	same(t, got, []hookline.AppUsage{
		{AppID: b.ID, Messages: 1, Destinations: 1}, {AppID: missing},
		{AppID: a.ID, Messages: 3, Destinations: 6}, {AppID: c.ID},
	}, "AppUsage")
	got, err = s.AppUsage(ctx(t), []string{a.ID}, until, until.Add(time.Hour))
	must(t, err, "AppUsage of a later range")
	same(t, got, []hookline.AppUsage{{AppID: a.ID}}, "AppUsage of a later range")
	got, err = s.AppUsage(ctx(t), nil, since, until)
	must(t, err, "AppUsage of no application")
	if len(got) != 0 {
		t.Fatalf("AppUsage of no application: %+v", got)
	}
}
