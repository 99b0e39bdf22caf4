package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/api"
)

// fixture is an environment with two applications, each with an endpoint
// and a message, and an event type.
type fixture struct {
	*env
	app, other       string // application ids; app has uid "shop"
	ep, otherEp      string // endpoint ids; ep has uid "ep1"
	msg, otherMsg    string // message ids; msg has eventId "evt1"
	epSecret         string
	adminTokenPortal string
}

func newFixture(t *testing.T, cfg func(*api.Config), wrap func(hookline.Store) hookline.Store) *fixture {
	f := &fixture{env: newEnv(t, cfg, wrap)}
	var out struct{ ID string }
	f.must(201, "POST", "/api/v1/app", f.admin, map[string]any{"name": "Shop", "uid": "shop"}, &out)
	f.app = out.ID
	f.must(201, "POST", "/api/v1/app", f.admin, map[string]any{"name": "Other", "uid": "other"}, &out)
	f.other = out.ID
	f.must(201, "POST", "/api/v1/app/shop/endpoint", f.admin, map[string]any{"url": "https://shop.example.com/", "uid": "ep1"}, &out)
	f.ep = out.ID
	f.must(201, "POST", "/api/v1/app/other/endpoint", f.admin, map[string]any{"url": "https://other.example.com/", "uid": "ep1"}, &out)
	f.otherEp = out.ID
	f.must(202, "POST", "/api/v1/app/shop/msg", f.admin, map[string]any{"eventType": "a.b", "eventId": "evt1", "payload": map[string]any{"n": 1}}, &out)
	f.msg = out.ID
	f.must(202, "POST", "/api/v1/app/other/msg", f.admin, map[string]any{"eventType": "a.b", "payload": map[string]any{"n": 2}}, &out)
	f.otherMsg = out.ID
	f.must(201, "POST", "/api/v1/event-type", f.admin, map[string]any{"name": "a.b", "description": "AB"}, nil)
	var sec struct{ Key string }
	f.must(200, "GET", "/api/v1/app/shop/endpoint/ep1/secret", f.admin, nil, &sec)
	f.epSecret = sec.Key
	return f
}

