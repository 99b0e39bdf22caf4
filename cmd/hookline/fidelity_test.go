package main

import (
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"testing"

	svix "github.com/svix/svix-webhooks/go"
	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline/internal/npmtest"
	"github.com/hookline/hookline/internal/wait"
)

// The tests of this file check, through a real serve and the official Svix
// Go SDK, behaviours of svix-server that Hookline keeps (issue 16).

// TestRawPayloadDeliveredAsSent: a message made with the SDK's
// NewMessageInRaw is delivered byte for byte, with its content type, and
// signed over those bytes; GET .../raw reads it back. Bad raw payloads are
// refused and store nothing.
func TestRawPayloadDeliveredAsSent(t *testing.T) {
	s := startServer(t)
	ctx := context.Background()
	sx := s.client(t)
	rc := newHookReceiver(t, nil)
	app, err := sx.Application.Create(ctx, models.ApplicationIn{Name: "raw"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := sx.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: rc.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := sx.Endpoint.GetSecret(ctx, app.Id, ep.Id)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := svix.NewWebhook(secret.Key)
	if err != nil {
		t.Fatal(err)
	}

	xml := "<order id=\"1\">\n  <total>9.99</total>\n</order>\n"
	jsonText := "{ \"spaced\" :  true,\n \"n\": 1.0 }"
	sent := []struct{ body, contentType string }{
		{xml, "application/xml; charset=utf-8"},
		{jsonText, "application/json"}, // the default
	}
	ids := make([]string, len(sent))
	for i, m := range sent {
		var ct *string
		if m.contentType != "application/json" {
			ct = &m.contentType
		}
		out, err := sx.Message.Create(ctx, app.Id, *svix.NewMessageInRaw("order.placed", m.body, ct), nil)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = out.Id
	}
	wait.For(t, "both raw messages delivered", func() bool { return rc.count() == 2 })
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for i, m := range sent {
		j := slices.Index(rc.ids, ids[i])
		if j < 0 {
			t.Fatalf("message %s not received", ids[i])
		}
		if got := string(rc.bodies[j]); got != m.body {
			t.Errorf("body of %s: %q, want %q byte for byte", ids[i], got, m.body)
		}
		if got := rc.headers[j].Get("Content-Type"); got != m.contentType {
			t.Errorf("content type of %s: %q, want %q", ids[i], got, m.contentType)
		}
		if err := verifier.Verify(rc.bodies[j], rc.headers[j]); err != nil {
			t.Errorf("signature of %s: %v", ids[i], err)
		}
	}

	for i, m := range sent {
		var raw struct{ Payload string }
		if code, err := apiCall(http.DefaultClient, "GET", s.url+"/api/v1/app/"+app.Id+"/msg/"+ids[i]+"/raw", s.token, nil, &raw); err != nil || code != 200 {
			t.Fatalf("GET raw: %d %v", code, err)
		}
		if raw.Payload != m.body {
			t.Errorf("raw payload of %s: %q, want %q", ids[i], raw.Payload, m.body)
		}
	}
	got, err := sx.Message.Get(ctx, app.Id, ids[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Payload) != 0 {
		t.Errorf("a raw payload that is not JSON reads as %v, want {}", got.Payload)
	}
	got, err = sx.Message.Get(ctx, app.Id, ids[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Payload["spaced"] != true {
		t.Errorf("a raw JSON payload reads as %v", got.Payload)
	}

	for _, bad := range []string{
		`{"eventType":"e","payload":{},"transformationsParams":{"rawPayload":""}}`,
		`{"eventType":"e","payload":{},"transformationsParams":{"rawPayload":5}}`,
		`{"eventType":"e","payload":{},"transformationsParams":{"rawPayload":"x","headers":{"content-type":"not a type"}}}`,
		`{"eventType":"e","payload":{},"transformationsParams":"raw"}`,
	} {
		code, err := apiCall(http.DefaultClient, "POST", s.url+"/api/v1/app/"+app.Id+"/msg", s.token, rawJSON(bad), nil)
		if err != nil || code != 422 {
			t.Errorf("%s: %d %v, want 422", bad, code, err)
		}
	}
	list, err := sx.Message.List(ctx, app.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Data) != 2 {
		t.Fatalf("%d messages after the refusals, want 2", len(list.Data))
	}
}

// rawJSON is a request body sent as it is.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// TestSvixJSv2Fidelity runs testdata/js/fidelity.mjs, which checks the
// behaviours above through the official JavaScript SDK v2 (svix 2.5.0),
// whose names (eventTypes) and defaults (no content) differ from v1's, and
// its Ingest calls: a source and an ingest endpoint created, read, replaced
// and deleted.
func TestSvixJSv2Fidelity(t *testing.T) {
	js := npmtest.Install(t, filepath.Join("testdata", "js"), "fidelity.mjs")
	s := startServer(t)
	rc := newHookReceiver(t, nil)
	var out struct {
		Checks []struct {
			Name   string
			OK     bool
			Detail string
		}
	}
	js.Run(t, "fidelity.mjs", map[string]string{"base": s.url, "admin": s.token, "receiver": rc.URL}, &out)
	if len(out.Checks) == 0 {
		t.Fatal("the script made no checks")
	}
	for _, c := range out.Checks {
		if !c.OK {
			t.Errorf("%s: %s", c.Name, c.Detail)
		}
	}
}
