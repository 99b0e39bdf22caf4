package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline"
)

// TestSDKUsageStatistics: the SDK's Statistics calls answer a finished task
// whose data the SDK reads back; an application's token may not ask, and a
// bad range is a 422 that stores no task.
func TestSDKUsageStatistics(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "Usage"}, nil)
	ok(t, err)
	other, err := c.Application.Create(ctx, models.ApplicationIn{Name: "Other"}, nil)
	ok(t, err)
	for _, url := range []string{"https://example.com/a", "https://example.com/b"} {
		_, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: url}, nil)
		ok(t, err)
	}
	for range 3 {
		_, err := c.Message.Create(ctx, app.Id, models.MessageIn{EventType: "user.created", Payload: map[string]any{}}, nil)
		ok(t, err)
	}
	now := time.Now()

	out, err := c.Statistics.AggregateAppStats(ctx, models.AppUsageStatsIn{
		Since: now.Add(-time.Hour), Until: now.Add(time.Minute), AppIds: []string{app.Id, other.Id, "app_nope"}}, nil)
	ok(t, err)
	if out.Status != models.BACKGROUNDTASKSTATUS_FINISHED || out.Task != models.BACKGROUNDTASKTYPE_APPLICATION_STATS ||
		len(out.UnresolvedAppIds) != 1 || out.UnresolvedAppIds[0] != "app_nope" {
		t.Fatalf("AggregateAppStats %+v", out)
	}
	task := getTask(t, c, out.Id, models.BACKGROUNDTASKSTATUS_FINISHED)
	stats, _ := task.Data["appStats"].([]any)
	if len(stats) != 2 {
		t.Fatalf("appStats %v", task.Data)
	}
	want := map[string]float64{app.Id: 6, other.Id: 0} // 3 messages to 2 endpoints
	for _, s := range stats {
		m := s.(map[string]any)
		if n, found := want[m["appId"].(string)]; !found || m["messageDestinations"] != n {
			t.Fatalf("appStats %v, want %v", stats, want)
		}
	}

	agg, err := c.Statistics.AggregateEventTypes(ctx)
	ok(t, err)
	if agg.Status != models.BACKGROUNDTASKSTATUS_FINISHED || agg.Task != models.BACKGROUNDTASKTYPE_EVENT_TYPE_AGGREGATE {
		t.Fatalf("AggregateEventTypes %+v", agg)
	}
	task = getTask(t, c, agg.Id, models.BACKGROUNDTASKSTATUS_FINISHED)
	if types, _ := task.Data["event_types"].([]any); len(types) != 1 || types[0].(map[string]any)["hasCatchAllEndpoint"] != true {
		t.Fatalf("event_types %v", task.Data)
	}

	// An application's token neither asks nor sees the server's tasks.
	access, err := c.Authentication.AppPortalAccess(ctx, app.Id, models.AppPortalAccessIn{}, nil)
	ok(t, err)
	p := e.sdk(access.Token)
	_, err = p.Statistics.AggregateEventTypes(ctx)
	wantStatus(t, err, http.StatusForbidden)
	_, err = p.BackgroundTask.Get(ctx, agg.Id)
	wantStatus(t, err, http.StatusNotFound)
	if list, err := p.BackgroundTask.List(ctx, nil); err != nil || len(list.Data) != 0 {
		t.Fatalf("the portal token's list: %+v, %v", list, err)
	}

	// Bad input: a 422 and no task.
	tasks := func() int {
		all, err := e.store.ListBackgroundTasks(ctx, "", hookline.TaskFilter{ListOptions: hookline.ListOptions{Limit: hookline.MaxListLimit}})
		ok(t, err)
		return len(all.Items)
	}
	before := tasks()
	for _, body := range []string{
		`{"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}`,
		`{"until": "2026-01-01T00:00:00Z"}`,
		`{"since": "yesterday", "until": "2026-01-01T00:00:00Z"}`,
		`{"since": "2026-01-01T00:00:00Z", "until": "2026-01-02T00:00:00Z", "appIds": ["app_nope"]}`,
	} {
		if code, got := e.do("POST", "/api/v1/stats/usage/app", e.admin, body); code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s, want 422", body, code, got)
		}
	}
	if after := tasks(); after != before {
		t.Fatalf("refused requests stored %d tasks", after-before)
	}
}
