package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"
	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/background"
)

// runTasks works every background task the store holds to its end, as
// serve's runner does.
func runTasks(t *testing.T, st hookline.Store) {
	t.Helper()
	r := background.NewRunner(st, "test")
	r.Batch = 2
	for {
		ran, err := r.RunOnce(context.Background())
		ok(t, err)
		if !ran {
			return
		}
	}
}

// getTask reads a task through the SDK and fails t unless it has status.
func getTask(t *testing.T, c *svix.Svix, id string, status models.BackgroundTaskStatus) *models.BackgroundTaskOut {
	t.Helper()
	got, err := c.BackgroundTask.Get(context.Background(), id)
	ok(t, err)
	if got.Id != id || got.Status != status || got.UpdatedAt.IsZero() {
		t.Fatalf("task %+v, want %s", got, status)
	}
	return got
}

// TestSDKBulkReplayFilters: each filter of bulk-replay, alone or with
// another, sends again the deliveries it selects and no other. Each case
// has a store of its own, with four messages sent to one endpoint, made a
// minute apart in the past (their CreatedAt, so no clock is waited for):
// two that failed, one whose retry waits (sending) and one never attempted
// (pending).
func TestSDKBulkReplayFilters(t *testing.T) {
	ctx := context.Background()
	base := time.Now().Add(-time.Hour).UTC()
	at := func(minutes float64) time.Time { return base.Add(time.Duration(minutes * float64(time.Minute))) }
	status := func(s models.MessageStatus) *models.MessageStatus { return &s }
	for _, tc := range []struct {
		name string
		in   models.BulkReplayIn
		want float64
	}{
		{"no filter", models.BulkReplayIn{}, 4},
		{"eventTypes", models.BulkReplayIn{EventTypes: []string{"a.one"}}, 2},
		{"eventTypes, two", models.BulkReplayIn{EventTypes: []string{"a.one", "b.two"}}, 4},
		{"channel", models.BulkReplayIn{Channel: ptr("eu")}, 2},
		{"channel and eventTypes", models.BulkReplayIn{Channel: ptr("us"), EventTypes: []string{"b.two"}}, 1},
		{"status sending", models.BulkReplayIn{Status: status(models.MESSAGESTATUS_SENDING)}, 1},
		{"status fail", models.BulkReplayIn{Status: status(models.MESSAGESTATUS_FAIL)}, 2},
		{"status pending", models.BulkReplayIn{Status: status(models.MESSAGESTATUS_PENDING)}, 1},
		{"status success", models.BulkReplayIn{Status: status(models.MESSAGESTATUS_SUCCESS)}, 0},
		{"until", models.BulkReplayIn{Until: ptr(at(2.5))}, 3},
		{"since", models.BulkReplayIn{Since: at(0.5)}, 3},
		{"since and until", models.BulkReplayIn{Since: at(0.5), Until: ptr(at(2.5))}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			c := e.sdk(e.admin)
			app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "Replay"}, nil)
			ok(t, err)
			ep, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://example.com/a"}, nil)
			ok(t, err)
			send := func(i int, eventType, channel string) {
				m := &hookline.Message{AppID: app.Id, EventType: eventType, Channels: []string{channel},
					Payload: json.RawMessage(`{}`), CreatedAt: at(float64(i))}
				if n, err := e.store.CreateMessage(ctx, m); err != nil || n != 1 {
					t.Fatalf("CreateMessage %d: %d deliveries, %v", i, n, err)
				}
			}
			send(0, "a.one", "eu")
			send(1, "b.two", "us")
			attemptOnce(t, e.store, hookline.StatusFail, 503, "failed for good")
			send(2, "a.one", "us")
			attemptOnce(t, e.store, hookline.StatusPending, 503, "a retry waits")
			send(3, "b.two", "eu")

			in := tc.in
			if in.Since.IsZero() {
				in.Since = at(-1)
			}
			task, err := c.Endpoint.BulkReplay(ctx, app.Id, ep.Id, in, nil)
			ok(t, err)
			runTasks(t, e.store)
			if got := getTask(t, c, task.Id, models.BACKGROUNDTASKSTATUS_FINISHED); got.Data["messagesSent"] != tc.want {
				t.Fatalf("messagesSent %v, want %v", got.Data["messagesSent"], tc.want)
			}
		})
	}
}