// snapshot reads everything the store holds that the API can change.
func (e *env) snapshot() string {
	e.t.Helper()
	ctx := context.Background()
	all := hookline.ListOptions{Limit: hookline.MaxListLimit}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	apps, err := e.store.ListApplications(ctx, all)
	if err != nil {
		e.t.Fatal(err)
	}
	ets, err := e.store.ListEventTypes(ctx, all, true)
	if err != nil {
		e.t.Fatal(err)
	}
	enc.Encode(apps)
	enc.Encode(ets)
	for _, a := range apps.Items {
		eps, err := e.store.ListEndpoints(ctx, a.ID, all)
		if err != nil {
			e.t.Fatal(err)
		}
		msgs, err := e.store.ListMessages(ctx, a.ID, hookline.MessageFilter{ListOptions: all})
		if err != nil {
			e.t.Fatal(err)
		}
		enc.Encode(eps)
		enc.Encode(msgs)
		for _, m := range msgs.Items {
			d, err := e.store.ListDeliveriesByMessage(ctx, a.ID, m.ID, all)
			if err != nil {
				e.t.Fatal(err)
			}
			enc.Encode(d)
		}
	}
	n, err := e.store.CountAdminTokens(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	enc.Encode(n)
	return b.String()
}

// checkError checks a Svix-shaped error body: for 422 {"detail": [{"loc",
// "msg", "type"}]} with the given loc, for other statuses exactly {"code",
// "detail"} with the given code.
func checkError(t *testing.T, status int, body []byte, want string) {
	t.Helper()
	if status == http.StatusUnprocessableEntity {
		var v struct {
			Detail []map[string]json.RawMessage `json:"detail"`
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(body, &top); err != nil || len(top) != 1 {
			t.Fatalf("422 body %s is not {\"detail\": [...]}", body)
		}
		if err := json.Unmarshal(body, &v); err != nil || len(v.Detail) != 1 || len(v.Detail[0]) != 3 {
			t.Fatalf("422 body %s", body)
		}
		var loc []string
		var msg, typ string
		if json.Unmarshal(v.Detail[0]["loc"], &loc) != nil || json.Unmarshal(v.Detail[0]["msg"], &msg) != nil ||
			json.Unmarshal(v.Detail[0]["type"], &typ) != nil || msg == "" || typ == "" {
			t.Fatalf("422 body %s", body)
		}
		if got := strings.Join(loc, "."); got != want {
			t.Fatalf("422 loc %s, want %s; body %s", got, want, body)
		}
		return
	}
	var v map[string]string
	if err := json.Unmarshal(body, &v); err != nil || len(v) != 2 || v["detail"] == "" {
		t.Fatalf("%d body %s is not {\"code\", \"detail\"}", status, body)
	}
	if v["code"] != want {
		t.Fatalf("%d code %q, want %q; body %s", status, v["code"], want, body)
	}
}

// TestBadInput sends every kind of bad request and checks the status, the
// Svix error shape and that the store did not change.
func TestBadInput(t *testing.T) {
	f := newFixture(t, nil, nil)
	big := `{"eventType":"a.b","payload":{"x":"` + strings.Repeat("a", api.DefaultMaxBodyBytes) + `"}}`
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		want                      string // 422: the loc joined by dots; else the code
	}{
		{"malformed JSON", "POST", "/api/v1/app", f.admin, `{"name":`, 422, "body"},
		{"empty body", "POST", "/api/v1/app", f.admin, ``, 422, "body"},
		{"body not an object", "POST", "/api/v1/app", f.admin, `[{"name":"x"}]`, 422, "body"},
		{"body null", "POST", "/api/v1/app", f.admin, `null`, 422, "body"},
		{"name of the wrong type", "POST", "/api/v1/app", f.admin, `{"name":5}`, 422, "body.name"},
		{"metadata value of the wrong type", "POST", "/api/v1/app", f.admin, `{"name":"x","metadata":{"a":1}}`, 422, "body.metadata"},
		{"throttleRate of the wrong type", "POST", "/api/v1/app", f.admin, `{"name":"x","throttleRate":"fast"}`, 422, "body.throttleRate"},
		{"empty name", "POST", "/api/v1/app", f.admin, `{"name":""}`, 422, "body.name"},
		{"bad uid", "POST", "/api/v1/app", f.admin, `{"name":"x","uid":"has space"}`, 422, "body.uid"},
		{"uid with an id prefix", "POST", "/api/v1/app", f.admin, `{"name":"x","uid":"app_x"}`, 422, "body.uid"},
		{"duplicate app uid", "POST", "/api/v1/app", f.admin, `{"name":"x","uid":"shop"}`, 409, "conflict"},
		{"duplicate uid on PUT", "PUT", "/api/v1/app/other", f.admin, `{"name":"x","uid":"shop"}`, 409, "conflict"},
		{"get_if_exists not a bool", "POST", "/api/v1/app?get_if_exists=maybe", f.admin, `{"name":"x"}`, 422, "query.get_if_exists"},

		{"payload an array", "POST", "/api/v1/app/shop/msg", f.admin, `{"eventType":"a.b","payload":[1]}`, 422, "body.payload"},
		{"payload a string", "POST", "/api/v1/app/shop/msg", f.admin, `{"eventType":"a.b","payload":"x"}`, 422, "body.payload"},
		{"payload null", "POST", "/api/v1/app/shop/msg", f.admin, `{"eventType":"a.b","payload":null}`, 422, "body.payload"},
		{"payload missing", "POST", "/api/v1/app/shop/msg", f.admin, `{"eventType":"a.b"}`, 422, "body.payload"},
		{"bad event type", "POST", "/api/v1/app/shop/msg", f.admin, `{"eventType":"a b","payload":{}}`, 422, "body.eventType"},
		{"event type missing", "POST", "/api/v1/app/shop/msg", f.admin, `{"payload":{}}`, 422, "body.eventType"},
		{"duplicate eventId", "POST", "/api/v1/app/shop/msg", f.admin, `{"eventType":"a.b","eventId":"evt1","payload":{}}`, 409, "conflict"},
		{"bad channel", "POST", "/api/v1/app/shop/msg", f.admin, `{"eventType":"a.b","channels":["ok","no way"],"payload":{}}`, 422, "body.channels.1"},
		{"channels not an array", "POST", "/api/v1/app/shop/msg", f.admin, `{"eventType":"a.b","channels":"eu","payload":{}}`, 422, "body.channels"},
		{"bad deliverAt", "POST", "/api/v1/app/shop/msg", f.admin, `{"eventType":"a.b","deliverAt":"tomorrow","payload":{}}`, 422, "body.deliverAt"},
		{"retention out of range", "POST", "/api/v1/app/shop/msg", f.admin, `{"eventType":"a.b","payloadRetentionPeriod":0,"payload":{}}`, 422, "body.payloadRetentionPeriod"},
		{"bad application", "POST", "/api/v1/app/new-app/msg", f.admin, `{"eventType":"a.b","payload":{},"application":{"name":"","uid":"new-app"}}`, 422, "body.application.name"},
		{"application without its uid", "POST", "/api/v1/app/new-app/msg", f.admin, `{"eventType":"a.b","payload":{},"application":{"name":"x"}}`, 422, "body.application.uid"},
		{"application of another uid", "POST", "/api/v1/app/new-app/msg", f.admin, `{"eventType":"a.b","payload":{},"application":{"name":"x","uid":"other"}}`, 422, "body.application.uid"},
		{"message to a missing app", "POST", "/api/v1/app/new-app/msg", f.admin, `{"eventType":"a.b","payload":{}}`, 404, "not_found"},
		{"a malformed iterator", "GET", "/api/v1/app/shop/msg?iterator=garbage", f.admin, nil, 422, "query.iterator"},
		{"another list's iterator", "GET", "/api/v1/app?iterator=ep_2zzzzzzzzzzzzzzzzzzzzz", f.admin, nil, 422, "query.iterator"},
		{"a malformed prevIterator", "GET", "/api/v1/app/shop/endpoint?iterator=~nope", f.admin, nil, 422, "query.iterator"},
		{"an event type iterator that is no name", "GET", "/api/v1/event-type?iterator=a%20b", f.admin, nil, 422, "query.iterator"},
		{"message to a missing app id, application without its uid", "POST", "/api/v1/app/app_2zzzzzzzzzzzzzzzzzzzzz/msg", f.admin, `{"eventType":"a.b","payload":{},"application":{"name":"x"}}`, 422, "body.application.uid"},
		{"message to a missing app id, application of another uid", "POST", "/api/v1/app/app_2zzzzzzzzzzzzzzzzzzzzz/msg", f.admin, `{"eventType":"a.b","payload":{},"application":{"name":"x","uid":"other"}}`, 422, "body.application.uid"},
		{"message to a missing app id, application of that uid", "POST", "/api/v1/app/app_2zzzzzzzzzzzzzzzzzzzzz/msg", f.admin, `{"eventType":"a.b","payload":{},"application":{"name":"x","uid":"app_2zzzzzzzzzzzzzzzzzzzzz"}}`, 404, "not_found"},
		{"portal access to a missing app id, application without its uid", "POST", "/api/v1/auth/app-portal-access/app_2zzzzzzzzzzzzzzzzzzzzz", f.admin, `{"application":{"name":"x"}}`, 422, "body.application.uid"},
		{"portal access to a missing app id, application of another uid", "POST", "/api/v1/auth/app-portal-access/app_2zzzzzzzzzzzzzzzzzzzzz", f.admin, `{"application":{"name":"x","uid":"other"}}`, 422, "body.application.uid"},
		{"portal access to a missing app id", "POST", "/api/v1/auth/app-portal-access/app_2zzzzzzzzzzzzzzzzzzzzz", f.admin, `{}`, 404, "not_found"},
		{"payload over the limit", "POST", "/api/v1/app/shop/msg", f.admin, big, 413, "too_large"},

		{"URL not a URL", "POST", "/api/v1/app/shop/endpoint", f.admin, `{"url":"not a url"}`, 422, "body.url"},
		{"URL scheme", "POST", "/api/v1/app/shop/endpoint", f.admin, `{"url":"ftp://example.com/"}`, 422, "body.url"},
		{"URL without host", "POST", "/api/v1/app/shop/endpoint", f.admin, `{"url":"http://"}`, 422, "body.url"},
		{"URL missing", "POST", "/api/v1/app/shop/endpoint", f.admin, `{}`, 422, "body.url"},
		{"duplicate endpoint uid", "POST", "/api/v1/app/shop/endpoint", f.admin, `{"url":"https://x.example.com/","uid":"ep1"}`, 409, "conflict"},
		{"bad secret", "POST", "/api/v1/app/shop/endpoint", f.admin, `{"url":"https://x.example.com/","secret":"whsec_short"}`, 422, "body.secret"},
		{"bad filterTypes", "POST", "/api/v1/app/shop/endpoint", f.admin, `{"url":"https://x.example.com/","filterTypes":["no way"]}`, 422, "body.filterTypes.0"},
		{"filterTypes not an array", "POST", "/api/v1/app/shop/endpoint", f.admin, `{"url":"https://x.example.com/","filterTypes":"a.b"}`, 422, "body.filterTypes"},
		{"reserved header", "POST", "/api/v1/app/shop/endpoint", f.admin, `{"url":"https://x.example.com/","headers":{"Webhook-Id":"x"}}`, 422, "body.headers.Webhook-Id"},
		{"patch with a bad URL", "PATCH", "/api/v1/app/shop/endpoint/ep1", f.admin, `{"url":"ftp://x"}`, 422, "body.url"},
		{"PUT headers reserved", "PUT", "/api/v1/app/shop/endpoint/ep1/headers", f.admin, `{"headers":{"Content-Length":"1"}}`, 422, "body.headers.Content-Length"},
		{"rotate with a bad key", "POST", "/api/v1/app/shop/endpoint/ep1/secret/rotate", f.admin, `{"key":"nope"}`, 422, "body.key"},
		{"recover without since", "POST", "/api/v1/app/shop/endpoint/ep1/recover", f.admin, `{}`, 422, "body.since"},
		{"recover with a bad since", "POST", "/api/v1/app/shop/endpoint/ep1/recover", f.admin, `{"since":"last week"}`, 422, "body.since"},

		{"bad event type name", "POST", "/api/v1/event-type", f.admin, `{"name":"a b","description":"x"}`, 422, "body.name"},
		{"duplicate event type", "POST", "/api/v1/event-type", f.admin, `{"name":"a.b","description":"x"}`, 409, "conflict"},
		{"schemas not an object", "POST", "/api/v1/event-type", f.admin, `{"name":"c.d","description":"x","schemas":"x"}`, 422, "body.schemas"},

		{"unknown app", "GET", "/api/v1/app/nope", f.admin, nil, 404, "not_found"},
		{"unknown endpoint", "GET", "/api/v1/app/shop/endpoint/ep_nope", f.admin, nil, 404, "not_found"},
		{"foreign endpoint", "GET", "/api/v1/app/shop/endpoint/" + f.otherEp, f.admin, nil, 404, "not_found"},
		{"foreign endpoint delete", "DELETE", "/api/v1/app/shop/endpoint/" + f.otherEp, f.admin, nil, 404, "not_found"},
		{"foreign message", "GET", "/api/v1/app/shop/msg/" + f.otherMsg, f.admin, nil, 404, "not_found"},
		{"foreign message expunge", "DELETE", "/api/v1/app/shop/msg/" + f.otherMsg + "/content", f.admin, nil, 404, "not_found"},
		{"foreign message resend", "POST", "/api/v1/app/shop/msg/" + f.otherMsg + "/endpoint/ep1/resend", f.admin, nil, 404, "not_found"},
		{"foreign endpoint resend", "POST", "/api/v1/app/shop/msg/" + f.msg + "/endpoint/" + f.otherEp + "/resend", f.admin, nil, 404, "not_found"},
		{"unknown attempt", "GET", "/api/v1/app/shop/msg/" + f.msg + "/attempt/atmpt_nope", f.admin, nil, 404, "not_found"},
		{"unknown event type", "DELETE", "/api/v1/event-type/no.such", f.admin, nil, 404, "not_found"},

		{"limit not a number", "GET", "/api/v1/app/shop/msg?limit=abc", f.admin, nil, 422, "query.limit"},
		{"before not a time", "GET", "/api/v1/app/shop/msg?before=yesterday", f.admin, nil, 422, "query.before"},
		{"status out of range", "GET", "/api/v1/app/shop/attempt/endpoint/ep1?status=9", f.admin, nil, 422, "query.status"},
		{"status code class", "GET", "/api/v1/app/shop/attempt/endpoint/ep1?status_code_class=250", f.admin, nil, 422, "query.status_code_class"},
		{"bad event_types", "GET", "/api/v1/app/shop/msg?event_types=a.b,no%20way", f.admin, nil, 422, "query.event_types"},
		{"bad order", "GET", "/api/v1/app?order=up", f.admin, nil, 422, "query.order"},
		{"bad tag on attempts", "GET", "/api/v1/app/shop/attempt/endpoint/ep1?tag=no%20way", f.admin, nil, 422, "query.tag"},
		{"bad tag on a message's attempts", "GET", "/api/v1/app/shop/attempt/msg/evt1?tag=no%20way", f.admin, nil, 422, "query.tag"},
		{"bad tag on an endpoint's messages", "GET", "/api/v1/app/shop/endpoint/ep1/msg?tag=no%20way", f.admin, nil, 422, "query.tag"},

		{"missing token", "GET", "/api/v1/app", "", nil, 401, "authentication"},
		{"missing token on a write", "POST", "/api/v1/app", "", `{"name":"x"}`, 401, "authentication"},
		{"wrong token", "POST", "/api/v1/app/shop/msg", "hk_wrong", `{"eventType":"a.b","payload":{}}`, 401, "authentication"},
		{"unknown path", "GET", "/api/v1/nope", f.admin, nil, 404, "not_found"},
		{"method not allowed", "DELETE", "/api/v1/app", f.admin, nil, 405, "method_not_allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := f.snapshot()
			st, body := f.do(tc.method, tc.path, tc.token, tc.body)
			if st != tc.status {
				t.Fatalf("status %d, want %d; body %.300s", st, tc.status, body)
			}
			checkError(t, st, body, tc.want)
			if after := f.snapshot(); after != before {
				t.Fatalf("the store changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func TestBadAuthorizationHeaders(t *testing.T) {
	f := newFixture(t, nil, nil)
	past := time.Now().Add(-time.Hour)
	expired := api.NewToken()
	if err := f.store.CreateToken(context.Background(), &hookline.Token{Hash: api.HashToken(expired), ExpiresAt: &past}); err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]string{
		"basic":      "Basic " + f.admin,
		"no scheme":  f.admin,
		"empty":      "Bearer ",
		"wrong":      "Bearer hk_nope",
		"expired":    "Bearer " + expired,
		"token+junk": "Bearer " + f.admin + "x",
	} {
		st, body := f.do("GET", "/api/v1/app", "", nil, "Authorization", h)
		if st != 401 {
			t.Errorf("%s: status %d", name, st)
			continue
		}
		checkError(t, st, body, "authentication")
	}
	// The scheme is case-insensitive.
	f.must(200, "GET", "/api/v1/app", "", nil, nil, "Authorization", "bearer "+f.admin)
}

func TestUnknownFieldsAreIgnored(t *testing.T) {
	f := newFixture(t, nil, nil)
	var app struct{ Name string }
	f.must(201, "POST", "/api/v1/app", f.admin, `{"name":"x","futureField":{"a":[1]},"another":null}`, &app)
	if app.Name != "x" {
		t.Fatalf("created %+v", app)
	}
}

// TestTenantIsolation checks that an app-portal token reaches its own
// application and nothing else, and changes nothing outside it.
func TestTenantIsolation(t *testing.T) {
	f := newFixture(t, nil, nil)
	var access struct{ Token, URL string }
	f.must(200, "POST", "/api/v1/auth/app-portal-access/shop", f.admin, nil, &access)
	tok := access.Token

	// Its own application: reads and writes work, by id and by uid.
	f.must(200, "GET", "/api/v1/app/shop", tok, nil, nil)
	f.must(200, "GET", "/api/v1/app/"+f.app+"/endpoint/ep1", tok, nil, nil)
	f.must(200, "GET", "/api/v1/app/shop/msg/evt1", tok, nil, nil)
	f.must(202, "POST", "/api/v1/app/shop/msg", tok, map[string]any{"eventType": "a.b", "payload": map[string]any{}}, nil)
	f.must(200, "GET", "/api/v1/event-type", tok, nil, nil)
	f.must(200, "GET", "/api/v1/event-type/a.b", tok, nil, nil)

	before := f.snapshot()
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
	}{
		// Another application is as good as missing, by id or uid.
		{"GET", "/api/v1/app/other", nil, 404},
		{"GET", "/api/v1/app/" + f.other, nil, 404},
		{"GET", "/api/v1/app/other/endpoint", nil, 404},
		{"GET", "/api/v1/app/other/endpoint/" + f.otherEp + "/secret", nil, 404},
		{"DELETE", "/api/v1/app/other/endpoint/" + f.otherEp, nil, 404},
		{"PATCH", "/api/v1/app/other/endpoint/" + f.otherEp, map[string]any{"url": "https://evil.example.com/"}, 404},
		{"POST", "/api/v1/app/other/endpoint", map[string]any{"url": "https://evil.example.com/"}, 404},
		{"POST", "/api/v1/app/other/msg", map[string]any{"eventType": "a.b", "payload": map[string]any{}}, 404},
		{"GET", "/api/v1/app/other/msg", nil, 404},
		{"GET", "/api/v1/app/other/msg/" + f.otherMsg, nil, 404},
		{"DELETE", "/api/v1/app/other/msg/" + f.otherMsg + "/content", nil, 404},
		{"GET", "/api/v1/app/other/attempt/msg/" + f.otherMsg, nil, 404},
		{"POST", "/api/v1/app/other/msg/" + f.otherMsg + "/endpoint/" + f.otherEp + "/resend", nil, 404},
		// Another application's ids under its own application.
		{"GET", "/api/v1/app/shop/endpoint/" + f.otherEp, nil, 404},
		{"GET", "/api/v1/app/shop/msg/" + f.otherMsg, nil, 404},
		{"GET", "/api/v1/app/shop/endpoint/" + f.otherEp + "/secret", nil, 404},
		{"POST", "/api/v1/app/shop/endpoint/" + f.otherEp + "/secret/rotate", map[string]any{}, 404},
		{"GET", "/api/v1/app/shop/endpoint/" + f.otherEp + "/headers", nil, 404},
		{"PUT", "/api/v1/app/shop/endpoint/" + f.otherEp + "/headers", map[string]any{"headers": map[string]string{"X-A": "b"}}, 404},
		{"PATCH", "/api/v1/app/shop/endpoint/" + f.otherEp + "/headers", map[string]any{"headers": map[string]string{"X-A": "b"}}, 404},
		{"GET", "/api/v1/app/shop/endpoint/" + f.otherEp + "/stats", nil, 404},
		{"GET", "/api/v1/app/shop/endpoint/" + f.otherEp + "/mtls", nil, 404},
		{"PUT", "/api/v1/app/shop/endpoint/" + f.otherEp + "/mtls", map[string]any{"identity": "x"}, 404},
		{"DELETE", "/api/v1/app/shop/endpoint/" + f.otherEp + "/mtls", nil, 404},
		{"GET", "/api/v1/app/shop/endpoint/" + f.otherEp + "/oauth", nil, 404},
		{"PUT", "/api/v1/app/shop/endpoint/" + f.otherEp + "/oauth", map[string]any{"tokenUrl": "https://a.example.com/", "clientId": "c", "clientSecret": "s", "authMethod": "clientSecretBasic", "grantType": "clientCredentials"}, 404},
		{"DELETE", "/api/v1/app/shop/endpoint/" + f.otherEp + "/oauth", nil, 404},
		{"GET", "/api/v1/app/shop/endpoint/" + f.otherEp + "/msg", nil, 404},
		{"POST", "/api/v1/app/shop/endpoint/" + f.otherEp + "/recover", map[string]any{"since": "2020-01-01T00:00:00Z"}, 404},
		{"POST", "/api/v1/app/shop/endpoint/" + f.otherEp + "/send-example", map[string]any{"eventType": "a.b"}, 404},
		{"GET", "/api/v1/app/shop/attempt/endpoint/" + f.otherEp, nil, 404},
		{"DELETE", "/api/v1/app/shop/msg/" + f.otherMsg + "/content", nil, 404},
		{"GET", "/api/v1/app/shop/attempt/msg/" + f.otherMsg, nil, 404},
		{"GET", "/api/v1/app/shop/msg/" + f.otherMsg + "/endpoint", nil, 404},
		{"GET", "/api/v1/app/shop/attempt/msg/" + f.msg + "?endpoint_id=" + f.otherEp, nil, 404},
		{"POST", "/api/v1/app/shop/msg/" + f.msg + "/endpoint/" + f.otherEp + "/resend", nil, 404},
		{"POST", "/api/v1/app/shop/msg/" + f.otherMsg + "/endpoint/" + f.ep + "/resend", nil, 404},
		// It cannot create applications, even with a message.
		{"POST", "/api/v1/app/brand-new/msg", map[string]any{"eventType": "a.b", "payload": map[string]any{}, "application": map[string]any{"name": "x"}}, 404},
		// Global operations and operations on the application itself are forbidden.
		{"GET", "/api/v1/app", nil, 403},
		{"POST", "/api/v1/app", map[string]any{"name": "x"}, 403},
		{"PUT", "/api/v1/app/shop", map[string]any{"name": "x"}, 403},
		{"PATCH", "/api/v1/app/shop", map[string]any{"name": "x"}, 403},
		{"DELETE", "/api/v1/app/shop", nil, 403},
		{"POST", "/api/v1/event-type", map[string]any{"name": "x.y", "description": "x"}, 403},
		{"PUT", "/api/v1/event-type/a.b", map[string]any{"description": "x"}, 403},
		{"PATCH", "/api/v1/event-type/a.b", map[string]any{"description": "x"}, 403},
		{"DELETE", "/api/v1/event-type/a.b", nil, 403},
		{"POST", "/api/v1/auth/app-portal-access/shop", nil, 403},
		{"POST", "/api/v1/auth/app-portal-access/other", nil, 403},
	} {
		st, body := f.do(tc.method, tc.path, tok, tc.body)
		if st != tc.status {
			t.Errorf("%s %s: status %d, want %d; %s", tc.method, tc.path, st, tc.status, body)
			continue
		}
		want := map[int]string{403: "forbidden", 404: "not_found"}[st]
		checkError(t, st, body, want)
	}
	if after := f.snapshot(); after != before {
		t.Fatalf("a scoped token changed the store:\nbefore %s\nafter  %s", before, after)
	}
	// The admin token still sees everything.
	f.must(200, "GET", "/api/v1/app/other/endpoint/"+f.otherEp, f.admin, nil, nil)
}

func TestIdempotencyReplaysTheFirstResponse(t *testing.T) {
	f := newFixture(t, nil, nil)
	countApps := func() int {
		p, err := f.store.ListApplications(context.Background(), hookline.ListOptions{Limit: hookline.MaxListLimit})
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Items)
	}
	n := countApps()
	first := f.must(201, "POST", "/api/v1/app", f.admin, `{"name":"one"}`, nil, "Idempotency-Key", "k1")
	// A replay answers the first response, byte for byte, whatever the body.
	again := f.must(201, "POST", "/api/v1/app", f.admin, `{"name":"two"}`, nil, "idempotency-key", "k1")
	if !bytes.Equal(first, again) {
		t.Fatalf("replay %s, first %s", again, first)
	}
	if countApps() != n+1 {
		t.Fatal("a replay created an application")
	}
	// Another key, another path, another token: not a replay.
	f.must(201, "POST", "/api/v1/app", f.admin, `{"name":"three"}`, nil, "Idempotency-Key", "k2")
	f.must(201, "POST", "/api/v1/event-type", f.admin, `{"name":"k.one","description":"x"}`, nil, "Idempotency-Key", "k1")
	admin2 := api.NewToken()
	if err := f.store.CreateToken(context.Background(), &hookline.Token{Hash: api.HashToken(admin2)}); err != nil {
		t.Fatal(err)
	}
	other := f.must(201, "POST", "/api/v1/app", admin2, `{"name":"four"}`, nil, "Idempotency-Key", "k1")
	if bytes.Equal(other, first) {
		t.Fatal("a key of another token replayed")
	}
	if countApps() != n+3 {
		t.Fatalf("%d applications, want %d", countApps(), n+3)
	}

	// A 4xx is saved and replayed too.
	st, body := f.do("POST", "/api/v1/app", f.admin, `{"name":""}`, "Idempotency-Key", "k-bad")
	checkError(t, st, body, "body.name")
	st, body2 := f.do("POST", "/api/v1/app", f.admin, `{"name":"valid"}`, "Idempotency-Key", "k-bad")
	if st != 422 || !bytes.Equal(body, body2) {
		t.Fatalf("4xx replay: %d %s", st, body2)
	}
	// A 204 replays as a 204.
	f.must(204, "POST", "/api/v1/app/shop/endpoint/ep1/secret/rotate", f.admin, `{}`, nil, "Idempotency-Key", "rot")
	var s1 struct{ Key string }
	f.must(200, "GET", "/api/v1/app/shop/endpoint/ep1/secret", f.admin, nil, &s1)
	f.must(204, "POST", "/api/v1/app/shop/endpoint/ep1/secret/rotate", f.admin, `{}`, nil, "Idempotency-Key", "rot")
	var s2 struct{ Key string }
	f.must(200, "GET", "/api/v1/app/shop/endpoint/ep1/secret", f.admin, nil, &s2)
	if s1.Key != s2.Key || s1.Key == f.epSecret {
		t.Fatal("a replayed rotation rotated again, or the first did not rotate")
	}
}

// flakyStore fails CreateApplication with an internal error while fail > 0.
type flakyStore struct {
	hookline.Store
	fail atomic.Int32
}

func (s *flakyStore) CreateApplication(ctx context.Context, app *hookline.Application) error {
	if s.fail.Add(-1) >= 0 {
		return errors.New("disk on fire")
	}
	return s.Store.CreateApplication(ctx, app)
}

func TestIdempotencyDoesNotSave5xx(t *testing.T) {
	var fs *flakyStore
	e := newEnv(t, nil, func(s hookline.Store) hookline.Store { fs = &flakyStore{Store: s}; return fs })
	fs.fail.Store(1)
	st, body := e.do("POST", "/api/v1/app", e.admin, `{"name":"x"}`, "Idempotency-Key", "k")
	if st != 500 {
		t.Fatalf("status %d", st)
	}
	checkError(t, st, body, "internal")
	if strings.Contains(string(body), "fire") {
		t.Fatalf("an internal error leaked: %s", body)
	}
	if !strings.Contains(e.logs.String(), "disk on fire") {
		t.Fatal("the internal error is not logged")
	}
	e.must(201, "POST", "/api/v1/app", e.admin, `{"name":"x"}`, nil, "Idempotency-Key", "k")
}

func TestIdempotencyConcurrentRequestsRunOnce(t *testing.T) {
	f := newFixture(t, nil, nil)
	const n = 12
	bodies := make([][]byte, n)
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], bodies[i] = f.do("POST", "/api/v1/app/shop/msg", f.admin,
				fmt.Sprintf(`{"eventType":"c.d","payload":{"i":%d}}`, i), "Idempotency-Key", "same")
		}()
	}
	wg.Wait()
	for i := range n {
		if statuses[i] != 202 || !bytes.Equal(bodies[i], bodies[0]) {
			t.Fatalf("request %d: %d %s; first %s", i, statuses[i], bodies[i], bodies[0])
		}
	}
	msgs, err := f.store.ListMessages(context.Background(), f.app, hookline.MessageFilter{
		ListOptions: hookline.ListOptions{Limit: 100}, EventTypes: []string{"c.d"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs.Items) != 1 {
		t.Fatalf("%d messages from %d requests with one key", len(msgs.Items), n)
	}
}

func TestBodyLimitIsConfigurable(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxBodyBytes = 100 }, nil)
	st, body := e.do("POST", "/api/v1/app", e.admin, `{"name":"`+strings.Repeat("x", 100)+`"}`)
	if st != 413 {
		t.Fatalf("status %d", st)
	}
	checkError(t, st, body, "too_large")
	e.must(201, "POST", "/api/v1/app", e.admin, `{"name":"short"}`, nil)
}

