package api_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"
	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline"
)

// TestAttemptCountByEndpoint: GET .../attempt/endpoint/{id}/count counts
// what the list of the endpoint's attempts (through the Go SDK) gives with
// the same filters, refuses bad filters with a 422 in Svix's shape, and
// keeps an application's token to its own application.
func TestAttemptCountByEndpoint(t *testing.T) {
	f := newFixture(t, nil, nil)
	c := f.sdk(f.admin)
	ctx := context.Background()
	eventTypes(t, c, "b.c")
	for _, m := range []models.MessageIn{
		{EventType: "a.b", Channels: []string{"eu"}, Payload: map[string]any{}},
		{EventType: "b.c", Channels: []string{"us"}, Payload: map[string]any{}},
		{EventType: "b.c", Tags: []string{"vip"}, Payload: map[string]any{}},
	} {
		_, err := c.Message.Create(ctx, "shop", m, nil)
		ok(t, err)
	}
	// The fixture's two messages and these three: five attempts, two of
	// them to the other application's endpoint.
	if tasks := attemptOnce(t, f.store, hookline.StatusFail, 503, "down"); len(tasks) != 5 {
		t.Fatalf("%d attempts, want 5", len(tasks))
	}

	path := "/api/v1/app/shop/attempt/endpoint/ep1/count"
	for _, tc := range []struct {
		query  string
		list   *svix.MessageAttemptListByEndpointOptions
		status int
	}{
		{"", &svix.MessageAttemptListByEndpointOptions{}, 4},
		{"status=2", &svix.MessageAttemptListByEndpointOptions{Status: ptr(models.MESSAGESTATUS_FAIL)}, 4},
		{"status=0", &svix.MessageAttemptListByEndpointOptions{Status: ptr(models.MESSAGESTATUS_SUCCESS)}, 0},
		{"status_code_class=500", &svix.MessageAttemptListByEndpointOptions{StatusCodeClass: ptr(models.STATUSCODECLASS_CODE5XX)}, 4},
		{"status_code_class=200", &svix.MessageAttemptListByEndpointOptions{StatusCodeClass: ptr(models.STATUSCODECLASS_CODE2XX)}, 0},
		{"channel=us", &svix.MessageAttemptListByEndpointOptions{Channel: ptr("us")}, 1},
		{"tag=vip", &svix.MessageAttemptListByEndpointOptions{Tag: ptr("vip")}, 1},
		{"tag=vip&status=2", &svix.MessageAttemptListByEndpointOptions{Tag: ptr("vip"), Status: ptr(models.MESSAGESTATUS_FAIL)}, 1},
		{"tag=other", &svix.MessageAttemptListByEndpointOptions{Tag: ptr("other")}, 0},
		{"event_types=b.c", &svix.MessageAttemptListByEndpointOptions{EventTypes: &[]string{"b.c"}}, 2},
		{"event_types=a.b,b.c", &svix.MessageAttemptListByEndpointOptions{EventTypes: &[]string{"a.b", "b.c"}}, 4},
		{"before=2000-01-01T00:00:00Z", nil, 0},
		{"after=2000-01-01T00:00:00Z", nil, 4},
	} {
		var got struct {
			Count        int  `json:"count"`
			Approximated bool `json:"approximated"`
		}
		f.must(200, "GET", path+"?"+tc.query, f.admin, nil, &got)
		if got.Count != tc.status || got.Approximated {
			t.Errorf("count?%s = %+v, want %d", tc.query, got, tc.status)
		}
		if tc.list == nil {
			continue
		}
		tc.list.Limit = ptr(uint64(250))
		listed, err := c.MessageAttempt.ListByEndpoint(ctx, "shop", "ep1", tc.list)
		ok(t, err)
		if len(listed.Data) != got.Count {
			t.Errorf("count?%s = %d, the SDK's list has %d", tc.query, got.Count, len(listed.Data))
		}
	}

	for _, tc := range []struct{ query, loc string }{
		{"status=9", "query.status"},
		{"status_code_class=250", "query.status_code_class"},
		{"before=yesterday", "query.before"},
		{"after=" + url.QueryEscape("2024-13-01T00:00:00Z"), "query.after"},
		{"channel=" + url.QueryEscape("a b"), "query.channel"},
		{"event_types=" + url.QueryEscape("a b"), "query.event_types"},
		{"tag=" + url.QueryEscape("a b"), "query.tag"},
	} {
		st, body := f.do("GET", path+"?"+tc.query, f.admin, nil)
		if st != 422 {
			t.Errorf("count?%s: %d %s, want 422", tc.query, st, body)
			continue
		}
		checkError(t, st, body, tc.loc)
	}

	var access struct{ Token string }
	f.must(200, "POST", "/api/v1/auth/app-portal-access/shop", f.admin, nil, &access)
	f.must(200, "GET", path, access.Token, nil, nil)
	for _, p := range []string{
		"/api/v1/app/other/attempt/endpoint/ep1/count",
		"/api/v1/app/" + f.other + "/attempt/endpoint/" + f.otherEp + "/count",
		"/api/v1/app/shop/attempt/endpoint/" + f.otherEp + "/count",
	} {
		st, body := f.do("GET", p, access.Token, nil)
		if st != 404 {
			t.Errorf("GET %s with shop's token: %d %s, want 404", p, st, body)
			continue
		}
		checkError(t, st, body, "not_found")
	}
	// The admin token reads the other application's count.
	var other struct{ Count int }
	f.must(200, "GET", "/api/v1/app/other/attempt/endpoint/ep1/count", f.admin, nil, &other)
	if other.Count != 1 {
		t.Fatalf("other's count %d, want 1", other.Count)
	}
}

