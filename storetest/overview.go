package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// testCountAttempts counts attempts by minute and outcome, within the
// range asked for only.
func testCountAttempts(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	newEndpoint(t, s, a.ID)
	since := time.Now().Add(-time.Hour).UTC().Truncate(time.Minute)
	at := func(d time.Duration) time.Time { return since.Add(d) }
	var outcomes []hookline.Outcome
	for _, tc := range []struct {
		at     time.Time
		status hookline.Status
	}{
		{at(-time.Second), hookline.StatusSuccess}, // before the range
		{at(0), hookline.StatusSuccess},
		{at(30 * time.Second), hookline.StatusFail},
		{at(59 * time.Second), hookline.StatusSuccess},
		{at(5*time.Minute + time.Second), hookline.StatusFail},
		{at(59*time.Minute + 59*time.Second), hookline.StatusSuccess},
		{at(time.Hour), hookline.StatusSuccess}, // at the end: out
	} {
		newMessage(t, s, a.ID, "x")
		task := claimOne(t, s, "w", later())
		o := outcome(task, tc.status, 200+300*int(tc.status/2))
		o.Attempt.CreatedAt = tc.at
		outcomes = append(outcomes, o)
	}
	must(t, s.Complete(ctx(t), "w", outcomes), "Complete")

	got, err := s.CountAttempts(ctx(t), since, since.Add(time.Hour), time.Minute)
	must(t, err, "CountAttempts")
	if len(got) != 60 {
		t.Fatalf("%d steps, want 60", len(got))
	}
	want := map[int]hookline.AttemptCount{
		0:  {Start: since, Success: 2, Fail: 1},
		5:  {Start: at(5 * time.Minute), Fail: 1},
		59: {Start: at(59 * time.Minute), Success: 1},
	}
	for i, c := range got {
		w, ok := want[i]
		if !ok {
			w = hookline.AttemptCount{Start: at(time.Duration(i) * time.Minute)}
		}
		if !c.Start.Equal(w.Start) || c.Success != w.Success || c.Fail != w.Fail {
			t.Errorf("step %d: %+v, want %+v", i, c, w)
		}
	}
	// A range without attempts counts none.
	got, err = s.CountAttempts(ctx(t), since.Add(-48*time.Hour), since.Add(-47*time.Hour), 10*time.Minute)
	must(t, err, "CountAttempts of an empty range")
	if len(got) != 6 || slices.ContainsFunc(got, func(c hookline.AttemptCount) bool { return c.Success+c.Fail != 0 }) {
		t.Errorf("an empty range: %+v", got)
	}
}

// testFailingEndpoints lists the endpoints failing now, of one application
// or of all, longest failing first; an endpoint that recovered is not.
func testFailingEndpoints(t *testing.T, s hookline.Store) {
	a, b := newApp(t, s), newApp(t, s)
	a1, a2, a3 := newEndpoint(t, s, a.ID), newEndpoint(t, s, a.ID), newEndpoint(t, s, a.ID)
	b1 := newEndpoint(t, s, b.ID)
	now := time.Now().UTC().Truncate(time.Microsecond)
	for _, f := range []struct {
		ep *hookline.Endpoint
		at time.Time
	}{{a1, now.Add(-time.Hour)}, {a2, now.Add(-3 * time.Hour)}, {b1, now.Add(-2 * time.Hour)}, {a3, now}} {
		_, err := s.MarkFailing(ctx(t), f.ep.AppID, f.ep.ID, f.at)
		must(t, err, "MarkFailing")
	}
	must(t, s.ClearFailing(ctx(t), a3.AppID, a3.ID), "ClearFailing")

	ids := func(appID string, limit int) []string {
		got, err := s.FailingEndpoints(ctx(t), appID, limit)
		must(t, err, "FailingEndpoints")
		var out []string
		for _, f := range got {
			out = append(out, f.Endpoint.ID)
			if f.Endpoint.ID == a1.ID && (!f.FailingSince.Equal(now.Add(-time.Hour)) || f.Endpoint.URL != a1.URL) {
				t.Errorf("a1 reads back as %+v", f)
			}
		}
		return out
	}
	same(t, ids(a.ID, 10), []string{a2.ID, a1.ID}, "the failing endpoints of a")
	same(t, ids("", 10), []string{a2.ID, b1.ID, a1.ID}, "the failing endpoints of all")
	same(t, ids("", 2), []string{a2.ID, b1.ID}, "the two longest failing")
}

// testExhaustedDeliveries lists the deliveries that failed for good, the
// last first, and no longer one that was resent.
func testExhaustedDeliveries(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID)
	var msgs []*hookline.Message
	// One at a time, so that each ends after the one before.
	for _, st := range []hookline.Status{hookline.StatusFail, hookline.StatusSuccess, hookline.StatusFail} {
		m, _ := newMessage(t, s, a.ID, "x")
		msgs = append(msgs, m)
		task := claimOne(t, s, "w", later())
		must(t, s.Complete(ctx(t), "w", []hookline.Outcome{outcome(task, st, 500)}), "Complete")
	}
	ids := func() []string {
		got, err := s.ExhaustedDeliveries(ctx(t), 10)
		must(t, err, "ExhaustedDeliveries")
		var out []string
		for _, d := range got {
			out = append(out, d.Delivery.MessageID)
			if d.Delivery.Status != hookline.StatusFail || d.Endpoint.ID != ep.ID || d.Endpoint.URL != ep.URL || d.Delivery.AppID != a.ID {
				t.Errorf("an exhausted delivery reads back as %+v", d)
			}
		}
		return out
	}
	same(t, ids(), []string{msgs[2].ID, msgs[0].ID}, "the exhausted deliveries")
	must(t, s.Resend(ctx(t), a.ID, msgs[2].ID, ep.ID), "Resend")
	same(t, ids(), []string{msgs[0].ID}, "the exhausted deliveries after a resend")
}

// testFindApplications finds applications by id, and by part of their uid
// or name in any case; the wildcards of LIKE in the query are plain
// characters.
func testFindApplications(t *testing.T, s hookline.Store) {
	mk := func(name string, uid *string) *hookline.Application {
		a := &hookline.Application{Name: name, UID: uid}
		must(t, s.CreateApplication(ctx(t), a), "CreateApplication")
		return a
	}
	key := uniq("k")
	acme := mk("Acme "+key+" Inc.", ptr("acme-"+key))
	globex := mk("Globex "+key, ptr("globex_"+key))
	percent := mk("100% "+key, nil)
	find := func(q string, limit int) []string {
		got, err := s.FindApplications(ctx(t), q, limit)
		must(t, err, "FindApplications")
		var out []string
		for _, a := range got {
			out = append(out, a.ID)
		}
		return out
	}
	same(t, find(key, 10), []string{acme.ID, globex.ID, percent.ID}, "by a part of their names")
	same(t, find("ACME-"+key, 10), []string{acme.ID}, "by uid, in another case")
	same(t, find(globex.ID, 10), []string{globex.ID}, "by id")
	same(t, find("_"+key, 10), []string{globex.ID}, "an underscore is a character")
	same(t, find("% "+key, 10), []string{percent.ID}, "a percent sign is a character")
	same(t, find(key, 2), []string{acme.ID, globex.ID}, "two at most")
	if got := find("nothing-"+key, 10); len(got) != 0 {
		t.Errorf("found %v for nothing", got)
	}
}