func TestHealthNeedsNoToken(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.must(204, "GET", "/api/v1/health", "", nil, nil)
	e.must(204, "GET", "/api/v1/health/ping", "", nil, nil)
	e.must(204, "GET", "/api/v1/health", "hk_garbage", nil, nil)
}

// TestPayloadKeptAsSent checks that the payload is stored and returned with
// its keys in their order and its values untouched, without whitespace.
func TestPayloadKeptAsSent(t *testing.T) {
	f := newFixture(t, nil, nil)
	sent := `{ "z": 1, "a": {"y": [1, 2.50], "b": "x\u00e9\n"}, "m": null, "big": 12345678901234567890 }`
	want := `{"z":1,"a":{"y":[1,2.50],"b":"x\u00e9\n"},"m":null,"big":12345678901234567890}`
	var out struct {
		ID      string
		Payload json.RawMessage
	}
	f.must(202, "POST", "/api/v1/app/shop/msg", f.admin, `{"eventType":"a.b","payload":`+sent+`}`, &out)
	if string(out.Payload) != want {
		t.Fatalf("response payload %s", out.Payload)
	}
	m, err := f.store.Message(context.Background(), f.app, out.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Payload) != want {
		t.Fatalf("stored payload %s, want %s", m.Payload, want)
	}
	f.must(200, "GET", "/api/v1/app/shop/msg/"+out.ID, f.admin, nil, &out)
	if string(out.Payload) != want {
		t.Fatalf("read payload %s", out.Payload)
	}
	f.must(202, "POST", "/api/v1/app/shop/msg?with_content=false", f.admin, `{"eventType":"a.b","payload":`+sent+`}`, &out)
	if string(out.Payload) != "{}" {
		t.Fatalf("with_content=false payload %s", out.Payload)
	}
}

