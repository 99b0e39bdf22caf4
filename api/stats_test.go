package api_test

import (
	"context"
	"net/url"
	"testing"

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
		{EventType: "b.c", Payload: map[string]any{}},
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
		{"tag=x", "query.tag"},
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
