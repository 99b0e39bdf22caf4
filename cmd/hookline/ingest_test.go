package main

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v75/github"
	stripewebhook "github.com/stripe/stripe-go/v82/webhook"
	svix "github.com/svix/svix-webhooks/go"
	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline/internal/wait"
	"github.com/hookline/hookline/signature"
)

// TestIngestSDK manages sources and their ingest endpoints with the
// official Svix Go SDK's Ingest calls, against a real serve.
func TestIngestSDK(t *testing.T) {
	s := startServer(t)
	c := s.client(t)
	ctx := t.Context()
	uid := "github-main"
	src, err := c.Ingest.Source.Create(ctx, models.IngestSourceIn{
		Name: "GitHub", Uid: &uid, Type: models.IngestSourceInTypeGithub,
		Config: models.GithubConfig{Secret: ptr("gh-secret")}, Metadata: &map[string]string{"team": "ci"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(src.Id, "src_") || src.IngestUrl == nil || !strings.Contains(*src.IngestUrl, "/ingest/in/") ||
		src.Type != models.IngestSourceOutTypeGithub || src.Metadata["team"] != "ci" {
		t.Fatalf("created %+v", src)
	}
	got, err := c.Ingest.Source.Get(ctx, uid)
	if err != nil || got.Id != src.Id || *got.IngestUrl != *src.IngestUrl {
		t.Fatalf("Get by uid: %+v, %v", got, err)
	}
	if out, _ := json.Marshal(got.Config); strings.Contains(string(out), "gh-secret") {
		t.Fatalf("the config shows the secret: %s", out)
	}
	cron, err := c.Ingest.Source.Create(ctx, models.IngestSourceIn{
		Name: "nightly", Type: models.IngestSourceInTypeCron,
		Config: models.CronConfig{Schedule: "0 3 * * *", Payload: `{"job": "report"}`},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cron.IngestUrl != nil {
		t.Fatalf("a cron source has an ingest URL: %s", *cron.IngestUrl)
	}
	if cc, ok := cron.Config.(models.CronConfig); !ok || cc.Schedule != "0 3 * * *" {
		t.Fatalf("cron config %#v", cron.Config)
	}
	list, err := c.Ingest.Source.List(ctx, &svix.IngestSourceListOptions{Limit: ptr[uint64](1)})
	if err != nil || len(list.Data) != 1 || list.Done || list.Data[0].Id != src.Id {
		t.Fatalf("List: %+v, %v", list, err)
	}
	updated, err := c.Ingest.Source.Update(ctx, src.Id, models.IngestSourceIn{
		Name: "GitHub org", Uid: &uid, Type: models.IngestSourceInTypeGithub, Config: models.GithubConfig{Secret: ptr("new-secret")},
	})
	if err != nil || updated.Name != "GitHub org" || *updated.IngestUrl != *src.IngestUrl {
		t.Fatalf("Update: %+v, %v", updated, err)
	}
	rotated, err := c.Ingest.Source.RotateToken(ctx, src.Id, nil)
	if err != nil || rotated.IngestUrl == *src.IngestUrl {
		t.Fatalf("RotateToken: %+v, %v", rotated, err)
	}

	ep, err := c.Ingest.Endpoint.Create(ctx, src.Id, models.IngestEndpointIn{Url: "http://127.0.0.1:9/build", Uid: ptr("ci")}, nil)
	if err != nil || !strings.HasPrefix(ep.Id, "ep_") || ep.Url != "http://127.0.0.1:9/build" {
		t.Fatalf("Endpoint.Create: %+v, %v", ep, err)
	}
	if eps, err := c.Ingest.Endpoint.List(ctx, uid, nil); err != nil || len(eps.Data) != 1 || eps.Data[0].Id != ep.Id {
		t.Fatalf("Endpoint.List: %+v, %v", eps, err)
	}
	if _, err := c.Ingest.Endpoint.Update(ctx, src.Id, "ci", models.IngestEndpointUpdate{Url: "http://127.0.0.1:9/other"}); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Ingest.Endpoint.Get(ctx, src.Id, ep.Id); err != nil || got.Url != "http://127.0.0.1:9/other" {
		t.Fatalf("Endpoint.Get: %+v, %v", got, err)
	}
	sec, err := c.Ingest.Endpoint.GetSecret(ctx, src.Id, ep.Id)
	if err != nil || !strings.HasPrefix(sec.Key, "whsec_") {
		t.Fatalf("GetSecret: %+v, %v", sec, err)
	}
	if err := c.Ingest.Endpoint.RotateSecret(ctx, src.Id, ep.Id, models.IngestEndpointSecretIn{}, nil); err != nil {
		t.Fatal(err)
	}
	if sec2, err := c.Ingest.Endpoint.GetSecret(ctx, src.Id, ep.Id); err != nil || sec2.Key == sec.Key {
		t.Fatalf("the secret did not change: %v", err)
	}
	if err := c.Ingest.Endpoint.UpdateHeaders(ctx, src.Id, ep.Id, models.IngestEndpointHeadersIn{Headers: map[string]string{"X-Team": "ci"}}); err != nil {
		t.Fatal(err)
	}
	if h, err := c.Ingest.Endpoint.GetHeaders(ctx, src.Id, ep.Id); err != nil || h.Headers["X-Team"] != "ci" {
		t.Fatalf("GetHeaders: %+v, %v", h, err)
	}

	// The source's application is not a tenant's.
	apps, err := c.Application.List(ctx, nil)
	if err != nil || len(apps.Data) != 0 {
		t.Fatalf("the tenant API lists %d applications (%v)", len(apps.Data), err)
	}

	// Bad input is refused and changes nothing.
	if _, err := c.Ingest.Source.Create(ctx, models.IngestSourceIn{Name: "x", Type: models.IngestSourceInTypeStripe, Config: models.StripeConfig{}}, nil); !isStatus(err, 422) {
		t.Fatalf("a stripe source without a secret: %v, want 422", err)
	}
	if _, err := c.Ingest.Endpoint.Create(ctx, src.Id, models.IngestEndpointIn{Url: "action:nope"}, nil); !isStatus(err, 422) {
		t.Fatalf("an endpoint naming an unknown action: %v, want 422", err)
	}
	if eps, _ := c.Ingest.Endpoint.List(ctx, src.Id, nil); len(eps.Data) != 1 {
		t.Fatalf("%d endpoints after refused creations", len(eps.Data))
	}

	if err := c.Ingest.Endpoint.Delete(ctx, src.Id, ep.Id); err != nil {
		t.Fatal(err)
	}
	if err := c.Ingest.Source.Delete(ctx, src.Id); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Ingest.Source.Get(ctx, src.Id); !isStatus(err, 404) {
		t.Fatalf("Get after Delete: %v, want 404", err)
	}
}

// isStatus reports whether err is an SDK error with this HTTP status.
func isStatus(err error, status int) bool {
	e, ok := err.(*svix.Error)
	return ok && e.Status() == status
}

// ingestSource creates a source of typ with config through the API, and an
// ingest endpoint to url; it returns the source's id and ingest URL.
func ingestSource(t *testing.T, s *server, typ string, config map[string]any, url string) (id, ingestURL string) {
	t.Helper()
	var src struct {
		ID        string `json:"id"`
		IngestURL string `json:"ingestUrl"`
	}
	if code, err := apiCall(http.DefaultClient, "POST", s.url+"/ingest/api/v1/source", s.token,
		map[string]any{"name": typ + " source", "type": typ, "config": config}, &src); err != nil || code != 201 {
		t.Fatalf("create source: %d %v", code, err)
	}
	if url != "" {
		if code, err := apiCall(http.DefaultClient, "POST", s.url+"/ingest/api/v1/source/"+src.ID+"/endpoint", s.token,
			map[string]any{"url": url}, nil); err != nil || code != 201 {
			t.Fatalf("create ingest endpoint: %d %v", code, err)
		}
	}
	// The URL is made of --public-url, which is the --listen address with
	// its port 0 here: reach it at the address the server listens on.
	_, path, _ := strings.Cut(src.IngestURL, "/ingest/")
	return src.ID, s.url + "/ingest/" + path
}

// ingestEndpointSecret returns the signing secret of the only ingest
// endpoint of the source srcID.
func ingestEndpointSecret(t *testing.T, s *server, srcID string) string {
	t.Helper()
	var sec struct{ Key string }
	url := s.url + "/ingest/api/v1/source/" + srcID + "/endpoint/" + onlyIngestEndpoint(t, s, srcID) + "/secret"
	if code, err := apiCall(http.DefaultClient, "GET", url, s.token, nil, &sec); err != nil || code != 200 {
		t.Fatalf("ingest endpoint secret: %d %v", code, err)
	}
	return sec.Key
}

// onlyIngestEndpoint returns the id of the only ingest endpoint of the
// source srcID.
func onlyIngestEndpoint(t *testing.T, s *server, srcID string) string {
	t.Helper()
	var eps struct{ Data []struct{ ID string } }
	url := s.url + "/ingest/api/v1/source/" + srcID + "/endpoint"
	if code, err := apiCall(http.DefaultClient, "GET", url, s.token, nil, &eps); err != nil || code != 200 || len(eps.Data) != 1 {
		t.Fatalf("ingest endpoints: %d %v %+v", code, err, eps)
	}
	return eps.Data[0].ID
}

// post sends body to url with the headers h and returns the status.
func post(t *testing.T, url string, h http.Header, body []byte) int {
	t.Helper()
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// providerCase is a signed request a provider sends, and ways to spoil it.
type providerCase struct {
	name   string
	typ    string
	config map[string]any
	// sign returns the headers of body signed at when.
	sign  func(t *testing.T, body []byte, when time.Time) http.Header
	body  func(id string) []byte
	event string // the header forwarded that tells what happened, and its value
}

func providerCases(t *testing.T) []providerCase {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	whsec := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	stdHeaders := func(prefix string, sign func(id string, when time.Time, body []byte) string) func(*testing.T, []byte, time.Time) http.Header {
		return func(t *testing.T, body []byte, when time.Time) http.Header {
			var m struct{ ID string }
			json.Unmarshal(body, &m)
			return http.Header{prefix + "Id": {m.ID}, prefix + "Timestamp": {fmt.Sprint(when.Unix())},
				prefix + "Signature": {sign(m.ID, when, body)}, "Content-Type": {"application/json"}}
		}
	}
	cases := []providerCase{
		{name: "github", typ: "github", config: map[string]any{"secret": "gh-s3cret"},
			sign: func(t *testing.T, body []byte, _ time.Time) http.Header {
				var m struct{ ID string }
				json.Unmarshal(body, &m)
				h := http.Header{"X-Hub-Signature-256": {signature.SignGitHub([]byte("gh-s3cret"), body)},
					"X-Github-Event": {"push"}, "X-Github-Delivery": {m.ID}, "Content-Type": {"application/json"}}
				// GitHub's own library accepts the request as GitHub's.
				req, _ := http.NewRequest("POST", "/", bytes.NewReader(body))
				req.Header = h.Clone()
				if _, err := github.ValidatePayload(req, []byte("gh-s3cret")); err != nil {
					t.Fatalf("go-github refuses the request: %v", err)
				}
				return h
			},
			body:  func(id string) []byte { return []byte(`{"ID":"` + id + `","ref":"refs/heads/main"}`) },
			event: "X-Github-Event"},
		{name: "stripe", typ: "stripe", config: map[string]any{"secret": "whsec_stripe_test"},
			sign: func(t *testing.T, body []byte, when time.Time) http.Header {
				p := stripewebhook.GenerateTestSignedPayload(&stripewebhook.UnsignedPayload{Payload: body, Secret: "whsec_stripe_test", Timestamp: when})
				return http.Header{"Stripe-Signature": {p.Header}, "Content-Type": {"application/json"}}
			},
			body: func(id string) []byte { return []byte(`{"id":"` + id + `","type":"invoice.paid"}`) }},
		{name: "shopify", typ: "shopify", config: map[string]any{"secret": "shp-s3cret"},
			sign: func(t *testing.T, body []byte, _ time.Time) http.Header {
				var m struct{ ID string }
				json.Unmarshal(body, &m)
				return http.Header{"X-Shopify-Hmac-Sha256": {signature.SignShopify([]byte("shp-s3cret"), body)},
					"X-Shopify-Webhook-Id": {m.ID}, "X-Shopify-Topic": {"orders/create"}, "Content-Type": {"application/json"}}
			},
			body:  func(id string) []byte { return []byte(`{"ID":"` + id + `"}`) },
			event: "X-Shopify-Topic"},
		{name: "slack", typ: "slack", config: map[string]any{"secret": "slack-s3cret"},
			sign: func(t *testing.T, body []byte, when time.Time) http.Header {
				return http.Header{"X-Slack-Signature": {signature.SignSlack([]byte("slack-s3cret"), when, body)},
					"X-Slack-Request-Timestamp": {fmt.Sprint(when.Unix())}, "Content-Type": {"application/json"}}
			},
			body: func(id string) []byte {
				return []byte(`{"type":"event_callback","event_id":"` + id + `","event":{"type":"app_mention"}}`)
			}},
		{name: "standard-v1", typ: "svix", config: map[string]any{"secret": whsec},
			sign: stdHeaders("Webhook-", func(id string, when time.Time, body []byte) string {
				key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(whsec, "whsec_"))
				return signature.SignV1(key, id, when, body)
			}),
			body: func(id string) []byte { return []byte(`{"ID":"` + id + `","type":"user.created"}`) }},
	}
	// v1a, with a whpk_ public key, under either name of the headers.
	for _, v := range []struct{ name, prefix string }{{"svix-v1a", "Svix-"}, {"standard-v1a", "Webhook-"}} {
		cases = append(cases, providerCase{name: v.name,
			typ: "svix", config: map[string]any{"secret": "whpk_" + base64.StdEncoding.EncodeToString(pub)},
			sign: stdHeaders(v.prefix, func(id string, when time.Time, body []byte) string {
				return signature.SignV1a(priv, id, when, body)
			}),
			body: func(id string) []byte { return []byte(`{"ID":"` + id + `","type":"user.created"}`) }})
	}
	return cases
}

// TestIngestProviders receives each provider's signed requests through a
// real serve: each is accepted and forwarded to a real receiver with its
// body, content type and the provider's headers but its signature, signed
// with the ingest endpoint's secret; the same delivery id again is
// answered and not forwarded again; tampered, unsigned, and stale requests
// are refused with a bare 401 and forwarded never.
func TestIngestProviders(t *testing.T) {
	s := startServer(t)
	for _, pc := range providerCases(t) {
		t.Run(pc.name, func(t *testing.T) {
			recv := newHookReceiver(t, func(int) int { return 204 })
			srcID, url := ingestSource(t, s, pc.typ, pc.config, recv.URL+"/hook")
			now := time.Now()
			body := pc.body("evt_" + pc.name + "_1")
			h := pc.sign(t, body, now)
			if code := post(t, url, h, body); code != 204 {
				t.Fatalf("a signed request: %d, want 204", code)
			}
			wait.For(t, "the delivery", func() bool { return recv.count() == 1 })
			recv.mu.Lock()
			got, gotH := recv.bodies[0], recv.headers[0]
			recv.mu.Unlock()
			if !bytes.Equal(got, body) || gotH.Get("Content-Type") != "application/json" {
				t.Fatalf("forwarded %q (%s), want %q", got, gotH.Get("Content-Type"), body)
			}
			if pc.event != "" && gotH.Get(pc.event) != h.Get(pc.event) {
				t.Fatalf("forwarded %s: %q, want %q", pc.event, gotH.Get(pc.event), h.Get(pc.event))
			}
			for k := range h {
				if strings.Contains(strings.ToLower(k), "signature") || strings.Contains(strings.ToLower(k), "hmac") {
					if gotH.Get(k) != "" && gotH.Get(k) == h.Get(k) {
						t.Fatalf("the provider's signature %s was forwarded", k)
					}
				}
			}
			// Signed with the ingest endpoint's secret, as its receiver verifies it.
			v, err := signature.NewSvix(ingestEndpointSecret(t, s, srcID))
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Verify(gotH, got); err != nil || !strings.HasPrefix(gotH.Get("Webhook-Id"), "msg_") {
				t.Fatalf("the delivery is not signed with the ingest endpoint's secret (%v): %v", err, gotH)
			}

			// The same delivery again (a provider's retry, signed anew): 2xx, not forwarded.
			if code := post(t, url, pc.sign(t, body, time.Now()), body); code != 204 {
				t.Fatalf("a duplicate: %d, want 204", code)
			}
			// Refused: tampered, unsigned, outside the replay window.
			tampered := bytes.Replace(body, []byte("_1"), []byte("_2"), 1)
			for what, req := range map[string]struct {
				h    http.Header
				body []byte
			}{
				"tampered": {h, tampered},
				"unsigned": {http.Header{"Content-Type": {"application/json"}}, pc.body("evt_" + pc.name + "_3")},
			} {
				if code := post(t, url, req.h, req.body); code != 401 {
					t.Fatalf("a %s request: %d, want 401", what, code)
				}
			}
			if pc.typ == "stripe" || pc.typ == "slack" || pc.typ == "svix" {
				old := pc.body("evt_" + pc.name + "_4")
				if code := post(t, url, pc.sign(t, old, now.Add(-time.Hour)), old); code != 401 {
					t.Fatalf("a request signed an hour ago: %d, want 401", code)
				}
			}
			// A request that must go through, after those: the receiver
			// then has it second, which proves none of the others went.
			next := pc.body("evt_" + pc.name + "_5")
			if code := post(t, url, pc.sign(t, next, time.Now()), next); code != 204 {
				t.Fatalf("a second signed request: %d, want 204", code)
			}
			wait.For(t, "the second delivery", func() bool { return recv.count() >= 2 })
			recv.mu.Lock()
			defer recv.mu.Unlock()
			if len(recv.bodies) != 2 || !bytes.Equal(recv.bodies[1], next) {
				t.Fatalf("the receiver got %d requests, the second %q; want the first and %q", len(recv.bodies), recv.bodies[len(recv.bodies)-1], next)
			}
		})
	}
}

// ingestLog returns a source's log, newest first (250 entries at most).
func ingestLog(t *testing.T, s *server, srcID string) []map[string]any {
	t.Helper()
	var out struct{ Data []map[string]any }
	if code, err := apiCall(http.DefaultClient, "GET", s.url+"/ingest/api/v1/source/"+srcID+"/log?limit=250", s.token, nil, &out); err != nil || code != 200 {
		t.Fatalf("log: %d %v", code, err)
	}
	return out.Data
}

// TestIngestRefusesBadInput checks that the ingest URL answers what it
// cannot take with a 4xx before it verifies or stores anything: a body
// over the limit (413, whatever its signature), an unknown token (404), a
// wrong method (405), an encoded body (422); and that refused requests are
// logged without their body.
func TestIngestRefusesBadInput(t *testing.T) {
	o := startObserved(t, nil, "--max-body", "1KiB")
	s := o.server
	recv := newHookReceiver(t, func(int) int { return 204 })
	id, url := ingestSource(t, s, "github", map[string]any{"secret": "s"}, recv.URL)
	big := bytes.Repeat([]byte("x"), 2048)
	if code := post(t, url, http.Header{"X-Hub-Signature-256": {signature.SignGitHub([]byte("s"), big)}}, big); code != 413 {
		t.Fatalf("a body over the limit: %d, want 413", code)
	}
	if code := post(t, strings.Replace(url, "/in/", "/in/x", 1), nil, []byte("{}")); code != 404 {
		t.Fatalf("an unknown token: %d, want 404", code)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Fatalf("GET: %d, want 405", resp.StatusCode)
	}
	body := []byte(`{"a":1}`)
	if code := post(t, url, http.Header{"Content-Encoding": {"gzip"}, "X-Hub-Signature-256": {signature.SignGitHub([]byte("s"), body)}}, body); code != 422 {
		t.Fatalf("an encoded body: %d, want 422", code)
	}
	if log := ingestLog(t, s, id); len(log) != 0 {
		t.Fatalf("the refused requests were recorded: %v", log)
	}
	// A wrong signature is refused, and recorded with its reason.
	if code := post(t, url, http.Header{"X-Hub-Signature-256": {"sha256=00"}, "Authorization": {"Bearer secret-token"}}, body); code != 401 {
		t.Fatalf("a wrong signature: %d, want 401", code)
	}
	log := ingestLog(t, s, id)
	if len(log) != 1 || log[0]["outcome"] != "refused" || !strings.HasPrefix(log[0]["error_text"].(string), "signature: malformed header: X-Hub-Signature-256") || log[0]["payload"] != "" {
		t.Fatalf("log %v, want one refused entry", log)
	}
	if h := log[0]["headers"].(map[string]any); h["Authorization"] != nil || h["X-Hub-Signature-256"] != nil {
		t.Fatalf("the log keeps credentials or signatures: %v", h)
	}
	if recv.count() != 0 {
		t.Fatalf("%d requests forwarded", recv.count())
	}
	// The refusal is counted for the operator; what never reached
	// verification (413, 404, 405, 422) is not.
	m := scrapeMetrics(t, s.url+"/metrics", s.token)
	if got := m.value("hookline_ingest_requests_total", "source_type=github", "outcome=refused"); got != 1 {
		t.Fatalf("hookline_ingest_requests_total{outcome=refused}: %v, want 1", got)
	}
	if got := m.value("hookline_ingest_requests_total"); got != 1 {
		t.Fatalf("hookline_ingest_requests_total: %v in all, want 1", got)
	}
	// And logged for the operator, once: the source and why, never the
	// request's credentials.
	lines := regexp.MustCompile(`(?m)^.*level=WARN msg="ingest: request refused".*$`).FindAllString(o.logs.String(), -1)
	if len(lines) != 1 || !strings.Contains(lines[0], "source_id="+id) || !strings.Contains(lines[0], `reason="signature: `) ||
		strings.Contains(lines[0], "signature: signature:") ||
		strings.Contains(lines[0], "secret-token") || strings.Contains(lines[0], "sha256=00") {
		t.Fatalf("the refusal's log lines: %q, want one with source_id and reason, without credentials, in\n%s", lines, o.logs)
	}
}

// TestIngestExtensions checks Hookline's verification extensions on a
// generic source: a sender HMAC over timestamp.body, basic auth, an API-key
// header and the sender networks, each required; and the de-duplication on
// a JSON pointer. The log tells what became of each request, and the
// source's routes list and resend its deliveries.
func TestIngestExtensions(t *testing.T) {
	s := startServer(t)
	recv := newHookReceiver(t, func(int) int { return 204 })
	id, url := ingestSource(t, s, "generic-webhook", map[string]any{
		"hmac":            map[string]any{"secret": "k3y", "header": "X-Sig", "algorithm": "sha512", "encoding": "base64", "prefix": "v1=", "signedContent": "timestamp.body", "timestampHeader": "X-Ts"},
		"basicAuth":       map[string]any{"username": "hook", "password": "pw"},
		"headerAuth":      map[string]any{"header": "X-Api-Key", "value": "key-1"},
		"allowedNetworks": []string{"127.0.0.0/8"},
		"dedupPointer":    "/event/id",
	}, recv.URL)
	body := []byte("{\"event\": {\"id\": \"e-1\"}, \"cmd\": \"$(touch /tmp/x); `id`\"}")
	sign := func(body []byte, when time.Time) http.Header {
		g := &signature.HMAC{Secret: []byte("k3y"), Header: "X-Sig", Prefix: "v1=", Hash: crypto.SHA512, Encoding: signature.EncodingBase64, TimestampHeader: "X-Ts"}
		v, err := g.SignValue(when, body)
		if err != nil {
			t.Fatal(err)
		}
		return http.Header{"X-Sig": {v}, "X-Ts": {fmt.Sprint(when.Unix())}, "X-Api-Key": {"key-1"},
			"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("hook:pw"))}, "Content-Type": {"application/json"}}
	}
	h := sign(body, time.Now())
	for name, spoil := range map[string]func(http.Header){
		"no basic auth": func(h http.Header) { h.Del("Authorization") },
		"wrong api key": func(h http.Header) { h.Set("X-Api-Key", "key-2") },
		"no signature":  func(h http.Header) { h.Del("X-Sig") },
	} {
		bad := h.Clone()
		spoil(bad)
		if code := post(t, url, bad, body); code != 401 {
			t.Fatalf("%s: %d, want 401", name, code)
		}
	}
	if code := post(t, url, h, body); code != 204 {
		t.Fatalf("a request that passes every check: %d", code)
	}
	if code := post(t, url, sign(body, time.Now()), body); code != 204 {
		t.Fatalf("its duplicate: %d", code)
	}
	wait.For(t, "the delivery", func() bool { return recv.count() == 1 })
	recv.mu.Lock()
	fwd := recv.headers[0]
	recv.mu.Unlock()
	if fwd.Get("X-Api-Key") != "" || fwd.Get("Authorization") != "" || fwd.Get("X-Sig") != "" || fwd.Get("X-Ts") == "" {
		t.Fatalf("forwarded headers %v: credentials and the signature must go, the rest stay", fwd)
	}
	log := ingestLog(t, s, id)
	outcomes := []string{}
	for _, e := range log {
		outcomes = append(outcomes, e["outcome"].(string))
	}
	if strings.Join(outcomes, ",") != "duplicate,accepted,refused,refused,refused" {
		t.Fatalf("log outcomes %v", outcomes)
	}
	if log[1]["delivery_id"] != "e-1" || log[1]["payload"] != string(body) || log[0]["msg_id"] != log[1]["msg_id"] {
		t.Fatalf("accepted entry %v, duplicate %v", log[1], log[0])
	}

	// The deliveries of what the source received, through its routes.
	msgID := log[1]["msg_id"].(string)
	var dests struct{ Data []struct{ ID string } }
	if code, err := apiCall(http.DefaultClient, "GET", s.url+"/ingest/api/v1/source/"+id+"/msg/"+msgID+"/endpoint", s.token, nil, &dests); err != nil || code != 200 || len(dests.Data) != 1 {
		t.Fatalf("destinations: %d %v %+v", code, err, dests)
	}
	wait.For(t, "the attempt in the log", func() bool {
		var attempts struct{ Data []map[string]any }
		code, err := apiCall(http.DefaultClient, "GET", s.url+"/ingest/api/v1/source/"+id+"/attempt/msg/"+msgID, s.token, nil, &attempts)
		if err != nil || code != 200 {
			t.Fatalf("attempts: %d %v", code, err)
		}
		return len(attempts.Data) == 1
	})
	if code, err := apiCall(http.DefaultClient, "POST", s.url+"/ingest/api/v1/source/"+id+"/msg/"+msgID+"/endpoint/"+dests.Data[0].ID+"/resend", s.token, nil, nil); err != nil || code != 202 {
		t.Fatalf("resend: %d %v", code, err)
	}
	wait.For(t, "the resent delivery", func() bool { return recv.count() == 2 })
	// The source's message is not reachable through the tenant API.
	if code, _ := apiCall(http.DefaultClient, "GET", s.url+"/api/v1/app/"+"hookline-ingest-"+id+"/msg/"+msgID, s.token, nil, nil); code != 404 {
		t.Fatalf("the tenant API shows the source's message: %d", code)
	}
}

// TestIngestSenderNetworks checks that a source that allows other networks
// refuses a sender on 127.0.0.1, whatever it signs.
func TestIngestSenderNetworks(t *testing.T) {
	s := startServer(t)
	recv := newHookReceiver(t, func(int) int { return 204 })
	_, url := ingestSource(t, s, "github", map[string]any{"secret": "s", "allowedNetworks": []string{"192.30.252.0/22"}}, recv.URL)
	body := []byte(`{}`)
	if code := post(t, url, http.Header{"X-Hub-Signature-256": {signature.SignGitHub([]byte("s"), body)}}, body); code != 401 {
		t.Fatalf("a sender outside allowedNetworks: %d, want 401", code)
	}
}

// TestIngestRefusalsThrottleOneSource: a sender refused again and again on
// one source is answered 429 there, even when it then signs; from the same
// address, another source still takes its signed requests and the admin API
// still answers.
func TestIngestRefusalsThrottleOneSource(t *testing.T) {
	s := startServer(t)
	recv := newHookReceiver(t, func(int) int { return 204 })
	_, urlA := ingestSource(t, s, "github", map[string]any{"secret": "a"}, recv.URL)
	_, urlB := ingestSource(t, s, "github", map[string]any{"secret": "b"}, recv.URL)
	signed := func(secret string, body []byte) http.Header {
		return http.Header{"X-Hub-Signature-256": {signature.SignGitHub([]byte(secret), body)}}
	}
	body := []byte(`{"n":1}`)
	refused := 0
	for code := 0; code != 429; refused++ {
		if code = post(t, urlA, nil, body); code != 401 && code != 429 {
			t.Fatalf("an unsigned request: %d, want 401 or 429", code)
		}
		if refused > 100 {
			t.Fatal("100 unsigned requests in a row were never throttled")
		}
	}
	if code := post(t, urlA, signed("a", body), body); code != 429 {
		t.Fatalf("a signed request on the throttled source: %d, want 429", code)
	}
	if code := post(t, urlB, signed("b", body), body); code != 204 {
		t.Fatalf("a signed request on another source, after %d refusals on the first: %d, want 204", refused, code)
	}
	if code, err := apiCall(http.DefaultClient, "GET", s.url+"/api/v1/app", s.token, nil, nil); err != nil || code != 200 {
		t.Fatalf("the admin API after %d refusals on a source: %d %v, want 200", refused, code, err)
	}
}

// TestIngestSDKUpdateDropsExtensions: the SDKs send a source's config as
// their own types, which know none of Hookline's extensions; an update
// through one (a full replace) removes them, and the operator is told
// which, once.
func TestIngestSDKUpdateDropsExtensions(t *testing.T) {
	o := startObserved(t, nil)
	s := o.server
	id, _ := ingestSource(t, s, "github", map[string]any{"secret": "s", "allowedNetworks": []string{"192.30.252.0/22"},
		"headerAuth": map[string]any{"header": "X-Key", "value": "k"}}, "")
	if _, err := s.client(t).Ingest.Source.Update(t.Context(), id, models.IngestSourceIn{
		Name: "github source", Type: models.IngestSourceInTypeGithub, Config: models.GithubConfig{Secret: ptr("s2")},
	}); err != nil {
		t.Fatal(err)
	}
	if got := s.want(t, 200, "GET", "/ingest/api/v1/source/"+id, nil); strings.Contains(got, "allowedNetworks") || strings.Contains(got, "headerAuth") {
		t.Fatalf("the source after the SDK's update: %s", got)
	}
	lines := regexp.MustCompile(`(?m)^.*level=WARN msg="ingest: a change removed checks of the source".*$`).FindAllString(o.logs.String(), -1)
	if len(lines) != 1 || !strings.Contains(lines[0], "source_id="+id) || !strings.Contains(lines[0], "removed=allowedNetworks,headerAuth") {
		t.Fatalf("the WARN lines: %q, want one naming allowedNetworks and headerAuth, in\n%s", lines, o.logs)
	}
}

// TestCronSourceFires: a cron source fires its payload on its schedule,
// through the same path as a received request, to a real receiver.
func TestCronSourceFires(t *testing.T) {
	s := startServer(t)
	recv := newHookReceiver(t, func(int) int { return 204 })
	id, _ := ingestSource(t, s, "cron", map[string]any{"schedule": "@every 1s", "payload": "report=daily", "contentType": "text/plain"}, recv.URL)
	wait.For(t, "two ticks", func() bool { return recv.count() >= 2 })
	recv.mu.Lock()
	body, h := recv.bodies[0], recv.headers[0]
	recv.mu.Unlock()
	if string(body) != "report=daily" || h.Get("Content-Type") != "text/plain" {
		t.Fatalf("a tick delivered %q (%s)", body, h.Get("Content-Type"))
	}
	log := ingestLog(t, s, id)
	if len(log) < 2 || log[0]["outcome"] != "accepted" || !strings.HasPrefix(log[0]["delivery_id"].(string), "cron:") {
		t.Fatalf("log %v", log)
	}
	// A schedule that does not parse is refused, and so is a key a cron
	// source has no use for: a dedup window of 0 would let every node
	// store each tick.
	for _, config := range []map[string]any{
		{"schedule": "every day", "payload": "{}"},
		{"schedule": "* * * * *", "payload": "{}", "dedupWindowSeconds": 0},
	} {
		if code, _ := apiCall(http.DefaultClient, "POST", s.url+"/ingest/api/v1/source", s.token,
			map[string]any{"name": "bad cron", "type": "cron", "config": config}, nil); code != 422 {
			t.Fatalf("a cron config %v: %d, want 422", config, code)
		}
	}
}

// TestIngestSlackURLVerification: a slack source answers Slack's
// url_verification, once verified, with its challenge (200), records it,
// and forwards nothing; unverified, it is refused like any request.
func TestIngestSlackURLVerification(t *testing.T) {
	s := startServer(t)
	recv := newHookReceiver(t, func(int) int { return 204 })
	id, url := ingestSource(t, s, "slack", map[string]any{"secret": "slack-s3cret"}, recv.URL)
	body := []byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	send := func(h http.Header) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest("POST", url, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = h
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, _ := send(http.Header{"Content-Type": {"application/json"}}); code != 401 {
		t.Fatalf("an unsigned url_verification: %d, want 401", code)
	}
	now := time.Now()
	code, answer := send(http.Header{"X-Slack-Signature": {signature.SignSlack([]byte("slack-s3cret"), now, body)},
		"X-Slack-Request-Timestamp": {fmt.Sprint(now.Unix())}, "Content-Type": {"application/json"}})
	var out struct{ Challenge string }
	if err := json.Unmarshal(answer, &out); err != nil || code != 200 || out.Challenge != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Fatalf("a signed url_verification: %d %s, want 200 with the challenge", code, answer)
	}
	log := ingestLog(t, s, id)
	if len(log) != 2 || log[0]["outcome"] != "challenge" || log[0]["msg_id"] != nil || log[1]["outcome"] != "refused" {
		t.Fatalf("log %v, want the challenge (no message) and the refusal", log)
	}
	m := scrapeMetrics(t, s.url+"/metrics", s.token)
	for _, outcome := range []string{"challenge", "refused"} {
		if got := m.value("hookline_ingest_requests_total", "source_type=slack", "outcome="+outcome); got != 1 {
			t.Fatalf("hookline_ingest_requests_total{outcome=%s}: %v, want 1", outcome, got)
		}
	}
}

// TestIngestSourcePatch changes a source with PATCH through a real serve:
// its name and metadata; its config without the secret, which keeps the
// secret (GET shows the config without it); and its config with a new
// secret, which replaces it. Each time, requests signed with the secret in
// force are accepted and the others refused.
func TestIngestSourcePatch(t *testing.T) {
	s := startServer(t)
	recv := newHookReceiver(t, func(int) int { return 204 })
	id, url := ingestSource(t, s, "github", map[string]any{"secret": "old-secret"}, recv.URL)
	var src struct {
		Name     string
		Metadata map[string]string
		Config   struct{ AllowedNetworks []string }
	}
	patch := func(body map[string]any) {
		t.Helper()
		src.Config.AllowedNetworks = nil
		if code, err := apiCall(http.DefaultClient, "PATCH", s.url+"/ingest/api/v1/source/"+id, s.token, body, &src); err != nil || code != 200 {
			t.Fatalf("PATCH %v: %d %v", body, code, err)
		}
	}
	accepts := func(step, good, bad string) {
		t.Helper()
		if code := githubPush(t, url, good, step+"-good", "main"); code != 204 {
			t.Fatalf("%s: signed with %s: %d, want 204", step, good, code)
		}
		if code := githubPush(t, url, bad, step+"-bad", "main"); code != 401 {
			t.Fatalf("%s: signed with %s: %d, want 401", step, bad, code)
		}
	}

	patch(map[string]any{"name": "acme/app", "metadata": map[string]string{"team": "ci"}})
	if src.Name != "acme/app" || src.Metadata["team"] != "ci" {
		t.Fatalf("after PATCH of name and metadata: %+v", src)
	}
	accepts("name", "old-secret", "other")

	patch(map[string]any{"config": map[string]any{"allowedNetworks": []string{"127.0.0.0/8"}}})
	if len(src.Config.AllowedNetworks) != 1 || src.Name != "acme/app" {
		t.Fatalf("after PATCH of the config: %+v", src)
	}
	accepts("config", "old-secret", "other")

	patch(map[string]any{"config": map[string]any{"secret": "new-secret"}})
	if len(src.Config.AllowedNetworks) != 0 {
		t.Fatalf("a PATCH of the config kept a setting it left out: %+v", src)
	}
	accepts("secret", "new-secret", "old-secret")
}

// TestIngestWindows: the windows of a source are settings. A request
// signed a minute ago, which the default replay window (300 s) accepts, is
// refused by a source whose replayWindowSeconds is 5; a delivery id seen
// before is forwarded again once a source's dedupWindowSeconds (1) has
// passed, while a source with the default window (7 days) still drops it.
func TestIngestWindows(t *testing.T) {
	s := startServer(t)
	var std providerCase
	for _, pc := range providerCases(t) {
		if pc.name == "standard-v1" {
			std = pc
		}
	}
	narrowReplay := map[string]any{"replayWindowSeconds": 5}
	for k, v := range std.config {
		narrowReplay[k] = v
	}
	_, defaultURL := ingestSource(t, s, std.typ, std.config, "")
	_, narrowURL := ingestSource(t, s, std.typ, narrowReplay, "")
	body := std.body("evt_replay")
	minuteAgo := std.sign(t, body, time.Now().Add(-time.Minute))
	if code := post(t, defaultURL, minuteAgo, body); code != 204 {
		t.Fatalf("signed a minute ago, default window: %d, want 204", code)
	}
	if code := post(t, narrowURL, minuteAgo, body); code != 401 {
		t.Fatalf("signed a minute ago, replayWindowSeconds 5: %d, want 401", code)
	}
	if code := post(t, narrowURL, std.sign(t, body, time.Now()), body); code != 204 {
		t.Fatalf("signed now, replayWindowSeconds 5: %d, want 204", code)
	}

	shortRecv := newHookReceiver(t, func(int) int { return 204 })
	short, shortURL := ingestSource(t, s, "generic-webhook", map[string]any{"dedupHeader": "X-Id", "dedupWindowSeconds": 1}, shortRecv.URL)
	long, longURL := ingestSource(t, s, "generic-webhook", map[string]any{"dedupHeader": "X-Id"}, "")
	h := http.Header{"X-Id": {"d-1"}, "Content-Type": {"application/json"}}
	for _, url := range []string{shortURL, longURL} {
		if code := post(t, url, h, []byte(`{}`)); code != 204 {
			t.Fatalf("first delivery: %d", code)
		}
	}
	waitAcceptedAgain(t, s, short, shortURL, h, "after 1 s")
	// That much later, the default window still drops it.
	if code := post(t, longURL, h, []byte(`{}`)); code != 204 {
		t.Fatalf("a retry: %d", code)
	}
	if log := ingestLog(t, s, long); len(log) != 2 || log[0]["outcome"] != "duplicate" || log[1]["outcome"] != "accepted" {
		t.Fatalf("default window: log %v, want the first accepted and the retry a duplicate", log)
	}
	wait.For(t, "the second delivery after the window", func() bool { return shortRecv.count() >= 2 })
}

// TestIngestRetentionCapsDedupWindow: under a --retention shorter than
// 7 days, serve warns at start; a source may not ask for a
// dedupWindowSeconds longer than the retention (422 naming it); and the
// default window is the retention, so a delivery id is accepted again once
// it has passed (not when the retention sweep happens to run).
func TestIngestRetentionCapsDedupWindow(t *testing.T) {
	o := startObserved(t, nil, "--retention", "1s")
	s := o.server
	if !strings.Contains(o.logs.String(), `level=WARN msg="retention: --retention is shorter than the inbound gateway's default de-duplication window`) {
		t.Errorf("no warning of the short retention in\n%s", o.logs)
	}
	out := s.want(t, 422, "POST", "/ingest/api/v1/source", map[string]any{"name": "long", "type": "generic-webhook",
		"config": map[string]any{"dedupHeader": "X-Id", "dedupWindowSeconds": 2}})
	if !strings.Contains(out, "dedupWindowSeconds") || !strings.Contains(out, "--retention (1s)") {
		t.Errorf("a window over the retention: %s", out)
	}
	id, _ := ingestSource(t, s, "generic-webhook", map[string]any{"dedupHeader": "X-Id", "dedupWindowSeconds": 1}, "")
	s.want(t, 422, "PATCH", "/ingest/api/v1/source/"+id, map[string]any{"config": map[string]any{"dedupHeader": "X-Id", "dedupWindowSeconds": 3600}})

	def, defURL := ingestSource(t, s, "generic-webhook", map[string]any{"dedupHeader": "X-Id"}, "")
	h := http.Header{"X-Id": {"d-1"}, "Content-Type": {"application/json"}}
	if code := post(t, defURL, h, []byte(`{}`)); code != 204 {
		t.Fatalf("first delivery: %d", code)
	}
	waitAcceptedAgain(t, s, def, defURL, h, "after the 1 s retention, by the default window")
}

// waitAcceptedAgain posts h and an empty JSON body to the source srcID at
// url until the source's log says the post was accepted rather than a
// duplicate: once the de-duplication window has passed.
func waitAcceptedAgain(t *testing.T, s *server, srcID, url string, h http.Header, when string) {
	t.Helper()
	wait.For(t, "the delivery id to be accepted again "+when, func() bool {
		if code := post(t, url, h, []byte(`{}`)); code != 204 {
			t.Fatalf("a retry: %d", code)
		}
		return ingestLog(t, s, srcID)[0]["outcome"] == "accepted" // this retry, the newest entry
	})
}

// TestIngestEndpointEngine: an ingest endpoint is delivered by the engine
// of every endpoint. Its deliveries to a cloud metadata address are
// refused by the network policy (the attempts say so) until they fail for
// good; pointed at a working receiver, the source's recover route sends
// them again. Its throttleRate holds its deliveries back: of four
// requests, a throttled endpoint (1/s) gets its third and fourth after an
// unthrottled one of the same source got all four.
func TestIngestEndpointEngine(t *testing.T) {
	s := startServer(t)
	recv := newHookReceiver(t, func(int) int { return 204 })
	id, url := ingestSource(t, s, "github", map[string]any{"secret": "s"}, "http://169.254.169.254/latest/meta-data")
	ep := onlyIngestEndpoint(t, s, id)
	if code := githubPush(t, url, "s", "d-1", "refs/heads/main"); code != 204 {
		t.Fatalf("push: %d", code)
	}
	msg := ingestLog(t, s, id)[0]["msg_id"].(string)
	src := "/ingest/api/v1/source/" + id
	var dests struct{ Data []struct{ Status int } }
	wait.For(t, "the delivery to fail for good", func() bool {
		json.Unmarshal([]byte(s.want(t, 200, "GET", src+"/msg/"+msg+"/endpoint", nil)), &dests)
		return len(dests.Data) == 1 && dests.Data[0].Status == 2 // fail
	})
	var attempts struct{ Data []struct{ Response string } }
	json.Unmarshal([]byte(s.want(t, 200, "GET", src+"/attempt/endpoint/"+ep, nil)), &attempts)
	if len(attempts.Data) != 3 {
		t.Fatalf("%d attempts, want 3 (the retry schedule)", len(attempts.Data))
	}
	for _, a := range attempts.Data {
		if !strings.Contains(a.Response, "the endpoint's host is a link-local or cloud metadata address") {
			t.Fatalf("an attempt's response: %q, want the network policy's refusal", a.Response)
		}
	}
	s.want(t, 200, "PUT", src+"/endpoint/"+ep, map[string]any{"url": recv.URL})
	s.want(t, 202, "POST", src+"/endpoint/"+ep+"/recover", map[string]any{"since": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)})
	wait.For(t, "the recovered delivery", func() bool { return recv.count() == 1 })
	if got := string(recv.bodies[0]); !strings.Contains(got, `"refs/heads/main"`) {
		t.Fatalf("the receiver got %s", got)
	}

	fast := newHookReceiver(t, func(int) int { return 204 })
	var mu sync.Mutex
	var fastSeen []int // fast.count() at each arrival at the throttled endpoint
	slow := newHookReceiver(t, func(int) int {
		mu.Lock()
		defer mu.Unlock()
		fastSeen = append(fastSeen, fast.count())
		return 204
	})
	id, url = ingestSource(t, s, "github", map[string]any{"secret": "s"}, fast.URL)
	s.want(t, 201, "POST", "/ingest/api/v1/source/"+id+"/endpoint", map[string]any{"url": slow.URL, "throttleRate": 1})
	const n = 4
	for i := range n {
		if code := githubPush(t, url, "s", fmt.Sprint("t-", i), fmt.Sprint("refs/heads/b", i)); code != 204 {
			t.Fatalf("push %d: %d", i, code)
		}
	}
	wait.For(t, "every delivery", func() bool { return fast.count() == n && slow.count() == n })
	mu.Lock()
	defer mu.Unlock()
	// A second's burst (one request), then one a second: the third
	// arrives two seconds after the first at the earliest, long after the
	// unthrottled endpoint had them all; unthrottled, the two keep pace.
	if fastSeen[2] != n || fastSeen[3] != n {
		t.Fatalf("the unthrottled endpoint had %v when the throttled one got each request, want all %d by its third", fastSeen, n)
	}
}