// TestAppAttemptStats: the application's attempts counted by event type
// (GET /api/v1/app/{app_id}/stats/attempts) and by period (GET
// /api/v1/stats/app/{app_id}/attempt), in the hosted API's shapes; bad
// ranges are refused as svix-server refuses them for an endpoint's stats;
// another application's attempts are never counted, nor readable with
// an application's token.
func TestAppAttemptStats(t *testing.T) {
	f := newFixture(t, nil, nil)
	c := f.sdk(f.admin)
	ctx := context.Background()
	eventTypes(t, c, "b.c")
	_, err := c.Message.Create(ctx, "shop", models.MessageIn{EventType: "b.c", Payload: map[string]any{}}, nil)
	ok(t, err)
	// Failures: the fixture's two messages (one of shop, "a.b"; one of
	// other) and shop's "b.c"; then a success of another "b.c".
	attemptOnce(t, f.store, hookline.StatusFail, 503, "down")
	_, err = c.Message.Create(ctx, "shop", models.MessageIn{EventType: "b.c", Payload: map[string]any{}}, nil)
	ok(t, err)
	attemptOnce(t, f.store, hookline.StatusSuccess, 200, "ok")
	now := time.Now().UTC().Truncate(time.Microsecond)
	rfc := func(t time.Time) string { return url.QueryEscape(t.Format(time.RFC3339Nano)) }

	type statsOut struct {
		ByEventType map[string]struct{ Success, Failure, Canceled int64 } `json:"by_event_type"`
		Success     int64                                                 `json:"total_success"`
		Failure     int64                                                 `json:"total_failure"`
		Canceled    int64                                                 `json:"total_canceled"`
		Since       time.Time                                             `json:"since"`
		Until       time.Time                                             `json:"until"`
	}
	var got statsOut
	since := now.Add(-time.Hour)
	f.must(200, "GET", "/api/v1/app/shop/stats/attempts?since="+rfc(since)+"&until="+rfc(now), f.admin, nil, &got)
	if len(got.ByEventType) != 2 || got.ByEventType["a.b"].Failure != 1 || got.ByEventType["a.b"].Success != 0 ||
		got.ByEventType["b.c"].Failure != 1 || got.ByEventType["b.c"].Success != 1 ||
		got.Success != 1 || got.Failure != 2 || got.Canceled != 0 || !got.Since.Equal(since) || !got.Until.Equal(now) {
		t.Fatalf("stats %+v", got)
	}
	got = statsOut{}
	f.must(200, "GET", "/api/v1/app/shop/stats/attempts?event_types=b.c&since="+rfc(since)+"&until="+rfc(now), f.admin, nil, &got)
	if len(got.ByEventType) != 1 || got.Success != 1 || got.Failure != 1 {
		t.Fatalf("stats of b.c %+v", got)
	}
	got = statsOut{}
	f.must(200, "GET", "/api/v1/app/shop/stats/attempts?since="+rfc(since)+"&until="+rfc(since.Add(time.Minute)), f.admin, nil, &got)
	if len(got.ByEventType) != 0 || got.Success != 0 || got.Failure != 0 {
		t.Fatalf("stats of a range before the attempts %+v", got)
	}

	var byPeriod struct {
		StartDate time.Time `json:"startDate"`
		EndDate   time.Time `json:"endDate"`
		Period    string    `json:"period"`
		Data      struct{ SuccessCount, FailureCount, CanceledCount []int64 }
	}
	start := now.Add(-3 * time.Hour)
	f.must(200, "GET", "/api/v1/stats/app/shop/attempt?period=OneHour&startDate="+rfc(start)+"&endDate="+rfc(now), f.admin, nil, &byPeriod)
	n := len(byPeriod.Data.SuccessCount)
	if byPeriod.Period != "OneHour" || !byPeriod.StartDate.Equal(start.Truncate(time.Hour)) || !byPeriod.EndDate.Equal(now) ||
		n != int(now.Sub(start.Truncate(time.Hour))+time.Hour-1)/int(time.Hour) || len(byPeriod.Data.FailureCount) != n || len(byPeriod.Data.CanceledCount) != n ||
		byPeriod.Data.SuccessCount[n-1] != 1 || byPeriod.Data.FailureCount[n-1] != 2 || sum(byPeriod.Data.SuccessCount) != 1 || sum(byPeriod.Data.FailureCount) != 2 {
		t.Fatalf("by period %+v", byPeriod)
	}
	f.must(200, "GET", "/api/v1/stats/app/shop/attempt?event_types=a.b", f.admin, nil, &byPeriod)
	if byPeriod.Period != "OneDay" || len(byPeriod.Data.SuccessCount) < 28 || sum(byPeriod.Data.SuccessCount) != 0 || sum(byPeriod.Data.FailureCount) != 1 {
		t.Fatalf("by day, of a.b %+v", byPeriod)
	}

	before := f.snapshot()
	day := 24 * time.Hour
	for _, tc := range []struct {
		path, want string
		status     int
	}{
		{"/api/v1/app/shop/stats/attempts?until=" + rfc(now), "query.since", 422},
		{"/api/v1/app/shop/stats/attempts?since=" + rfc(since), "query.until", 422},
		{"/api/v1/app/shop/stats/attempts?since=yesterday&until=" + rfc(now), "query.since", 422},
		{"/api/v1/app/shop/stats/attempts?since=" + rfc(since) + "&until=" + rfc(now) + "&event_types=a%20b", "query.event_types", 422},
		{"/api/v1/app/shop/stats/attempts?since=" + rfc(now.Add(-29*day)) + "&until=" + rfc(now), "invalid_range", 400},
		{"/api/v1/app/shop/stats/attempts?since=" + rfc(since) + "&until=" + rfc(now.Add(time.Hour)), "invalid_range", 400},
		{"/api/v1/stats/app/shop/attempt?period=OneWeek", "query.period", 422},
		{"/api/v1/stats/app/shop/attempt?startDate=" + rfc(now.Add(-29*day)), "invalid_range", 400},
		{"/api/v1/stats/app/shop/attempt?endDate=" + rfc(now.Add(time.Hour)), "invalid_range", 400},
		{"/api/v1/stats/app/shop/attempt?endDate=soon", "query.endDate", 422},
	} {
		st, body := f.do("GET", tc.path, f.admin, nil)
		if st != tc.status {
			t.Errorf("GET %s: %d %s, want %d", tc.path, st, body, tc.status)
			continue
		}
		checkError(t, st, body, tc.want)
	}
	if f.snapshot() != before {
		t.Fatal("a refused request changed the store")
	}

	// An application's token reads its own application's statistics, and
	// another's are as good as missing.
	var access struct{ Token string }
	f.must(200, "POST", "/api/v1/auth/app-portal-access/shop", f.admin, nil, &access)
	q := "?since=" + rfc(since) + "&until=" + rfc(now)
	f.must(200, "GET", "/api/v1/app/shop/stats/attempts"+q, access.Token, nil, nil)
	f.must(200, "GET", "/api/v1/stats/app/shop/attempt", access.Token, nil, nil)
	for _, p := range []string{
		"/api/v1/app/other/stats/attempts" + q, "/api/v1/app/" + f.other + "/stats/attempts" + q,
		"/api/v1/stats/app/other/attempt", "/api/v1/stats/app/" + f.other + "/attempt",
	} {
		st, body := f.do("GET", p, access.Token, nil)
		if st != 404 {
			t.Errorf("GET %s with shop's token: %d %s, want 404", p, st, body)
			continue
		}
		checkError(t, st, body, "not_found")
	}
	// The other application's one attempt is its own.
	got = statsOut{}
	f.must(200, "GET", "/api/v1/app/other/stats/attempts"+q, f.admin, nil, &got)
	if got.Failure != 1 || got.Success != 0 || got.ByEventType["a.b"].Failure != 1 {
		t.Fatalf("other's stats %+v", got)
	}
}