// TestSDKBackgroundTasks: recover, replay-missing, bulk-replay and
// expunge-all-contents start tasks that the SDK reads, which do their work
// when a runner takes them, and report it in their data.
func TestSDKBackgroundTasks(t *testing.T) {
	var woken int
	e := newEnv(t, func(c *api.Config) { c.TaskCreated = func() { woken++ } }, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "Tasks"}, nil)
	ok(t, err)
	ep, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://example.com/a"}, nil)
	ok(t, err)
	var msgs []*models.MessageOut
	for i := range 3 {
		m, err := c.Message.Create(ctx, app.Id, models.MessageIn{EventType: "user.created", Payload: map[string]any{"n": i},
			Tags: []string{map[bool]string{true: "even", false: "odd"}[i%2 == 0]}}, nil)
		ok(t, err)
		msgs = append(msgs, m)
	}
	attemptOnce(t, e.store, hookline.StatusFail, 503, "unavailable")
	since := msgs[0].Timestamp.Add(-time.Second)

	rec, err := c.Endpoint.Recover(ctx, app.Id, ep.Id, models.RecoverIn{Since: since}, nil)
	ok(t, err)
	if !strings.HasPrefix(rec.Id, "qtask_") || rec.Status != models.BACKGROUNDTASKSTATUS_RUNNING || rec.Task != models.BACKGROUNDTASKTYPE_ENDPOINT_RECOVER {
		t.Fatalf("recover %+v", rec)
	}
	if woken != 1 {
		t.Fatalf("TaskCreated called %d times, want 1", woken)
	}
	if got := getTask(t, c, rec.Id, models.BACKGROUNDTASKSTATUS_RUNNING); len(got.Data) != 0 {
		t.Fatalf("data before the runner: %v", got.Data)
	}
	runTasks(t, e.store)
	if got := getTask(t, c, rec.Id, models.BACKGROUNDTASKSTATUS_FINISHED); got.Data["messagesSent"] != float64(3) {
		t.Fatalf("recover data %v", got.Data)
	}
	dests, err := c.MessageAttempt.ListAttemptedDestinations(ctx, app.Id, msgs[1].Id, nil)
	ok(t, err)
	if dests.Data[0].Status != models.MESSAGESTATUS_PENDING {
		t.Fatalf("delivery after recover: %+v", dests.Data[0])
	}

	// replay-missing: an endpoint made after the messages gets them all,
	// once.
	late, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://example.com/late"}, nil)
	ok(t, err)
	replay, err := c.Endpoint.ReplayMissing(ctx, app.Id, late.Id, models.ReplayIn{Since: since}, nil)
	ok(t, err)
	if replay.Task != models.BACKGROUNDTASKTYPE_ENDPOINT_REPLAY {
		t.Fatalf("replay %+v", replay)
	}
	again, err := c.Endpoint.ReplayMissing(ctx, app.Id, late.Id, models.ReplayIn{Since: since}, nil)
	ok(t, err)
	runTasks(t, e.store)
	if got := getTask(t, c, replay.Id, models.BACKGROUNDTASKSTATUS_FINISHED); got.Data["messagesSent"] != float64(3) {
		t.Fatalf("replay data %v", got.Data)
	}
	if got := getTask(t, c, again.Id, models.BACKGROUNDTASKSTATUS_FINISHED); got.Data["messagesSent"] != float64(0) {
		t.Fatalf("second replay data %v, want nothing sent", got.Data)
	}
	dests, err = c.MessageAttempt.ListAttemptedDestinations(ctx, app.Id, msgs[2].Id, nil)
	ok(t, err)
	if len(dests.Data) != 2 {
		t.Fatalf("destinations after replay: %+v", dests.Data)
	}

	// bulk-replay: filters on the tag and the last attempt's status class.
	class5, class4 := models.STATUSCODECLASS_CODE5XX, models.STATUSCODECLASS_CODE4XX
	even := "even"
	bulk, err := c.Endpoint.BulkReplay(ctx, app.Id, ep.Id, models.BulkReplayIn{Since: since, StatusCodeClass: &class5, Tag: &even}, nil)
	ok(t, err)
	none, err := c.Endpoint.BulkReplay(ctx, app.Id, ep.Id, models.BulkReplayIn{Since: since, StatusCodeClass: &class4}, nil)
	ok(t, err)
	if bulk.Task != models.BACKGROUNDTASKTYPE_ENDPOINT_BULK_REPLAY {
		t.Fatalf("bulk replay %+v", bulk)
	}
	runTasks(t, e.store)
	if got := getTask(t, c, bulk.Id, models.BACKGROUNDTASKSTATUS_FINISHED); got.Data["messagesSent"] != float64(2) {
		t.Fatalf("bulk replay data %v, want the two even messages", got.Data)
	}
	if got := getTask(t, c, none.Id, models.BACKGROUNDTASKSTATUS_FINISHED); got.Data["messagesSent"] != float64(0) {
		t.Fatalf("bulk replay of 4xx data %v", got.Data)
	}

	// The list, its filters and pages.
	list, err := c.BackgroundTask.List(ctx, &svix.BackgroundTaskListOptions{Task: ptr(models.BACKGROUNDTASKTYPE_ENDPOINT_REPLAY)})
	ok(t, err)
	if len(list.Data) != 2 || list.Data[0].Id != replay.Id || list.Data[1].Id != again.Id || !list.Done {
		t.Fatalf("replay tasks %+v", list)
	}
	running := models.BACKGROUNDTASKSTATUS_RUNNING
	list, err = c.BackgroundTask.List(ctx, &svix.BackgroundTaskListOptions{Status: &running})
	ok(t, err)
	if len(list.Data) != 0 {
		t.Fatalf("running tasks %+v", list.Data)
	}
	page, err := c.BackgroundTask.List(ctx, &svix.BackgroundTaskListOptions{Limit: ptr(uint64(3))})
	ok(t, err)
	next, err := c.BackgroundTask.List(ctx, &svix.BackgroundTaskListOptions{Limit: ptr(uint64(3)), Iterator: page.Iterator})
	ok(t, err)
	if len(page.Data) != 3 || page.Done || len(next.Data) != 2 || !next.Done || next.Data[1].Id != none.Id {
		t.Fatalf("pages %+v then %+v", page, next)
	}

	// expunge-all-contents and bulk-expunge.
	purge, err := c.Message.ExpungeAllContents(ctx, app.Id, nil)
	ok(t, err)
	if purge.Task != models.BACKGROUNDTASKTYPE_APPLICATION_PURGE_CONTENT {
		t.Fatalf("expunge-all-contents %+v", purge)
	}
	runTasks(t, e.store)
	if got := getTask(t, c, purge.Id, models.BACKGROUNDTASKSTATUS_FINISHED); got.Data["messagesPurged"] != float64(3) {
		t.Fatalf("purge data %v", got.Data)
	}
	m, err := c.Message.Get(ctx, app.Id, msgs[0].Id, nil)
	ok(t, err)
	if m.Payload["expired"] != true {
		t.Fatalf("payload after expunge-all-contents: %v", m.Payload)
	}
	fresh, err := c.Message.Create(ctx, app.Id, models.MessageIn{EventType: "user.created", Payload: map[string]any{"a": 1},
		EventId: ptr("evt-1")}, nil)
	ok(t, err)
	code, body := e.do("POST", "/api/v1/app/"+app.Id+"/msg/bulk-expunge", e.admin, map[string]any{"ids": []string{"evt-1", "msg_nope"}})
	if code != http.StatusOK || string(body) != `{"results":{"evt-1":"expunged","msg_nope":"not-found"}}` {
		t.Fatalf("bulk-expunge: %d %s", code, body)
	}
	m, err = c.Message.Get(ctx, app.Id, fresh.Id, nil)
	ok(t, err)
	if m.Payload["expired"] != true {
		t.Fatalf("payload after bulk-expunge: %v", m.Payload)
	}
}

