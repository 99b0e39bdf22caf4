package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline/internal/wait"
)

// TestAttemptHeadersThroughServe sends a message through a real serve to a
// real receiver, once to an endpoint with custom headers and once to one
// whose URL carries credentials, and reads each attempt's headers
// (GET .../attempt/{attempt_id}/headers, which the Go SDK v1.99.1 does not
// call: raw HTTP in the hosted shape): they are what the receiver got, but
// the values of the credentials, which are named in sensitive and appear
// nowhere in the answer.
func TestAttemptHeadersThroughServe(t *testing.T) {
	s := startServer(t, "--signature-headers", "both")
	ctx := context.Background()
	sx := s.client(t)
	rc := newHookReceiver(t, nil)
	app, err := sx.Application.Create(ctx, models.ApplicationIn{Name: "headers"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	custom, err := sx.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: rc.URL + "/custom"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sx.Endpoint.UpdateHeaders(ctx, app.Id, custom.Id, models.EndpointHeadersIn{
		Headers: map[string]string{"X-Tenant": "acme", "X-Api-Key": "k3y-never-kept"}}); err != nil {
		t.Fatal(err)
	}
	withUser := strings.Replace(rc.URL, "http://", "http://user:pa55-never-kept@", 1) + "/basic"
	if _, err := sx.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: withUser}, nil); err != nil {
		t.Fatal(err)
	}
	msg, err := sx.Message.Create(ctx, app.Id, models.MessageIn{EventType: "invoice.paid", Payload: map[string]any{"n": 1}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var atts []models.MessageAttemptOut
	wait.For(t, "both attempts", func() bool {
		out, err := sx.MessageAttempt.ListByMsg(ctx, app.Id, msg.Id, nil)
		atts = out.Data
		return err == nil && len(out.Data) == 2
	})

	for _, a := range atts {
		req, _ := http.NewRequest("GET", s.url+"/api/v1/app/"+app.Id+"/msg/"+msg.Id+"/attempt/"+a.Id+"/headers", nil)
		req.Header.Set("Authorization", "Bearer "+s.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("headers of %s: %d %s", a.Id, resp.StatusCode, body)
		}
		for _, secret := range []string{"k3y-never-kept", "pa55-never-kept", "dXNlcjpwYTU1"} {
			if strings.Contains(string(body), secret) {
				t.Fatalf("a credential's value in %s", body)
			}
		}
		var out struct {
			SentHeaders map[string]string `json:"sentHeaders"`
			Sensitive   []string          `json:"sensitive"`
		}
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		// What the receiver got on that path.
		rc.mu.Lock()
		var got http.Header
		for _, h := range rc.headers {
			if (a.EndpointId == custom.Id) == (h.Get("X-Tenant") == "acme") {
				got = h
			}
		}
		rc.mu.Unlock()
		if got == nil {
			t.Fatalf("the receiver got nothing for %s", a.EndpointId)
		}
		for _, name := range []string{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature", "Svix-Id", "Svix-Signature",
			"Content-Type", "User-Agent"} {
			if v := out.SentHeaders[name]; v == "" || v != got.Get(name) {
				t.Errorf("%s: sent %q, the receiver got %q", name, v, got.Get(name))
			}
		}
		want := []string{"Authorization"}
		if a.EndpointId == custom.Id {
			want = []string{"X-Api-Key"}
			if out.SentHeaders["X-Tenant"] != "acme" {
				t.Errorf("custom header: %v", out.SentHeaders)
			}
		} else if got.Get("Authorization") == "" {
			t.Errorf("the URL's credentials were not sent")
		}
		if !slices.Equal(out.Sensitive, want) {
			t.Errorf("sensitive %v, want %v", out.Sensitive, want)
		}
		for _, name := range out.Sensitive {
			if _, ok := out.SentHeaders[name]; ok {
				t.Errorf("%s is both sent and sensitive", name)
			}
		}
	}
}