func sum(ns []int64) int64 {
	var s int64
	for _, n := range ns {
		s += n
	}
	return s
}

// TestMessageSearch: POST .../msg/search lists what the list of messages
// (through the Go SDK) gives with the same filters, pages with the
// iterators it returns, refuses bad bodies with a 422 at the field, and
// keeps an application's token to its own application.
func TestMessageSearch(t *testing.T) {
	f := newFixture(t, nil, nil)
	c := f.sdk(f.admin)
	ctx := context.Background()
	eventTypes(t, c, "b.c")
	for _, m := range []models.MessageIn{
		{EventType: "a.b", Channels: []string{"eu"}, Tags: []string{"vip"}, Payload: map[string]any{"n": 1}},
		{EventType: "b.c", Channels: []string{"us"}, Payload: map[string]any{"n": 2}},
		{EventType: "b.c", Channels: []string{"eu"}, Tags: []string{"vip"}, Payload: map[string]any{"n": 3}},
	} {
		_, err := c.Message.Create(ctx, "shop", m, nil)
		ok(t, err)
	}
	type list struct {
		Data []struct {
			ID        string         `json:"id"`
			EventType string         `json:"eventType"`
			Payload   map[string]any `json:"payload"`
		}
		Iterator, PrevIterator *string
		Done                   bool
	}
	search := func(body map[string]any) list {
		t.Helper()
		var l list
		f.must(200, "POST", "/api/v1/app/shop/msg/search", f.admin, body, &l)
		return l
	}
	ids := func(l list) []string {
		out := []string{}
		for _, m := range l.Data {
			out = append(out, m.ID)
		}
		return out
	}
	for _, tc := range []struct {
		body map[string]any
		opts *svix.MessageListOptions
		n    int
	}{
		{map[string]any{}, &svix.MessageListOptions{}, 4},
		{map[string]any{"channel": "eu"}, &svix.MessageListOptions{Channel: ptr("eu")}, 2},
		{map[string]any{"tag": "vip"}, &svix.MessageListOptions{Tag: ptr("vip")}, 2},
		{map[string]any{"event_types": []string{"b.c"}}, &svix.MessageListOptions{EventTypes: &[]string{"b.c"}}, 2},
		{map[string]any{"event_types": []string{"a.b"}, "channel": "eu", "tag": "vip"},
			&svix.MessageListOptions{EventTypes: &[]string{"a.b"}, Channel: ptr("eu"), Tag: ptr("vip")}, 1},
		{map[string]any{"before": "2000-01-01T00:00:00Z"}, &svix.MessageListOptions{Before: ptr(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))}, 0},
		{map[string]any{"after": "2000-01-01T00:00:00Z"}, &svix.MessageListOptions{After: ptr(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))}, 4},
	} {
		got := search(tc.body)
		listed, err := c.Message.List(ctx, "shop", tc.opts)
		ok(t, err)
		want := []string{}
		for _, m := range listed.Data {
			want = append(want, m.Id)
		}
		if len(got.Data) != tc.n || strings.Join(ids(got), ",") != strings.Join(want, ",") || !got.Done {
			t.Errorf("search %v: %v (done %v), the SDK's list %v, want %d", tc.body, ids(got), got.Done, want, tc.n)
		}
	}
	// Payloads only with with_content, as the hosted API (false by default).
	if l := search(map[string]any{"limit": 1}); len(l.Data) != 1 || len(l.Data[0].Payload) != 0 {
		t.Fatalf("without with_content %+v", l)
	}
	if l := search(map[string]any{"limit": 1, "with_content": true}); len(l.Data) != 1 || l.Data[0].Payload["n"] != 3.0 {
		t.Fatalf("with_content %+v", l)
	}
	// Pages of one, newest first, and back with the prevIterator.
	all := ids(search(map[string]any{}))
	var walked []string
	l := search(map[string]any{"limit": 1})
	for {
		walked = append(walked, ids(l)...)
		if l.Done {
			break
		}
		l = search(map[string]any{"limit": 1, "iterator": *l.Iterator})
	}
	if strings.Join(walked, ",") != strings.Join(all, ",") {
		t.Fatalf("pages of one %v, want %v", walked, all)
	}
	second := search(map[string]any{"limit": 1, "iterator": all[0]})
	back := search(map[string]any{"limit": 1, "iterator": *second.PrevIterator})
	if len(back.Data) != 1 || back.Data[0].ID != all[0] {
		t.Fatalf("back from the second page %v, want %s", ids(back), all[0])
	}

	// A message 100 days old: out of a search without before or after, as
	// in the hosted API; in with after.
	old := &hookline.Message{AppID: f.app, EventType: "a.b", Payload: []byte(`{}`), CreatedAt: time.Now().Add(-100 * 24 * time.Hour)}
	_, err := f.store.CreateMessage(ctx, old)
	ok(t, err)
	if got := ids(search(map[string]any{})); strings.Join(got, ",") != strings.Join(all, ",") {
		t.Fatalf("search {} %v, want the last 90 days' %v", got, all)
	}
	if got := ids(search(map[string]any{"after": time.Now().Add(-200 * 24 * time.Hour).Format(time.RFC3339)})); len(got) != 5 || got[0] != old.ID { // by id: the newest id
		t.Fatalf("search after 200 days ago %v, want %v and %s", got, all, old.ID)
	}

	before := f.snapshot()
	for _, tc := range []struct {
		body any
		loc  string
	}{
		{map[string]any{"limit": 0}, "body.limit"},
		{map[string]any{"limit": 251}, "body.limit"},
		{map[string]any{"limit": "ten"}, "body.limit"},
		{map[string]any{"iterator": "ep_1srOrx2ZWZBpBUvZwXKQmoEYga2"}, "body.iterator"},
		{map[string]any{"channel": "a b"}, "body.channel"},
		{map[string]any{"tag": ""}, "body.tag"},
		{map[string]any{"event_types": []string{"a b"}}, "body.event_types"},
		{map[string]any{"event_types": "a.b"}, "body.event_types"},
		{map[string]any{"before": "yesterday"}, "body.before"},
		{map[string]any{"after": 5}, "body.after"},
		{"[]", "body"},
	} {
		st, body := f.do("POST", "/api/v1/app/shop/msg/search", f.admin, tc.body)
		if st != 422 {
			t.Errorf("search %v: %d %s, want 422", tc.body, st, body)
			continue
		}
		checkError(t, st, body, tc.loc)
	}
	if f.snapshot() != before {
		t.Fatal("a search changed the store")
	}

	var access struct{ Token string }
	f.must(200, "POST", "/api/v1/auth/app-portal-access/shop", f.admin, map[string]any{"readOnly": true}, &access)
	var mine list
	f.must(200, "POST", "/api/v1/app/shop/msg/search", access.Token, map[string]any{}, &mine)
	if len(mine.Data) != 4 {
		t.Fatalf("a read-only token of shop finds %v", ids(mine))
	}
	for _, p := range []string{"/api/v1/app/other/msg/search", "/api/v1/app/" + f.other + "/msg/search"} {
		st, body := f.do("POST", p, access.Token, map[string]any{})
		if st != 404 {
			t.Errorf("POST %s with shop's token: %d %s, want 404", p, st, body)
			continue
		}
		checkError(t, st, body, "not_found")
	}
	var others list
	f.must(200, "POST", "/api/v1/app/other/msg/search", f.admin, map[string]any{}, &others)
	if len(others.Data) != 1 || others.Data[0].ID != f.otherMsg {
		t.Fatalf("other's messages %v", ids(others))
	}
}
