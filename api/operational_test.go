package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/operational"
)

const opPath = "/api/v1/operational-webhook/endpoint"

func TestSDKOperationalWebhookEndpoints(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	ow := c.OperationalWebhookEndpoint

	list, err := ow.List(ctx, nil)
	ok(t, err)
	if len(list.Data) != 0 || !list.Done {
		t.Fatalf("list: %+v", list)
	}
	ep, err := ow.Create(ctx, models.OperationalWebhookEndpointIn{
		Url: "https://ops.example.com/hooks", Description: ptr("ops"), Uid: ptr("ops1"),
		FilterTypes: []string{"endpoint.created", "message.attempt.exhausted"},
		Metadata:    &map[string]string{"team": "sre"}, ThrottleRate: ptr(uint16(5)),
	}, nil)
	ok(t, err)
	if ep.Url != "https://ops.example.com/hooks" || ep.Description != "ops" || *ep.Uid != "ops1" ||
		!slices.Equal(ep.FilterTypes, []string{"endpoint.created", "message.attempt.exhausted"}) ||
		ep.Metadata["team"] != "sre" || *ep.ThrottleRate != 5 || ep.Disabled == nil || *ep.Disabled || ep.CreatedAt.IsZero() {
		t.Fatalf("created: %+v", ep)
	}
	for _, id := range []string{ep.Id, "ops1"} {
		got, err := ow.Get(ctx, id)
		ok(t, err)
		if got.Id != ep.Id {
			t.Fatalf("get %s: %+v", id, got)
		}
	}
	list, err = ow.List(ctx, nil)
	ok(t, err)
	if len(list.Data) != 1 || list.Data[0].Id != ep.Id {
		t.Fatalf("list: %+v", list)
	}

	// PUT replaces, keeping the secret; PUT with a free uid creates.
	sec, err := ow.GetSecret(ctx, ep.Id)
	ok(t, err)
	up, err := ow.Update(ctx, "ops1", models.OperationalWebhookEndpointUpdate{
		Url: "https://ops.example.com/v2", FilterTypes: []string{"endpoint.deleted"}, Disabled: ptr(true), Uid: ptr("ops1"),
	})
	ok(t, err)
	if up.Id != ep.Id || up.Url != "https://ops.example.com/v2" || !slices.Equal(up.FilterTypes, []string{"endpoint.deleted"}) ||
		!*up.Disabled || up.Description != "" {
		t.Fatalf("updated: %+v", up)
	}
	if again, err := ow.GetSecret(ctx, ep.Id); err != nil || again.Key != sec.Key {
		t.Fatalf("the secret changed on update: %v", err)
	}
	created, err := ow.Update(ctx, "ops2", models.OperationalWebhookEndpointUpdate{Url: "https://ops.example.com/two"})
	ok(t, err)
	if created.Id == ep.Id || *created.Uid != "ops2" || created.FilterTypes != nil {
		t.Fatalf("upserted: %+v", created)
	}

	// Secrets: generated, rotated to a given key or a new one.
	if len(sec.Key) < 10 || sec.Key[:6] != "whsec_" {
		t.Fatalf("secret %q", sec.Key)
	}
	const key = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
	ok(t, ow.RotateSecret(ctx, ep.Id, models.OperationalWebhookEndpointSecretIn{Key: ptr(key)}, nil))
	if got, err := ow.GetSecret(ctx, "ops1"); err != nil || got.Key != key {
		t.Fatalf("after rotation: %v %+v", err, got)
	}
	stored, err := e.store.Endpoint(ctx, opAppID(t, e), ep.Id)
	ok(t, err)
	if len(stored.PreviousSecrets) != 1 {
		t.Fatalf("%d previous secrets after a rotation", len(stored.PreviousSecrets))
	}
	ok(t, ow.RotateSecret(ctx, ep.Id, models.OperationalWebhookEndpointSecretIn{}, nil))
	if got, err := ow.GetSecret(ctx, ep.Id); err != nil || got.Key == key || got.Key == sec.Key {
		t.Fatalf("after a rotation to a new secret: %v %+v", err, got)
	}

	// Headers, with credentials named but not shown.
	ok(t, ow.UpdateHeaders(ctx, ep.Id, models.OperationalWebhookEndpointHeadersIn{
		Headers: map[string]string{"X-Team": "sre", "Authorization": "Bearer s3cret"},
	}))
	h, err := ow.GetHeaders(ctx, "ops1")
	ok(t, err)
	if len(h.Headers) != 1 || h.Headers["X-Team"] != "sre" || !slices.Equal(h.Sensitive, []string{"Authorization"}) {
		t.Fatalf("headers: %+v", h)
	}
	if stored, _ := e.store.Endpoint(ctx, opAppID(t, e), ep.Id); stored.Headers["Authorization"] != "Bearer s3cret" {
		t.Fatalf("stored headers: %v", stored.Headers)
	}

	ok(t, ow.Delete(ctx, "ops1"))
	_, err = ow.Get(ctx, ep.Id)
	wantStatus(t, err, 404)
	wantStatus(t, ow.Delete(ctx, ep.Id), 404)
	list, err = ow.List(ctx, nil)
	ok(t, err)
	if len(list.Data) != 1 || list.Data[0].Id != created.Id {
		t.Fatalf("list after delete: %+v", list)
	}
}