func TestResponseShapes(t *testing.T) {
	f := newFixture(t, nil, nil)
	var ep map[string]any
	f.must(200, "GET", "/api/v1/app/shop/endpoint/ep1", f.admin, nil, &ep)
	for _, k := range []string{"id", "url", "description", "metadata", "createdAt", "updatedAt", "version", "disabled"} {
		if _, ok := ep[k]; !ok {
			t.Errorf("endpoint lacks %s: %v", k, ep)
		}
	}
	// Times are RFC 3339 in UTC with fractional seconds.
	ts, _ := ep["createdAt"].(string)
	if _, err := time.Parse(time.RFC3339Nano, ts); err != nil || !strings.HasSuffix(ts, "Z") || !strings.Contains(ts, ".") {
		t.Errorf("createdAt %q", ts)
	}
	// Both names of the event type filter are accepted; both are returned.
	f.must(201, "POST", "/api/v1/app/shop/endpoint", f.admin, `{"url":"https://x.example.com/","eventTypes":["a.b"],"rateLimit":3}`, &ep)
	if !reflect.DeepEqual(ep["filterTypes"], []any{"a.b"}) || !reflect.DeepEqual(ep["eventTypes"], []any{"a.b"}) || ep["throttleRate"] != 3.0 {
		t.Errorf("eventTypes and rateLimit on input: %v", ep)
	}
	// Lists: data, iterator, prevIterator, done.
	var l map[string]any
	f.must(200, "GET", "/api/v1/app/shop/endpoint", f.admin, nil, &l)
	for _, k := range []string{"data", "iterator", "prevIterator", "done"} {
		if _, ok := l[k]; !ok {
			t.Errorf("list lacks %s: %v", k, l)
		}
	}
	var empty map[string]any
	f.must(200, "GET", "/api/v1/app/shop/attempt/endpoint/ep1", f.admin, nil, &empty)
	if d, ok := empty["data"].([]any); !ok || len(d) != 0 || empty["done"] != true {
		t.Errorf("empty list %v", empty)
	}
	// Resend answers 202 with {}.
	b := f.must(202, "POST", "/api/v1/app/shop/msg/evt1/endpoint/ep1/resend", f.admin, nil, nil)
	if string(b) != "{}" {
		t.Errorf("resend body %s", b)
	}
}

