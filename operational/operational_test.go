package operational_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/operational"
	"github.com/hookline/hookline/postgres"
	"github.com/hookline/hookline/postgres/pgtest"
	"github.com/hookline/hookline/sqlite"
)

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hookline.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newNotifier(t *testing.T, st hookline.Store) (*operational.Notifier, *logBuffer) {
	logs := &logBuffer{}
	n := operational.New(operational.Config{Store: st, Logger: slog.New(slog.NewTextHandler(logs, nil)), CacheTTL: time.Hour})
	return n, logs
}

func ptr[T any](v T) *T { return &v }

// tenant creates an application with uid "shop" and an endpoint with uid
// "ep1" in it.
func tenant(t *testing.T, st hookline.Store) (*hookline.Application, *hookline.Endpoint) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	app := &hookline.Application{ID: hookline.NewID(hookline.PrefixApplication), UID: ptr("shop"), Name: "Shop", CreatedAt: now, UpdatedAt: now}
	if err := st.CreateApplication(ctx, app); err != nil {
		t.Fatal(err)
	}
	return app, addEndpoint(t, st, app.ID, ptr("ep1"), nil)
}

func addEndpoint(t *testing.T, st hookline.Store, appID string, uid *string, types []string) *hookline.Endpoint {
	t.Helper()
	now := time.Now().UTC()
	ep := &hookline.Endpoint{
		ID: hookline.NewID(hookline.PrefixEndpoint), AppID: appID, UID: uid, URL: "https://ops.example.com/hook",
		EventTypes: types, Secret: hookline.NewSecret(), CreatedAt: now, UpdatedAt: now,
	}
	if err := st.CreateEndpoint(context.Background(), ep, 0); err != nil {
		t.Fatal(err)
	}
	return ep
}

