package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

// TestAttemptHeaders reads what attempts sent (the hosted API's
// v1.message-attempt.get-headers): the headers of an attempt, a
// credential's value withheld and named; an attempt that kept none (logged
// before Hookline kept them) has none; a missing attempt is a 404; an
// app-portal token reads its own application's only.
func TestAttemptHeaders(t *testing.T) {
	f := newFixture(t, nil, nil)
	ctx := context.Background()
	tasks, err := f.store.ClaimDue(ctx, "test", time.Now(), time.Minute, 10)
	ok(t, err)
	sent := http.Header{}
	sent.Set("Content-Type", "application/json")
	sent.Set("Webhook-Id", f.msg)
	sent.Set("X-Api-Key", "k3y-never-kept")
	attempts := map[string]string{} // by message id
	var outs []hookline.Outcome
	for _, tk := range tasks {
		a := hookline.Attempt{
			ID: hookline.NewID(hookline.PrefixAttempt), AppID: tk.Delivery.AppID, MessageID: tk.Message.ID,
			EndpointID: tk.Endpoint.ID, DeliveryID: tk.Delivery.ID, URL: tk.Endpoint.URL,
			Status: hookline.StatusSuccess, StatusCode: 200,
		}
		if tk.Message.ID == f.msg {
			a.Headers = hookline.EncodeSentHeaders(sent, "Authorization")
		}
		attempts[tk.Message.ID] = a.ID
		outs = append(outs, hookline.Outcome{DeliveryID: tk.Delivery.ID, Status: hookline.StatusSuccess, Attempts: 1, Attempt: a})
	}
	ok(t, f.store.Complete(ctx, "test", outs))
	if len(attempts) != 2 {
		t.Fatalf("attempts %v", attempts)
	}
	path := func(app, msg, attempt string) string {
		return "/api/v1/app/" + app + "/msg/" + msg + "/attempt/" + attempt + "/headers"
	}
	shop, other := path("shop", f.msg, attempts[f.msg]), path("other", f.otherMsg, attempts[f.otherMsg])

	body := f.must(200, "GET", shop, f.admin, nil, nil)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || len(raw) != 2 || raw["sentHeaders"] == nil || raw["sensitive"] == nil {
		t.Fatalf("body %s, want sentHeaders and sensitive alone", body)
	}
	if strings.Contains(string(body), "k3y-never-kept") {
		t.Fatalf("a credential's value in %s", body)
	}
	var out struct {
		SentHeaders map[string]string
		Sensitive   []string
	}
	f.must(200, "GET", shop, f.admin, nil, &out)
	if want := map[string]string{"Content-Type": "application/json", "Webhook-Id": f.msg}; !reflect.DeepEqual(out.SentHeaders, want) ||
		!reflect.DeepEqual(out.Sensitive, []string{"Authorization", "X-Api-Key"}) {
		t.Fatalf("headers %+v", out)
	}

	// An attempt that kept no headers has none, and is no error.
	if body := f.must(200, "GET", other, f.admin, nil, nil); string(body) != `{"sentHeaders":{},"sensitive":[]}` {
		t.Fatalf("an attempt without headers: %s", body)
	}

	// Missing: a 404 in the Svix error shape; nothing changes.
	before := f.snapshot()
	for _, p := range []string{
		path("shop", f.msg, hookline.NewID(hookline.PrefixAttempt)),
		path("shop", f.msg, "nope"),
		path("shop", f.otherMsg, attempts[f.otherMsg]),
		path("shop", f.msg, attempts[f.otherMsg]),
		path("nope", f.msg, attempts[f.msg]),
	} {
		st, b := f.do("GET", p, f.admin, nil)
		var e struct{ Code, Detail string }
		if st != 404 || json.Unmarshal(b, &e) != nil || e.Code != "not_found" || e.Detail == "" {
			t.Errorf("GET %s: %d %s, want 404 not_found", p, st, b)
		}
	}
	if st, _ := f.do("GET", shop, "", nil); st != 401 {
		t.Errorf("without a token: %d, want 401", st)
	}

	// An app-portal token reads its own application's attempts only.
	var access struct{ Token string }
	f.must(200, "POST", "/api/v1/auth/app-portal-access/shop", f.admin, nil, &access)
	f.must(200, "GET", shop, access.Token, nil, nil)
	f.must(200, "GET", path(f.app, f.msg, attempts[f.msg]), access.Token, nil, nil)
	for _, p := range []string{
		other,
		path(f.other, f.otherMsg, attempts[f.otherMsg]),
		path("shop", f.otherMsg, attempts[f.otherMsg]),
		path("shop", f.msg, attempts[f.otherMsg]),
	} {
		if st, b := f.do("GET", p, access.Token, nil); st != 404 {
			t.Errorf("an app token, GET %s: %d %s, want 404", p, st, b)
		}
	}
	if after := f.snapshot(); after != before {
		t.Fatal("reading headers changed the store")
	}
}