func TestPaginationBothWays(t *testing.T) {
	e := newEnv(t, nil, nil)
	var ids []string
	for i := range 5 {
		var a struct{ ID string }
		e.must(201, "POST", "/api/v1/app", e.admin, map[string]any{"name": fmt.Sprint(i)}, &a)
		ids = append(ids, a.ID)
	}
	type page struct {
		Data         []struct{ ID string }
		Iterator     *string
		PrevIterator *string
		Done         bool
	}
	get := func(q string) ([]string, page) {
		var p page
		e.must(200, "GET", "/api/v1/app?limit=2"+q, e.admin, nil, &p)
		var got []string
		for _, d := range p.Data {
			got = append(got, d.ID)
		}
		return got, p
	}
	p1ids, p1 := get("")
	p2ids, p2 := get("&iterator=" + *p1.Iterator)
	p3ids, p3 := get("&iterator=" + *p2.Iterator)
	if !slices.Equal(p1ids, ids[:2]) || !slices.Equal(p2ids, ids[2:4]) || !slices.Equal(p3ids, ids[4:]) || p1.Done || p2.Done || !p3.Done {
		t.Fatalf("pages %v %v %v", p1ids, p2ids, p3ids)
	}
	back, _ := get("&iterator=" + *p3.PrevIterator)
	if !slices.Equal(back, ids[2:4]) {
		t.Fatalf("back from page 3: %v, want %v", back, ids[2:4])
	}
	back, bp := get("&iterator=" + *p2.PrevIterator)
	if !slices.Equal(back, ids[:2]) || !bp.Done {
		t.Fatalf("back from page 2: %v (done %v), want %v", back, bp.Done, ids[:2])
	}
}