// messages returns the messages of the internal application, oldest first.
func messages(t *testing.T, st hookline.Store, appID string) []*hookline.Message {
	t.Helper()
	page, err := st.ListMessages(context.Background(), appID, hookline.MessageFilter{ListOptions: hookline.ListOptions{Limit: 250}})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func TestNoSubscriberNoMessage(t *testing.T) {
	st := openStore(t)
	n, logs := newNotifier(t, st)
	ctx := context.Background()
	app, ep := tenant(t, st)
	n.Notify(ctx, hookline.EndpointEvent(hookline.EventEndpointCreated, ep, "", nil))
	// Notify does not create the internal application.
	if _, err := st.Application(ctx, operational.AppUID); hookline.ErrorCode(err) != hookline.ENOTFOUND {
		t.Fatalf("internal application: %v", err)
	}
	// With the application but no endpoint, nothing either.
	opApp, err := n.Application(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(ctx, hookline.EndpointEvent(hookline.EventEndpointCreated, ep, "", nil))
	if got := messages(t, st, opApp.ID); len(got) != 0 {
		t.Fatalf("%d messages", len(got))
	}
	if got := messages(t, st, app.ID); len(got) != 0 {
		t.Fatalf("%d messages in the tenant", len(got))
	}
	if logs.String() != "" {
		t.Fatalf("logs: %s", logs)
	}
}

func TestApplicationIsCreatedOnce(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	a, _ := newNotifier(t, st)
	b, _ := newNotifier(t, st) // another process on the same database
	app1, err := a.Application(ctx)
	if err != nil {
		t.Fatal(err)
	}
	app2, err := b.Application(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if app1.ID != app2.ID || !operational.IsInternal(app1) || *app1.UID != operational.AppUID {
		t.Fatalf("%+v %+v", app1, app2)
	}
	page, err := st.ListApplications(ctx, hookline.ListOptions{Limit: 10})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("%v %d applications", err, len(page.Items))
	}
	if operational.IsInternal(&hookline.Application{UID: ptr(operational.AppUID)}) {
		t.Fatal("an application with the uid but not the marker is internal")
	}
}

func TestNotifyRecordsAMessageInTheSvixShape(t *testing.T) {
	st := openStore(t)
	n, logs := newNotifier(t, st)
	ctx := context.Background()
	app, ep := tenant(t, st)
	opApp, err := n.Application(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sub := addEndpoint(t, st, opApp.ID, nil, []string{hookline.EventEndpointCreated, hookline.EventMessageAttemptExhausted})
	n.Invalidate()

	// The caller gives neither uid: Notify looks them up.
	n.Notify(ctx, hookline.OperationalEvent{Type: hookline.EventEndpointCreated,
		Data: hookline.EndpointEventData{AppID: app.ID, EndpointID: ep.ID}})
	// Not subscribed: not recorded.
	n.Notify(ctx, hookline.EndpointEvent(hookline.EventEndpointDeleted, ep, "", nil))
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	n.Notify(ctx, hookline.AttemptEvent(hookline.EventMessageAttemptExhausted,
		&hookline.Task{Delivery: hookline.Delivery{AppID: app.ID}, Endpoint: *ep, Message: hookline.Message{ID: "msg_x", EventID: ptr("evt1")}},
		&hookline.Attempt{ID: "atmpt_x", StatusCode: 500, CreatedAt: at}))

	got := messages(t, st, opApp.ID)
	if len(got) != 2 {
		t.Fatalf("%d messages, want 2; logs %s", len(got), logs)
	}
	var created struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(got[0].Payload, &created); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"appId": app.ID, "appUid": "shop", "endpointId": ep.ID, "endpointUid": "ep1"}
	if created.Type != hookline.EventEndpointCreated || got[0].EventType != created.Type || !equalJSON(created.Data, want) {
		t.Fatalf("endpoint.created: %s %s", got[0].EventType, got[0].Payload)
	}
	var exhausted struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(got[1].Payload, &exhausted); err != nil {
		t.Fatal(err)
	}
	want = map[string]any{"appId": app.ID, "appUid": "shop", "endpointId": ep.ID, "msgId": "msg_x", "msgEventId": "evt1",
		"lastAttempt": map[string]any{"id": "atmpt_x", "responseStatusCode": 500.0, "timestamp": "2025-01-02T03:04:05Z"}}
	if exhausted.Type != hookline.EventMessageAttemptExhausted || !equalJSON(exhausted.Data, want) {
		t.Fatalf("message.attempt.exhausted: %s", got[1].Payload)
	}
	// Each message has a delivery to the subscribed endpoint.
	for _, m := range got {
		d, err := st.ListDeliveriesByMessage(ctx, opApp.ID, m.ID, hookline.ListOptions{Limit: 10})
		if err != nil || len(d.Items) != 1 || d.Items[0].Delivery.EndpointID != sub.ID {
			t.Fatalf("deliveries of %s: %v %+v", m.EventType, err, d.Items)
		}
	}
	if logs.String() != "" {
		t.Fatalf("logs: %s", logs)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestSubscriptionsAreCachedUntilInvalidated(t *testing.T) {
	st := openStore(t)
	n, _ := newNotifier(t, st)
	ctx := context.Background()
	_, ep := tenant(t, st)
	opApp, err := n.Application(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(ctx, hookline.EndpointEvent(hookline.EventEndpointUpdated, ep, "", nil)) // reads: nobody
	// An endpoint added behind the Notifier's back is not seen...
	addEndpoint(t, st, opApp.ID, nil, nil)
	n.Notify(ctx, hookline.EndpointEvent(hookline.EventEndpointUpdated, ep, "", nil))
	if got := messages(t, st, opApp.ID); len(got) != 0 {
		t.Fatalf("%d messages before Invalidate", len(got))
	}
	// ...until Invalidate. An endpoint without filterTypes takes every type.
	n.Invalidate()
	n.Notify(ctx, hookline.EndpointEvent(hookline.EventEndpointUpdated, ep, "", nil))
	n.Notify(ctx, hookline.EndpointEvent(hookline.EventEndpointDisabled, ep, "manual", nil))
	got := messages(t, st, opApp.ID)
	if len(got) != 2 {
		t.Fatalf("%d messages after Invalidate", len(got))
	}
	if !strings.Contains(string(got[1].Payload), `"trigger":"manual"`) {
		t.Fatalf("endpoint.disabled: %s", got[1].Payload)
	}

	// With a TTL, another process's change is seen without Invalidate.
	other := operational.New(operational.Config{Store: st, CacheTTL: time.Nanosecond})
	other.Notify(ctx, hookline.EndpointEvent(hookline.EventEndpointUpdated, ep, "", nil))
	if got := messages(t, st, opApp.ID); len(got) != 3 {
		t.Fatalf("%d messages through a Notifier with a short TTL", len(got))
	}
}

func TestEventsAboutTheInternalApplicationAreNotSent(t *testing.T) {
	st := openStore(t)
	n, _ := newNotifier(t, st)
	ctx := context.Background()
	opApp, err := n.Application(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sub := addEndpoint(t, st, opApp.ID, nil, nil)
	n.Invalidate()
	n.Notify(ctx, hookline.EndpointEvent(hookline.EventEndpointDisabled, sub, "automatic", nil))
	n.Notify(ctx, hookline.AttemptEvent(hookline.EventMessageAttemptExhausted,
		&hookline.Task{Delivery: hookline.Delivery{AppID: opApp.ID}, Endpoint: *sub, Message: hookline.Message{ID: "msg_x"}},
		&hookline.Attempt{ID: "atmpt_x", StatusCode: 500, CreatedAt: time.Now()}))
	if got := messages(t, st, opApp.ID); len(got) != 0 {
		t.Fatalf("%d messages about the internal application", len(got))
	}
}

func TestAForeignApplicationWithTheUIDIsNotTaken(t *testing.T) {
	st := openStore(t)
	n, logs := newNotifier(t, st)
	ctx := context.Background()
	now := time.Now().UTC()
	foreign := &hookline.Application{ID: hookline.NewID(hookline.PrefixApplication), UID: ptr(operational.AppUID), Name: "x", CreatedAt: now, UpdatedAt: now}
	if err := st.CreateApplication(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	addEndpoint(t, st, foreign.ID, nil, nil)
	if _, err := n.Application(ctx); hookline.ErrorCode(err) != hookline.ECONFLICT {
		t.Fatalf("Application: %v", err)
	}
	_, ep := tenant(t, st)
	n.Notify(ctx, hookline.EndpointEvent(hookline.EventEndpointCreated, ep, "", nil))
	n.Notify(ctx, hookline.EndpointEvent(hookline.EventEndpointCreated, ep, "", nil))
	if got := messages(t, st, foreign.ID); len(got) != 0 {
		t.Fatalf("%d messages sent to a tenant's application", len(got))
	}
	if c := strings.Count(logs.String(), "operational webhooks are off"); c != 1 {
		t.Fatalf("logged %d times: %s", c, logs)
	}
}

// failingStore fails CreateMessage.
type failingStore struct {
	hookline.Store
}

func (failingStore) CreateMessage(context.Context, *hookline.Message) (int, error) {
	return 0, errors.New("disk on fire")
}

func TestNotifyLogsFailures(t *testing.T) {
	st := openStore(t)
	n, logs := newNotifier(t, failingStore{st})
	ctx, cancel := context.WithCancel(context.Background())
	opApp, err := n.Application(ctx)
	if err != nil {
		t.Fatal(err)
	}
	addEndpoint(t, st, opApp.ID, nil, nil)
	n.Invalidate()
	_, ep := tenant(t, st)
	cancel() // a canceled caller does not stop the work
	n.Notify(ctx, hookline.EndpointEvent(hookline.EventEndpointCreated, ep, "", nil))
	l := logs.String()
	if !strings.Contains(l, "disk on fire") || !strings.Contains(l, "type=endpoint.created") {
		t.Fatalf("logs: %s", l)
	}
	for _, secret := range [][]byte{ep.Secret} {
		if strings.Contains(l, string(secret)) {
			t.Fatal("a secret in the logs")
		}
	}
}

// On PostgreSQL, several processes share the internal application: it is
// created once however many start together, and each sees the others'
// operational endpoints once its cache expires.
func TestTwoNodesOnPostgres(t *testing.T) {
	_, url := pgtest.Schema(t)
	ctx := context.Background()
	var stores [2]*postgres.Store
	for i := range stores {
		st, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		stores[i] = st
	}
	var nodes [2]*operational.Notifier
	var apps [2]*hookline.Application
	var errs [2]error
	var wg sync.WaitGroup
	for i := range nodes {
		nodes[i] = operational.New(operational.Config{Store: stores[i], CacheTTL: time.Nanosecond})
		wg.Add(1)
		go func() {
			defer wg.Done()
			apps[i], errs[i] = nodes[i].Application(ctx)
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || apps[0].ID != apps[1].ID {
		t.Fatalf("%v %v", errs, apps)
	}
	page, err := stores[0].ListApplications(ctx, hookline.ListOptions{Limit: 10})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("%v %d applications", err, len(page.Items))
	}
	_, ep := tenant(t, stores[0])
	addEndpoint(t, stores[0], apps[0].ID, nil, []string{hookline.EventEndpointDeleted})
	nodes[1].Notify(ctx, hookline.EndpointEvent(hookline.EventEndpointDeleted, ep, "", nil))
	got := messages(t, stores[1], apps[0].ID)
	if len(got) != 1 || !strings.Contains(string(got[0].Payload), `"endpointUid":"ep1"`) {
		t.Fatalf("messages: %v", got)
	}
}