// opAppID returns the id of the internal application.
func opAppID(t *testing.T, e *env) string {
	t.Helper()
	app, err := e.store.Application(context.Background(), operational.AppUID)
	if err != nil {
		t.Fatal(err)
	}
	return app.ID
}

// The hosted Svix API names filterTypes eventTypes; both are read and written.
func TestOperationalEndpointEventTypes(t *testing.T) {
	e := newEnv(t, nil, nil)
	var out map[string]any
	e.must(201, "POST", opPath, e.admin, map[string]any{"url": "https://ops.example.com/", "eventTypes": []string{"endpoint.updated"}}, &out)
	if !equalJSONValue(out["eventTypes"], []any{"endpoint.updated"}) || !equalJSONValue(out["filterTypes"], []any{"endpoint.updated"}) {
		t.Fatalf("out: %v", out)
	}
}

func equalJSONValue(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestOperationalEndpointErrors(t *testing.T) {
	f := newFixture(t, nil, nil)
	var ep struct{ ID string }
	f.must(201, "POST", opPath, f.admin, map[string]any{"url": "https://ops.example.com/", "uid": "ops"}, &ep)
	var access struct{ Token string }
	f.must(200, "POST", "/api/v1/auth/app-portal-access/shop", f.admin, nil, &access)

	for _, tc := range []struct {
		method, path string
		body         any
		status       int
		want         string // the code, or for 422 the loc
	}{
		{"POST", opPath, map[string]any{"url": "ftp://ops.example.com/"}, 422, "body.url"},
		{"POST", opPath, map[string]any{}, 422, "body.url"},
		{"POST", opPath, `{"url": 1}`, 422, "body.url"},
		{"POST", opPath, "not json", 422, "body"},
		{"POST", opPath, map[string]any{"url": "https://a.example.com/", "filterTypes": []string{"user.created"}}, 422, "body.filterTypes.0"},
		{"POST", opPath, map[string]any{"url": "https://a.example.com/", "eventTypes": []string{"endpoint.created", "nope"}}, 422, "body.eventTypes.1"},
		{"POST", opPath, map[string]any{"url": "https://a.example.com/", "filterTypes": []string{}}, 422, "body.filterTypes"},
		{"POST", opPath, map[string]any{"url": "https://a.example.com/", "secret": "short"}, 422, "body.secret"},
		{"POST", opPath, map[string]any{"url": "https://a.example.com/", "uid": "bad uid"}, 422, "body.uid"},
		{"POST", opPath, map[string]any{"url": "https://a.example.com/", "throttleRate": 70000}, 422, "body.throttleRate"},
		{"POST", opPath, map[string]any{"url": "https://a.example.com/", "headers": map[string]string{"Webhook-Id": "x"}}, 422, "body.headers.Webhook-Id"},
		{"POST", opPath, map[string]any{"url": "https://a.example.com/", "uid": "ops"}, 409, "conflict"},
		{"PUT", opPath + "/ops", map[string]any{"url": "https://a.example.com/", "filterTypes": []string{"x.y"}}, 422, "body.filterTypes.0"},
		{"POST", opPath + "/ops/secret/rotate", map[string]any{"gracePeriodSeconds": -1}, 422, "body.gracePeriodSeconds"},
		{"POST", opPath + "/ops/secret/rotate", map[string]any{"key": "whpk_" + "A"}, 422, "body.key"},
		{"PUT", opPath + "/ops/headers", map[string]any{"headers": map[string]string{"bad name": "x"}}, 422, "body.headers.bad name"},
		{"GET", opPath + "?limit=x", nil, 422, "query.limit"},
		// Unknown ids, and ids of tenants' endpoints.
		{"GET", opPath + "/nope", nil, 404, "not_found"},
		{"GET", opPath + "/" + f.ep, nil, 404, "not_found"},
		{"DELETE", opPath + "/" + f.ep, nil, 404, "not_found"},
		{"GET", opPath + "/" + f.ep + "/secret", nil, 404, "not_found"},
		{"POST", opPath + "/nope/secret/rotate", nil, 404, "not_found"},
		{"GET", opPath + "/nope/headers", nil, 404, "not_found"},
		{"PUT", opPath + "/nope/headers", map[string]any{"headers": map[string]string{}}, 404, "not_found"},
		// And the other way: an operational endpoint is not a tenant's.
		{"GET", "/api/v1/app/shop/endpoint/" + ep.ID, nil, 404, "not_found"},
		{"DELETE", "/api/v1/app/shop/endpoint/ops", nil, 404, "not_found"},
	} {
		st, body := f.do(tc.method, tc.path, f.admin, tc.body)
		if st != tc.status {
			t.Errorf("%s %s: status %d, want %d; %s", tc.method, tc.path, st, tc.status, body)
			continue
		}
		checkError(t, st, body, tc.want)
	}

	// A replace of an endpoint that is not an operational one (a tenant's)
	// creates an operational endpoint, with an id of its own, as
	// svix-server's upsert does; the tenant's is untouched.
	st, body := f.do("PUT", opPath+"/"+f.ep, f.admin, map[string]any{"url": "https://b.example.com/"})
	var made struct{ ID string }
	json.Unmarshal(body, &made)
	if st != 201 || made.ID == f.ep || made.ID == "" {
		t.Fatalf("PUT of a tenant's endpoint id as an operational one: %d %s", st, body)
	}
	st, body = f.do("GET", "/api/v1/app/shop/endpoint/"+f.ep, f.admin, nil)
	if st != 200 || strings.Contains(string(body), "b.example.com") {
		t.Fatalf("the tenant's endpoint after the PUT: %d %s", st, body)
	}

	// Only admin tokens: app-portal tokens are forbidden, no token is 401.
	for _, r := range api.New(api.Config{}).Routes() {
		method, path, _ := strings.Cut(r, " ")
		if !strings.HasPrefix(path, opPath) {
			continue
		}
		path = strings.ReplaceAll(path, "{endpoint_id}", "ops")
		body := any(nil)
		if method == "POST" || method == "PUT" {
			body = map[string]any{"url": "https://evil.example.com/", "headers": map[string]string{}}
		}
		st, b := f.do(method, path, access.Token, body)
		if st != 403 {
			t.Errorf("app-portal token: %s %s: %d %s", method, path, st, b)
		} else {
			checkError(t, st, b, "forbidden")
		}
		if st, _ := f.do(method, path, "", body); st != 401 {
			t.Errorf("no token: %s %s: %d", method, path, st)
		}
	}
	var got struct{ URL string }
	f.must(200, "GET", opPath+"/ops", f.admin, nil, &got)
	if got.URL != "https://ops.example.com/" {
		t.Fatalf("changed by a forbidden request: %+v", got)
	}
}

// The internal application exists once an operational endpoint does, and
// the tenant API neither lists nor reaches it, by uid or id.
func TestInternalApplicationIsHidden(t *testing.T) {
	f := newFixture(t, nil, nil)
	var ep struct{ ID string }
	f.must(201, "POST", opPath, f.admin, map[string]any{"url": "https://ops.example.com/", "uid": "ops"}, &ep)
	internal := opAppID(t, f.env)
	// A source's internal application, made last, sorts after the visible
	// ones too.
	var src struct{ ID string }
	f.must(201, "POST", "/ingest/api/v1/source", f.admin, map[string]any{"name": "hooks", "type": "generic-webhook"}, &src)
	var access struct{ Token string }
	f.must(200, "POST", "/api/v1/auth/app-portal-access/shop", f.admin, nil, &access)

	// Not listed, whatever the page size, in either order; no iterator
	// names it, no page is short with more after it, and the last page
	// that has any says done (no empty page follows); the walk ends.
	for _, q := range []struct {
		limit int
		order string
	}{{1, ""}, {2, ""}, {50, ""}, {1, "descending"}, {2, "ascending"}} {
		var seen []string
		iter := ""
		for range 10 {
			var page struct {
				Data []struct {
					ID  string
					UID *string
				}
				Iterator     *string
				PrevIterator *string
				Done         bool
			}
			f.must(200, "GET", fmt.Sprintf("/api/v1/app?limit=%d&order=%s&iterator=%s", q.limit, q.order, iter), f.admin, nil, &page)
			if len(page.Data) == 0 {
				t.Fatalf("%+v: an empty page after %v: the page before did not say done", q, seen)
			}
			for _, a := range page.Data {
				seen = append(seen, a.ID)
			}
			for _, it := range []*string{page.Iterator, page.PrevIterator} {
				if it != nil && strings.Contains(*it, internal) {
					t.Fatalf("%+v: an iterator names the internal application: %s", q, *it)
				}
			}
			if page.Done {
				break
			}
			if len(page.Data) < q.limit {
				t.Fatalf("%+v: a page of %d with more after it", q, len(page.Data))
			}
			iter = *page.Iterator
		}
		if slices.Contains(seen, internal) || !slices.Contains(seen, f.app) || !slices.Contains(seen, f.other) || len(seen) != 2 {
			t.Fatalf("%+v: listed %v (internal %s)", q, seen, internal)
		}
	}

	before := f.snapshot()
	msg := map[string]any{"eventType": hookline.EventEndpointCreated, "payload": map[string]any{}}
	for _, id := range []string{operational.AppUID, internal} {
		for _, tok := range []string{f.admin, access.Token} {
			for _, tc := range []struct {
				method, path string
				body         any
			}{
				{"GET", "/api/v1/app/" + id, nil},
				{"DELETE", "/api/v1/app/" + id, nil},
				{"PATCH", "/api/v1/app/" + id, map[string]any{"name": "mine"}},
				{"GET", "/api/v1/app/" + id + "/endpoint", nil},
				{"POST", "/api/v1/app/" + id + "/endpoint", map[string]any{"url": "https://evil.example.com/"}},
				{"GET", "/api/v1/app/" + id + "/endpoint/" + ep.ID, nil},
				{"GET", "/api/v1/app/" + id + "/endpoint/ops/secret", nil},
				{"PATCH", "/api/v1/app/" + id + "/endpoint/ops", map[string]any{"url": "https://evil.example.com/"}},
				{"GET", "/api/v1/app/" + id + "/msg", nil},
				{"POST", "/api/v1/app/" + id + "/msg", msg},
				{"POST", "/api/v1/app/" + id + "/msg", map[string]any{"eventType": "a.b", "payload": map[string]any{}, "application": map[string]any{"name": "x", "uid": id}}},
				{"GET", "/api/v1/app/" + id + "/attempt/endpoint/" + ep.ID, nil},
				{"POST", "/api/v1/auth/app-portal-access/" + id, nil},
			} {
				st, body := f.do(tc.method, tc.path, tok, tc.body)
				if tok == access.Token && st == 403 || st == 404 {
					continue
				}
				t.Errorf("%s %s: %d %s", tc.method, tc.path, st, body)
			}
		}
	}
	// Its uid is reserved: no application may take it.
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/app", map[string]any{"name": "x", "uid": operational.AppUID}},
		{"POST", "/api/v1/app?get_if_exists=true", map[string]any{"name": "x", "uid": operational.AppUID}},
		{"PUT", "/api/v1/app/" + operational.AppUID, map[string]any{"name": "x"}},
		{"PUT", "/api/v1/app/shop", map[string]any{"name": "x", "uid": operational.AppUID}},
		{"PATCH", "/api/v1/app/shop", map[string]any{"uid": operational.AppUID}},
	} {
		st, body := f.do(tc.method, tc.path, f.admin, tc.body)
		if st != 422 {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, st, body)
			continue
		}
		checkError(t, st, body, "body.uid")
	}
	if after := f.snapshot(); after != before {
		t.Fatalf("the tenant API changed the store:\nbefore %s\nafter  %s", before, after)
	}
}