// listSpy records the options of the last ListApplications.
type listSpy struct {
	hookline.Store
	mu   sync.Mutex
	last hookline.ListOptions
}

func (s *listSpy) ListApplications(ctx context.Context, opts hookline.ListOptions) (hookline.Page[*hookline.Application], error) {
	s.mu.Lock()
	s.last = opts
	s.mu.Unlock()
	return s.Store.ListApplications(ctx, opts)
}

func TestListLimits(t *testing.T) {
	var spy *listSpy
	e := newEnv(t, nil, func(s hookline.Store) hookline.Store { spy = &listSpy{Store: s}; return spy })
	for q, want := range map[string]int{"": 50, "?limit=7": 7, "?limit=100000": hookline.MaxListLimit, "?limit=0": 1} {
		e.must(200, "GET", "/api/v1/app"+q, e.admin, nil, nil)
		spy.mu.Lock()
		got := spy.last.Limit
		spy.mu.Unlock()
		// One more than the page: listVisible asks for it, to know whether
		// a next page has any application to show.
		if got != want+1 {
			t.Errorf("GET /api/v1/app%s: limit %d, want %d", q, got, want+1)
		}
	}
}

func TestMessageTimeFilters(t *testing.T) {
	f := newFixture(t, nil, nil)
	var ms []struct {
		ID        string
		Timestamp string
	}
	for range 3 {
		var m struct {
			ID        string
			Timestamp string
		}
		f.must(202, "POST", "/api/v1/app/shop/msg", f.admin, `{"eventType":"t.f","payload":{}}`, &m)
		ms = append(ms, m)
	}
	list := func(q string) []string {
		var l struct{ Data []struct{ ID string } }
		f.must(200, "GET", "/api/v1/app/shop/msg?event_types=t.f&"+q, f.admin, nil, &l)
		var out []string
		for _, d := range l.Data {
			out = append(out, d.ID)
		}
		return out
	}
	if got := list("before=" + ms[2].Timestamp); slices.Contains(got, ms[2].ID) || !slices.Contains(got, ms[0].ID) {
		t.Errorf("before the third: %v", got)
	}
	// after= includes what was created at that instant, as svix-server.
	if got := list("after=" + ms[0].Timestamp); !slices.Contains(got, ms[0].ID) || !slices.Contains(got, ms[2].ID) {
		t.Errorf("after the first: %v", got)
	}
	if got := list("after=" + ms[2].Timestamp); len(got) != 1 || got[0] != ms[2].ID {
		t.Errorf("after the third: %v", got)
	}
}

