package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// TestOverview: the overview counts the attempts of the last hour and the
// deliveries by state, and lists the endpoints failing now and the
// deliveries that failed for good; the searches find applications and an
// application's failing endpoints; bad input is a 422 that changes
// nothing; application tokens are refused.
func TestOverview(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := t.Context()
	e.must(201, "POST", "/api/v1/app", e.admin, map[string]any{"name": "Acme Inc.", "uid": "acme"}, nil)
	e.must(201, "POST", "/api/v1/app", e.admin, map[string]any{"name": "Globex", "uid": "globex"}, nil)
	var ep struct{ ID string }
	e.must(201, "POST", "/api/v1/app/acme/endpoint", e.admin, map[string]any{"url": "https://example.com/hook"}, &ep)
	var msg struct{ ID string }
	e.must(202, "POST", "/api/v1/app/acme/msg", e.admin, map[string]any{"eventType": "x", "payload": map[string]any{}}, &msg)

	// The delivery fails for good, as a dispatcher records it.
	tasks, err := e.store.ClaimDue(ctx, "w", time.Now().Add(time.Minute), time.Minute, 10)
	if err != nil || len(tasks) != 1 {
		t.Fatalf("ClaimDue: %d, %v", len(tasks), err)
	}
	task := tasks[0]
	if _, err := e.store.MarkFailing(ctx, task.Delivery.AppID, ep.ID, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	err = e.store.Complete(ctx, "w", []hookline.Outcome{{DeliveryID: task.Delivery.ID, Status: hookline.StatusFail, Attempts: 1,
		Attempt: hookline.Attempt{AppID: task.Delivery.AppID, MessageID: msg.ID, EndpointID: ep.ID, DeliveryID: task.Delivery.ID,
			URL: task.Endpoint.URL, Status: hookline.StatusFail, StatusCode: 500}}})
	if err != nil {
		t.Fatal(err)
	}

	var o struct {
		StepSeconds      int
		Attempts         []struct{ Success, Fail int64 }
		Success, Fail    int64
		Queue            struct{ Pending, Sending, Held, Failed int64 }
		FailingEndpoints []struct{ AppID, ID, URL, FailingSince string }
		Exhausted        []struct{ AppID, MsgID, EndpointID, EndpointURL string }
	}
	e.must(200, "GET", "/api/v1/overview", e.admin, nil, &o)
	if o.StepSeconds != 60 || len(o.Attempts) != 60 || o.Success != 0 || o.Fail != 1 || o.Attempts[59].Fail != 1 {
		t.Errorf("attempts: %+v", o)
	}
	if o.Queue.Failed != 1 || o.Queue.Pending+o.Queue.Sending+o.Queue.Held != 0 {
		t.Errorf("queue: %+v", o.Queue)
	}
	if len(o.FailingEndpoints) != 1 || o.FailingEndpoints[0].ID != ep.ID || o.FailingEndpoints[0].FailingSince == "" {
		t.Errorf("failing endpoints: %+v", o.FailingEndpoints)
	}
	if len(o.Exhausted) != 1 || o.Exhausted[0].MsgID != msg.ID || o.Exhausted[0].EndpointURL != "https://example.com/hook" {
		t.Errorf("exhausted: %+v", o.Exhausted)
	}

	var apps struct{ Data []struct{ UID string } }
	e.must(200, "GET", "/api/v1/overview/app?search=ACME", e.admin, nil, &apps)
	if len(apps.Data) != 1 || apps.Data[0].UID != "acme" {
		t.Errorf("search ACME: %+v", apps)
	}
	var failing struct{ Data []struct{ ID string } }
	e.must(200, "GET", "/api/v1/overview/failing-endpoint?app_id=acme", e.admin, nil, &failing)
	if len(failing.Data) != 1 || failing.Data[0].ID != ep.ID {
		t.Errorf("acme's failing endpoints: %+v", failing)
	}
	e.must(200, "GET", "/api/v1/overview/failing-endpoint?app_id=globex", e.admin, nil, &failing)
	if len(failing.Data) != 0 {
		t.Errorf("globex's failing endpoints: %+v", failing)
	}

	for path, code := range map[string]int{
		"/api/v1/overview/app":                                          422, // no search
		"/api/v1/overview/app?search=a&limit=0":                         422,
		"/api/v1/overview/app?search=a&limit=251":                       422,
		"/api/v1/overview/failing-endpoint?limit=x":                     422,
		"/api/v1/overview/failing-endpoint?app_id=nobody":               404,
		"/api/v1/overview/failing-endpoint?app_id=hookline-operational": 404,
	} {
		if st, b := e.do("GET", path, e.admin, nil); st != code {
			t.Errorf("GET %s: %d %s, want %d", path, st, b, code)
		}
	}
	var access struct{ Token string }
	e.must(200, "POST", "/api/v1/auth/app-portal-access/acme", e.admin, map[string]any{}, &access)
	for _, path := range []string{"/api/v1/overview", "/api/v1/overview/app?search=a", "/api/v1/overview/failing-endpoint"} {
		if st, _ := e.do("GET", path, access.Token, nil); st != 403 {
			t.Errorf("an application's token: GET %s: %d, want 403", path, st)
		}
	}
}

// TestOverviewHidesSources: a source's internal application, which the
// tenant API does not show, is not in the overview either: not found by a
// search, its failing endpoints and exhausted deliveries not listed, and
// app_id naming it is a 404.
func TestOverviewHidesSources(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := t.Context()
	var src struct{ ID, IngestURL string }
	e.must(201, "POST", "/ingest/api/v1/source", e.admin, map[string]any{"name": "ingest hidden", "type": "generic-webhook"}, &src)
	var ep struct{ ID string }
	e.must(201, "POST", "/ingest/api/v1/source/"+src.ID+"/endpoint", e.admin, map[string]any{"url": "https://example.com/build"}, &ep)
	_, path, _ := strings.Cut(src.IngestURL, "https://hooks.example.com")
	e.must(204, "POST", path, "", map[string]any{"ref": "main"}, nil)
	stored, err := e.store.Source(ctx, src.ID)
	if err != nil {
		t.Fatal(err)
	}
	appID := stored.AppID

	// Its delivery fails for good, and its endpoint is failing.
	tasks, err := e.store.ClaimDue(ctx, "w", time.Now().Add(time.Minute), time.Minute, 10)
	if err != nil || len(tasks) != 1 || tasks[0].Delivery.AppID != appID {
		t.Fatalf("ClaimDue: %d, %v", len(tasks), err)
	}
	d := tasks[0].Delivery
	if _, err := e.store.MarkFailing(ctx, appID, ep.ID, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	err = e.store.Complete(ctx, "w", []hookline.Outcome{{DeliveryID: d.ID, Status: hookline.StatusFail, Attempts: 1,
		Attempt: hookline.Attempt{AppID: appID, MessageID: d.MessageID, EndpointID: ep.ID, DeliveryID: d.ID,
			URL: tasks[0].Endpoint.URL, Status: hookline.StatusFail, StatusCode: 500}}})
	if err != nil {
		t.Fatal(err)
	}

	var o struct {
		Fail             int64
		FailingEndpoints []struct{ AppID string }
		Exhausted        []struct{ AppID string }
	}
	e.must(200, "GET", "/api/v1/overview", e.admin, nil, &o)
	if o.Fail != 1 {
		t.Fatalf("the failed attempt is not counted: %+v", o)
	}
	if len(o.FailingEndpoints) != 0 || len(o.Exhausted) != 0 {
		t.Errorf("the overview lists the source's application: %+v", o)
	}
	var failing struct{ Data []struct{ ID string } }
	e.must(200, "GET", "/api/v1/overview/failing-endpoint", e.admin, nil, &failing)
	if len(failing.Data) != 0 {
		t.Errorf("failing endpoints: %+v", failing)
	}
	for _, search := range []string{"ingest", src.ID, appID} {
		var apps struct{ Data []struct{ ID string } }
		e.must(200, "GET", "/api/v1/overview/app?search="+search, e.admin, nil, &apps)
		if len(apps.Data) != 0 {
			t.Errorf("search %s: %+v", search, apps)
		}
	}
	e.must(404, "GET", "/api/v1/overview/failing-endpoint?app_id="+appID, e.admin, nil, nil)
}