// recorder is a Notifier that keeps the events it is told of.
type recorder struct {
	mu     sync.Mutex
	events []hookline.OperationalEvent
}

func (r *recorder) Notify(_ context.Context, e hookline.OperationalEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// take returns the events since the last take, as "type endpointUID".
func (r *recorder) take(t *testing.T, app string) []string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		d, ok := e.Data.(hookline.EndpointEventData)
		if !ok || d.AppID != app || d.AppUID == nil || *d.AppUID != "shop" {
			t.Fatalf("event %+v", e)
		}
		s := e.Type
		if d.EndpointUID != nil {
			s += " " + *d.EndpointUID
		}
		if d.Trigger != "" {
			s += " " + d.Trigger
		}
		out = append(out, s)
	}
	r.events = nil
	return out
}

func TestEndpointEventsAreNotified(t *testing.T) {
	rec := &recorder{}
	f := newFixture(t, func(c *api.Config) { c.Notifier = rec }, nil)
	rec.mu.Lock()
	if len(rec.events) != 2 { // the fixture's endpoints
		t.Fatalf("%d events of the fixture", len(rec.events))
	}
	rec.events = nil
	rec.mu.Unlock()
	ep := "/api/v1/app/shop/endpoint/e2"
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
		want         []string
	}{
		{"POST", "/api/v1/app/shop/endpoint", map[string]any{"url": "https://a.example.com/", "uid": "e1"}, 201, []string{"endpoint.created e1"}},
		{"PUT", ep, map[string]any{"url": "https://a.example.com/"}, 201, []string{"endpoint.created e2"}},
		{"PUT", ep, map[string]any{"url": "https://b.example.com/", "uid": "e2"}, 200, []string{"endpoint.updated e2"}},
		{"PATCH", ep, map[string]any{"description": "d"}, 200, []string{"endpoint.updated e2"}},
		{"PUT", ep + "/headers", map[string]any{"headers": map[string]string{"X-A": "1"}}, 204, []string{"endpoint.updated e2"}},
		{"PATCH", ep + "/headers", map[string]any{"headers": map[string]string{"X-B": "2"}}, 204, []string{"endpoint.updated e2"}},
		{"POST", ep + "/secret/rotate", map[string]any{}, 204, []string{"endpoint.updated e2"}},
		{"PUT", ep + "/oauth", map[string]any{"tokenUrl": "https://auth.example.com/token", "clientId": "c", "clientSecret": "s",
			"authMethod": "clientSecretBasic", "grantType": "clientCredentials"}, 204, []string{"endpoint.updated e2"}},
		{"DELETE", ep + "/oauth", nil, 204, []string{"endpoint.updated e2"}},
		{"DELETE", ep + "/oauth", nil, 204, nil}, // nothing to change
		{"PATCH", ep, map[string]any{"disabled": true}, 200, []string{"endpoint.updated e2", "endpoint.disabled e2 manual"}},
		{"PATCH", ep, map[string]any{"disabled": true}, 200, []string{"endpoint.updated e2"}},
		{"PUT", ep, map[string]any{"url": "https://b.example.com/", "uid": "e2"}, 200, []string{"endpoint.updated e2"}},
		{"PUT", ep, map[string]any{"url": "https://b.example.com/", "uid": "e2", "disabled": true}, 200, []string{"endpoint.updated e2", "endpoint.disabled e2 manual"}},
		// Failures tell nothing.
		{"PATCH", ep, map[string]any{"url": "ftp://x/"}, 422, nil},
		{"PUT", ep + "/headers", map[string]any{"headers": map[string]string{"Host": "x"}}, 422, nil},
		{"POST", "/api/v1/app/shop/endpoint", map[string]any{"url": "https://a.example.com/", "uid": "e1"}, 409, nil},
		{"DELETE", "/api/v1/app/shop/endpoint/nope", nil, 404, nil},
		{"DELETE", ep, nil, 204, []string{"endpoint.deleted e2"}},
	} {
		f.must(tc.status, tc.method, tc.path, f.admin, tc.body, nil)
		if got := rec.take(t, f.app); !slices.Equal(got, tc.want) {
			t.Errorf("%s %s: events %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
	// Deleting the application deletes its endpoints: one endpoint.deleted
	// each.
	var list struct {
		Data []struct{ UID string }
	}
	f.must(200, "GET", "/api/v1/app/shop/endpoint", f.admin, nil, &list)
	var want []string
	for _, e := range list.Data {
		want = append(want, "endpoint.deleted "+e.UID)
	}
	f.must(204, "DELETE", "/api/v1/app/shop", f.admin, nil, nil)
	got := rec.take(t, f.app)
	slices.Sort(got)
	slices.Sort(want)
	if len(want) < 2 || !slices.Equal(got, want) {
		t.Fatalf("deleting the application: events %q, want %q", got, want)
	}
	// Operational endpoints tell nothing about themselves.
	f.must(201, "POST", opPath, f.admin, map[string]any{"url": "https://ops.example.com/", "uid": "ops"}, nil)
	f.must(200, "PUT", opPath+"/ops", f.admin, map[string]any{"url": "https://ops.example.com/", "uid": "ops", "disabled": true}, nil)
	f.must(204, "DELETE", opPath+"/ops", f.admin, nil, nil)
	if got := rec.take(t, f.app); len(got) != 0 {
		t.Fatalf("events about operational endpoints: %q", got)
	}
}

// invalidations is an OperationalApp that counts its Invalidate calls.
type invalidations struct {
	api.OperationalApp
	mu sync.Mutex
	n  int
}

func (i *invalidations) Invalidate() {
	i.mu.Lock()
	i.n++
	i.mu.Unlock()
	i.OperationalApp.Invalidate()
}

// take returns the number of calls since the last take.
func (i *invalidations) take() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	n := i.n
	i.n = 0
	return n
}

// TestOperationalEndpointChangesInvalidate checks that every change of an
// operational webhook endpoint, and only a change that succeeded, tells the
// OperationalApp, so that the next event goes to the endpoints as they are.
func TestOperationalEndpointChangesInvalidate(t *testing.T) {
	var inv *invalidations
	e := newEnv(t, func(c *api.Config) {
		inv = &invalidations{OperationalApp: operational.New(operational.Config{Store: c.Store})}
		c.Operational = inv
	}, nil)
	ep := opPath + "/ops"
	for _, tc := range []struct {
		method, path string
		body         any
		status, want int
	}{
		{"POST", opPath, map[string]any{"url": "https://ops.example.com/", "uid": "ops"}, 201, 1},
		{"PUT", opPath + "/ops2", map[string]any{"url": "https://ops.example.com/2"}, 201, 1},
		{"PUT", ep, map[string]any{"url": "https://ops.example.com/v2", "uid": "ops"}, 200, 1},
		{"POST", ep + "/secret/rotate", map[string]any{}, 204, 1},
		{"PUT", ep + "/headers", map[string]any{"headers": map[string]string{"X-A": "1"}}, 204, 1},
		{"GET", ep, nil, 200, 0},
		{"GET", opPath, nil, 200, 0},
		{"GET", ep + "/secret", nil, 200, 0},
		{"GET", ep + "/headers", nil, 200, 0},
		// Failures change nothing.
		{"POST", opPath, map[string]any{"url": "https://ops.example.com/", "uid": "ops"}, 409, 0},
		{"PUT", ep, map[string]any{"url": "ftp://ops.example.com/"}, 422, 0},
		{"PUT", ep, map[string]any{"url": "https://ops.example.com/", "filterTypes": []string{"invoice.paid"}}, 422, 0},
		{"PUT", ep + "/headers", map[string]any{"headers": map[string]string{"Host": "x"}}, 422, 0},
		{"DELETE", opPath + "/nope", nil, 404, 0},
		{"DELETE", ep, nil, 204, 1},
		// Nor do the endpoints of applications.
		{"POST", "/api/v1/app", map[string]any{"name": "Shop", "uid": "shop"}, 201, 0},
		{"POST", "/api/v1/app/shop/endpoint", map[string]any{"url": "https://shop.example.com/"}, 201, 0},
	} {
		e.must(tc.status, tc.method, tc.path, e.admin, tc.body, nil)
		if got := inv.take(); got != tc.want {
			t.Errorf("%s %s: %d invalidations, want %d", tc.method, tc.path, got, tc.want)
		}
	}
}

func TestEgressIPs(t *testing.T) {
	ips := []netip.Addr{netip.MustParseAddr("203.0.113.5"), netip.MustParseAddr("2001:db8::5")}
	f := newFixture(t, func(c *api.Config) { c.EgressIPs = ips }, nil)
	var access struct{ Token string }
	f.must(200, "POST", "/api/v1/auth/app-portal-access/shop", f.admin, nil, &access)
	for _, tok := range []string{f.admin, access.Token} {
		b := f.must(200, "GET", "/api/v1/egress-ips", tok, nil, nil)
		if string(b) != `{"data":["203.0.113.5","2001:db8::5"]}` {
			t.Fatalf("%s", b)
		}
	}
	if st, _ := f.do("GET", "/api/v1/egress-ips", "", nil); st != 401 {
		t.Fatalf("no token: %d", st)
	}
	e := newEnv(t, nil, nil)
	if b := e.must(200, "GET", "/api/v1/egress-ips", e.admin, nil, nil); string(b) != `{"data":[]}` {
		t.Fatalf("none declared: %s", b)
	}
}