// TestLogsHoldNoSecrets checks that tokens and signing secrets never reach
// the log, while requests do.
func TestLogsHoldNoSecrets(t *testing.T) {
	f := newFixture(t, nil, nil)
	var access struct{ Token string }
	f.must(200, "POST", "/api/v1/auth/app-portal-access/shop", f.admin, nil, &access)
	f.must(200, "GET", "/api/v1/app/shop/endpoint/ep1/secret", access.Token, nil, nil)
	f.do("GET", "/api/v1/app", "hk_wrong-token-value", nil)
	f.must(201, "POST", "/api/v1/app/shop/endpoint", f.admin,
		`{"url":"https://x.example.com/","secret":"whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0","headers":{"Authorization":"Bearer hdr-secret"}}`, nil)
	logs := f.logs.String()
	if !strings.Contains(logs, "api request") {
		t.Fatal("no request was logged")
	}
	for _, s := range []string{f.admin, access.Token, "hk_wrong-token-value", f.epSecret, "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0", "hdr-secret"} {
		if strings.Contains(logs, s) {
			t.Fatalf("the log holds a secret %q", s)
		}
	}
}

func TestTokenHelpers(t *testing.T) {
	a, b := api.NewToken(), api.NewToken()
	if a == b || !strings.HasPrefix(a, api.TokenPrefix) || len(a) < len(api.TokenPrefix)+40 {
		t.Fatalf("tokens %q %q", a, b)
	}
	if bytes.Equal(api.HashToken(a), api.HashToken(b)) || len(api.HashToken(a)) != 32 || !bytes.Equal(api.HashToken(a), api.HashToken(a)) {
		t.Fatal("HashToken is not a SHA-256 of the token")
	}
}