// TestBackgroundTaskBadInput: what the task routes refuse, in the Svix
// error shape, starts no task.
func TestBackgroundTaskBadInput(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "Bad"}, nil)
	ok(t, err)
	ep, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://example.com/a"}, nil)
	ok(t, err)
	long := time.Now().AddDate(0, 0, -15)
	_, err = c.Endpoint.ReplayMissing(ctx, app.Id, ep.Id, models.ReplayIn{Since: long}, nil)
	wantStatus(t, err, http.StatusUnprocessableEntity)
	_, err = c.Endpoint.BulkReplay(ctx, app.Id, ep.Id, models.BulkReplayIn{Since: long}, nil)
	wantStatus(t, err, http.StatusUnprocessableEntity)
	_, err = c.Endpoint.Recover(ctx, app.Id, ep.Id, models.RecoverIn{Since: long}, nil)
	wantStatus(t, err, http.StatusUnprocessableEntity)
	before := time.Now().Add(-time.Hour)
	_, err = c.Endpoint.ReplayMissing(ctx, app.Id, ep.Id, models.ReplayIn{Since: time.Now(), Until: &before}, nil)
	wantStatus(t, err, http.StatusUnprocessableEntity)
	_, err = c.Endpoint.ReplayMissing(ctx, app.Id, "ep_nope", models.ReplayIn{Since: time.Now()}, nil)
	wantStatus(t, err, http.StatusNotFound)
	_, err = c.Message.ExpungeAllContents(ctx, "app_nope", nil)
	wantStatus(t, err, http.StatusNotFound)

	epPath := "/api/v1/app/" + app.Id + "/endpoint/" + ep.Id
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	for _, bad := range []struct {
		method, path string
		body         any
		code         int
	}{
		{"POST", epPath + "/replay-missing", map[string]any{}, 422},
		{"POST", epPath + "/replay-missing", map[string]any{"since": "yesterday"}, 422},
		{"POST", epPath + "/bulk-replay", map[string]any{"since": since, "statusCodeClass": 123}, 422},
		{"POST", epPath + "/bulk-replay", map[string]any{"since": since, "status": 9}, 422},
		{"POST", epPath + "/bulk-replay", map[string]any{"since": since, "eventTypes": []string{"not a name"}}, 422},
		{"POST", epPath + "/bulk-replay", map[string]any{"since": since, "channel": "bad channel"}, 422},
		{"POST", epPath + "/bulk-replay", map[string]any{"since": since, "tag": strings.Repeat("t", 129)}, 422},
		{"POST", epPath + "/recover", `{"since": `, 422},
		{"POST", "/api/v1/app/" + app.Id + "/msg/expunge-all-contents", `[]`, 422},
		{"POST", "/api/v1/app/" + app.Id + "/msg/bulk-expunge", map[string]any{"ids": make([]string, 251)}, 422},
		{"POST", "/api/v1/app/" + app.Id + "/msg/bulk-expunge", map[string]any{"ids": []string{"not an id"}}, 422},
		{"GET", "/api/v1/background-task?status=done", nil, 422},
		{"GET", "/api/v1/background-task?task=endpoint.nothing", nil, 422},
		{"GET", "/api/v1/background-task?iterator=msg_1", nil, 422},
		{"GET", "/api/v1/background-task/qtask_nope", nil, 404},
		{"GET", "/api/v1/background-task/" + hookline.NewID(hookline.PrefixTask), nil, 404},
	} {
		code, body := e.do(bad.method, bad.path, e.admin, bad.body)
		var shape struct{ Code, Detail json.RawMessage }
		if code != bad.code || json.Unmarshal(body, &shape) != nil || (shape.Code == nil && shape.Detail == nil) {
			t.Errorf("%s %s %v: %d %s, want %d in the Svix error shape", bad.method, bad.path, bad.body, code, body, bad.code)
		}
	}
	list, err := c.BackgroundTask.List(ctx, nil)
	ok(t, err)
	if len(list.Data) != 0 {
		t.Fatalf("refused calls started tasks: %+v", list.Data)
	}
}

