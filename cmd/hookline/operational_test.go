package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	svix "github.com/svix/svix-webhooks/go"
	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline/internal/wait"
)

// opsReceiver is an operational webhook receiver on 127.0.0.1 that keeps
// every request's headers and body.
type opsReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []opsRequest
}

type opsRequest struct {
	header http.Header
	body   []byte
	typ    string
}

func newOpsReceiver(t *testing.T) *opsReceiver {
	o := &opsReceiver{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev struct{ Type string }
		json.Unmarshal(body, &ev)
		o.mu.Lock()
		o.reqs = append(o.reqs, opsRequest{header: r.Header.Clone(), body: body, typ: ev.Type})
		o.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *opsReceiver) requests() []opsRequest {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.reqs)
}

func (o *opsReceiver) types() []string {
	var out []string
	for _, r := range o.requests() {
		out = append(out, r.typ)
	}
	return out
}

func (o *opsReceiver) has(typ string) bool { return slices.Contains(o.types(), typ) }

// TestOperationalWebhooksThroughTheSDK registers operational webhook
// endpoints with the Svix SDK and checks that endpoint and delivery events
// reach them, signed with their secrets, in the SDK's shapes, and only those
// of the types they subscribed to.
func TestOperationalWebhooksThroughTheSDK(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	sx := s.client(t)

	ops := newOpsReceiver(t) // endpoint.created and .deleted only
	all := newOpsReceiver(t) // every endpoint event, and exhausted attempts
	opEp, err := sx.OperationalWebhookEndpoint.Create(ctx, models.OperationalWebhookEndpointIn{
		Url: ops.URL, FilterTypes: []string{"endpoint.created", "endpoint.deleted"},
	}, nil)
	must(t, err)
	_, err = sx.OperationalWebhookEndpoint.Create(ctx, models.OperationalWebhookEndpointIn{
		Url: all.URL, FilterTypes: []string{"endpoint.created", "endpoint.updated", "endpoint.deleted", "message.attempt.exhausted"},
	}, nil)
	must(t, err)
	secret, err := sx.OperationalWebhookEndpoint.GetSecret(ctx, opEp.Id)
	must(t, err)

	app, err := sx.Application.Create(ctx, models.ApplicationIn{Name: "Shop", Uid: ptr("shop")}, nil)
	must(t, err)
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(failing.Close)
	ep, err := sx.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: failing.URL, Uid: ptr("ep1")}, nil)
	must(t, err)
	_, err = sx.Endpoint.Patch(ctx, app.Id, ep.Id, models.EndpointPatch{Description: ptr("patched")})
	must(t, err)
	msg, err := sx.Message.Create(ctx, app.Id, models.MessageIn{EventType: "order.paid", Payload: map[string]any{"n": 1}}, nil)
	must(t, err)
	wait.For(t, "message.attempt.exhausted", func() bool { return all.has("message.attempt.exhausted") })
	must(t, sx.Endpoint.Delete(ctx, app.Id, ep.Id))

	// Once the endpoint taking every event has the last one, every message
	// exists, and the deliveries of each with it: ops will get no more.
	wait.For(t, "the events of the endpoint taking them all", func() bool { return len(all.requests()) == 4 })
	wait.For(t, "two operational webhooks", func() bool { return len(ops.requests()) == 2 })
	// Deliveries made at once may arrive in any order.
	if got := sorted(all.types()); !slices.Equal(got, []string{"endpoint.created", "endpoint.deleted", "endpoint.updated", "message.attempt.exhausted"}) {
		t.Fatalf("the endpoint of every type got %q", got)
	}
	reqs := ops.requests()
	slices.SortFunc(reqs, func(a, b opsRequest) int { return strings.Compare(a.typ, b.typ) })
	if got := sorted(ops.types()); !slices.Equal(got, []string{"endpoint.created", "endpoint.deleted"}) {
		t.Fatalf("the endpoint of endpoint.created and .deleted got %q", got)
	}

	wh, err := svix.NewWebhook(secret.Key)
	must(t, err)
	for _, r := range reqs {
		if err := wh.Verify(r.body, r.header); err != nil {
			t.Fatalf("%s: the signature does not verify: %v", r.typ, err)
		}
	}
	var created models.EndpointCreatedEvent
	must(t, json.Unmarshal(reqs[0].body, &created))
	if d := created.Data; created.Type != "endpoint.created" || d.AppId != app.Id || d.AppUid == nil || *d.AppUid != "shop" ||
		d.EndpointId != ep.Id || d.EndpointUid == nil || *d.EndpointUid != "ep1" {
		t.Fatalf("endpoint.created: %s", reqs[0].body)
	}
	var deleted models.EndpointDeletedEvent
	must(t, json.Unmarshal(reqs[1].body, &deleted))
	if d := deleted.Data; deleted.Type != "endpoint.deleted" || d.AppId != app.Id || *d.AppUid != "shop" ||
		d.EndpointId != ep.Id || *d.EndpointUid != "ep1" {
		t.Fatalf("endpoint.deleted: %s", reqs[1].body)
	}
	for _, r := range all.requests() {
		if r.typ != "message.attempt.exhausted" {
			continue
		}
		var ex models.MessageAttemptExhaustedEvent
		must(t, json.Unmarshal(r.body, &ex))
		if d := ex.Data; d.AppId != app.Id || *d.AppUid != "shop" || d.EndpointId != ep.Id || d.MsgId != msg.Id ||
			d.LastAttempt.ResponseStatusCode != 500 || d.LastAttempt.Id == "" || d.LastAttempt.Timestamp.IsZero() {
			t.Fatalf("message.attempt.exhausted: %s", r.body)
		}
	}

	// The internal application is not among the tenants.
	apps, err := sx.Application.List(ctx, nil)
	must(t, err)
	if len(apps.Data) != 1 || apps.Data[0].Id != app.Id {
		t.Fatalf("applications: %+v", apps.Data)
	}
	_, err = sx.Application.Get(ctx, "hookline-operational")
	if se, ok := err.(*svix.Error); !ok || se.Status() != 404 {
		t.Fatalf("the internal application by uid: %v", err)
	}
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		if se, ok := err.(*svix.Error); ok {
			t.Fatalf("%v: %s", err, se.Body())
		}
		t.Fatal(err)
	}
}