// usesSpy counts the calls of TokenUsed.
type usesSpy struct {
	hookline.Store
	calls atomic.Int64
}

func (s *usesSpy) TokenUsed(ctx context.Context, id string, at time.Time) error {
	s.calls.Add(1)
	return s.Store.TokenUsed(ctx, id, at)
}

// TestTokenLastUsed: the first request with a token records its use; the
// next ones, within the interval, write nothing.
func TestTokenLastUsed(t *testing.T) {
	var spy *usesSpy
	e := newEnv(t, nil, func(s hookline.Store) hookline.Store { spy = &usesSpy{Store: s}; return spy })
	before := time.Now().Add(-time.Second)
	for range 20 {
		if code, body := e.do("GET", "/api/v1/app", e.admin, nil); code != 200 {
			t.Fatalf("list applications: %d %s", code, body)
		}
	}
	if n := spy.calls.Load(); n != 1 {
		t.Fatalf("20 requests recorded the token's use %d times, want 1", n)
	}
	page, err := e.store.ListAdminTokens(t.Context(), hookline.ListOptions{Limit: 10})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("ListAdminTokens: %v, %v", page.Items, err)
	}
	if u := page.Items[0].LastUsedAt; u == nil || u.Before(before) {
		t.Fatalf("LastUsedAt = %v after the requests", u)
	}
}

// TestMaxEndpointsPerApp: an application's endpoint past the bound is
// refused with 422, which says the bound, and nothing is stored.
func TestMaxEndpointsPerApp(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxEndpointsPerApp = 3 }, nil)
	e.must(201, "POST", "/api/v1/app", e.admin, map[string]any{"name": "A", "uid": "a"}, nil)
	for i := range 3 {
		e.must(201, "POST", "/api/v1/app/a/endpoint", e.admin, map[string]any{"url": fmt.Sprintf("https://%d.example.com/", i)}, nil)
	}
	st, body := e.do("POST", "/api/v1/app/a/endpoint", e.admin, map[string]any{"url": "https://3.example.com/"})
	if st != 422 || !strings.Contains(string(body), "3 endpoints") {
		t.Fatalf("the fourth endpoint: %d %s, want 422 naming the bound", st, body)
	}
	var list struct{ Data []any }
	e.must(200, "GET", "/api/v1/app/a/endpoint", e.admin, nil, &list)
	if len(list.Data) != 3 {
		t.Fatalf("%d endpoints stored", len(list.Data))
	}
}

// TestStatsRange: stats cover at most 28 days and never the future (400
// invalid_range, as svix-server); recover at most 14 days back (422).
func TestStatsRange(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.must(201, "POST", "/api/v1/app", e.admin, map[string]any{"name": "A", "uid": "a"}, nil)
	e.must(201, "POST", "/api/v1/app/a/endpoint", e.admin, map[string]any{"url": "https://x.example.com/", "uid": "ep"}, nil)
	now := time.Now().UTC()
	q := func(since, until time.Time) string {
		return "/api/v1/app/a/endpoint/ep/stats?since=" + url.QueryEscape(since.Format(time.RFC3339)) +
			"&until=" + url.QueryEscape(until.Format(time.RFC3339))
	}
	e.must(200, "GET", q(now.AddDate(0, 0, -28), now), e.admin, nil, nil)
	e.must(200, "GET", "/api/v1/app/a/endpoint/ep/stats", e.admin, nil, nil)
	for _, path := range []string{q(now.AddDate(0, 0, -29), now), q(now.Add(-time.Hour), now.Add(time.Hour))} {
		if st, body := e.do("GET", path, e.admin, nil); st != 400 || !strings.Contains(string(body), `"code":"invalid_range"`) {
			t.Errorf("GET %s: %d %s, want 400 invalid_range", path, st, body)
		}
	}
	if st, body := e.do("POST", "/api/v1/app/a/endpoint/ep/recover", e.admin,
		map[string]any{"since": now.AddDate(0, 0, -15).Format(time.RFC3339)}); st != 422 {
		t.Errorf("recover 15 days back: %d %s, want 422", st, body)
	}
}

// TestEndpointURLNormalized: an endpoint's URL is kept as svix-server keeps
// it, scheme and host in lower case and "/" for an empty path, whether it
// is created, replaced or patched.
func TestEndpointURLNormalized(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.must(201, "POST", "/api/v1/app", e.admin, map[string]any{"name": "A", "uid": "a"}, nil)
	var out struct{ URL string }
	e.must(201, "POST", "/api/v1/app/a/endpoint", e.admin, map[string]any{"url": "HTTPS://Example.COM", "uid": "ep"}, &out)
	if out.URL != "https://example.com/" {
		t.Errorf("created: %s", out.URL)
	}
	e.must(200, "PATCH", "/api/v1/app/a/endpoint/ep", e.admin, map[string]any{"url": "HTTPS://Other.COM?x=1"}, &out)
	if out.URL != "https://other.com/?x=1" {
		t.Errorf("patched: %s", out.URL)
	}
	e.must(200, "PUT", "/api/v1/app/a/endpoint/ep", e.admin, map[string]any{"url": "http://THIRD.example:8080", "uid": "ep"}, &out)
	if out.URL != "http://third.example:8080/" {
		t.Errorf("replaced: %s", out.URL)
	}
}