// TestBackgroundTaskIsolation: an application's token sees its own
// application's tasks alone, and starts none in another.
func TestBackgroundTaskIsolation(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	var apps []*models.ApplicationOut
	var tasks []string
	for _, name := range []string{"mine", "theirs"} {
		app, err := c.Application.Create(ctx, models.ApplicationIn{Name: name}, nil)
		ok(t, err)
		ep, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://example.com/" + name}, nil)
		ok(t, err)
		rec, err := c.Endpoint.Recover(ctx, app.Id, ep.Id, models.RecoverIn{Since: time.Now().Add(-time.Hour)}, nil)
		ok(t, err)
		apps, tasks = append(apps, app), append(tasks, rec.Id)
	}
	access, err := c.Authentication.AppPortalAccess(ctx, apps[0].Id, models.AppPortalAccessIn{}, nil)
	ok(t, err)
	p := e.sdk(access.Token)
	list, err := p.BackgroundTask.List(ctx, nil)
	ok(t, err)
	if len(list.Data) != 1 || list.Data[0].Id != tasks[0] {
		t.Fatalf("the portal token's list: %+v", list.Data)
	}
	getTask(t, p, tasks[0], models.BACKGROUNDTASKSTATUS_RUNNING)
	_, err = p.BackgroundTask.Get(ctx, tasks[1])
	wantStatus(t, err, http.StatusNotFound)
	all, err := c.BackgroundTask.List(ctx, nil)
	ok(t, err)
	if len(all.Data) != 2 {
		t.Fatalf("the admin's list: %+v", all.Data)
	}
	_, err = p.Message.ExpungeAllContents(ctx, apps[1].Id, nil)
	if err == nil {
		t.Fatal("a portal token expunged another application's payloads")
	}
	all, err = c.BackgroundTask.List(ctx, nil)
	ok(t, err)
	if len(all.Data) != 2 {
		t.Fatalf("a refused call started a task: %+v", all.Data)
	}
}
