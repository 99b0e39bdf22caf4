package main

import (
	"context"
	"flag"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	svix "github.com/svix/svix-webhooks/go"
	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline/internal/browsertest"
	"github.com/hookline/hookline/internal/wait"
)

// The tests of this file drive the App Portal and the dashboard in a real
// headless Chromium, against a real serve and real receivers. With
// -screenshots DIR they save the screenshots docs/portal.md shows:
//
//	go test ./cmd/hookline -run 'Portal|Dashboard' -screenshots ../../docs/portal

var screenshots = flag.String("screenshots", "", "save the browser tests' screenshots in this directory")

// xss is a value a tenant or a receiver could send, which the pages must
// show as text: as HTML, it would run script and set window.pwned.
const xss = `<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>`

// pageReceiver records the bodies POSTed to it and answers 200 with xss,
// or 500 with it while failing is set.
type pageReceiver struct {
	*httptest.Server
	failing atomic.Bool
	mu      sync.Mutex
	bodies  []string
}

func newPageReceiver(t *testing.T) *pageReceiver {
	r := &pageReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, string(b))
		r.mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		if r.failing.Load() {
			w.WriteHeader(http.StatusInternalServerError)
		}
		io.WriteString(w, "received "+xss)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *pageReceiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

// last returns the last body the receiver got.
func (r *pageReceiver) last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bodies[len(r.bodies)-1]
}

// portalLink asks for an app-portal link through the official Go SDK, as
// an operator's backend does.
func portalLink(t *testing.T, c *svix.Svix, app string, readOnly bool) string {
	t.Helper()
	in := models.AppPortalAccessIn{}
	if readOnly {
		in.ReadOnly = ptr(true)
	}
	return portalLinkFor(t, c, app, in)
}

// portalLinkFor is portalLink for the access in asks for: capabilities,
// a session.
func portalLinkFor(t *testing.T, c *svix.Svix, app string, in models.AppPortalAccessIn) string {
	t.Helper()
	out, err := c.Authentication.AppPortalAccess(t.Context(), app, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.Url, "/app-portal#token=") {
		t.Fatalf("the link is %q", out.Url)
	}
	return out.Url
}

// seedCatalog creates the event types the portal offers.
func seedCatalog(t *testing.T, c *svix.Svix) {
	t.Helper()
	schemas := map[string]any{"1": map[string]any{
		"type": "object", "properties": map[string]any{"invoice": map[string]any{"type": "string"}},
		"examples": []any{map[string]any{"invoice": "in_example", "amount": 4200}},
	}}
	for _, et := range []models.EventTypeIn{
		{Name: "invoice.paid", Description: "An invoice was paid.", Schemas: &schemas},
		{Name: "invoice.voided", Description: "An invoice was voided " + xss},
	} {
		if _, err := c.EventType.Create(t.Context(), et, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// seedOperational creates an operational webhook endpoint, for the
// dashboard to show.
func seedOperational(t *testing.T, c *svix.Svix) *models.OperationalWebhookEndpointOut {
	t.Helper()
	ops, err := c.OperationalWebhookEndpoint.Create(t.Context(), models.OperationalWebhookEndpointIn{
		Url: "https://ops.example.com/hookline", FilterTypes: []string{"endpoint.deleted"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ops
}

// page drives one tab of the browser.
type page struct {
	t   *testing.T
	b   *browsertest.Browser
	tab context.Context
}

func newPage(t *testing.T, b *browsertest.Browser) *page { return &page{t: t, b: b, tab: b.Tab()} }

// do runs steps in the tab.
func (p *page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	browsertest.Do(p.t, p.tab, steps...)
}

// open loads url, and waits for an element sel matches.
func (p *page) open(url, sel string) {
	p.t.Helper()
	p.do(chromedp.Navigate(url), waitFor(sel))
}

// goTo shows another view of the page (hash is its fragment, #/logs) and
// waits for an element sel matches.
func (p *page) goTo(hash, sel string) {
	p.t.Helper()
	p.do(chromedp.Evaluate[chromedp.Void](`location.hash = ` + jsString(hash)))
	p.shown()
	p.do(waitFor(sel))
}

// shown waits until the page shows the view its fragment names.
func (p *page) shown() {
	p.t.Helper()
	wait.For(p.t, "the view of "+eval[string](p, `location.hash`), func() bool {
		return eval[bool](p, `document.querySelector("#view")?.dataset.shown === location.hash`)
	})
}

// acmeWithMessage creates the application acme with an endpoint to url,
// and sends it a message.
func acmeWithMessage(t *testing.T, c *svix.Svix, url string) (*models.EndpointOut, *models.MessageOut) {
	t.Helper()
	ctx := t.Context()
	if _, err := c.Application.Create(ctx, models.ApplicationIn{Name: "Acme Inc.", Uid: ptr("acme")}, nil); err != nil {
		t.Fatal(err)
	}
	ep, err := c.Endpoint.Create(ctx, "acme", models.EndpointIn{Url: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := c.Message.Create(ctx, "acme", models.MessageIn{EventType: "invoice.paid", Payload: map[string]any{"n": 1}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ep, msg
}

// text returns the text of the first element sel matches, once visible.
func (p *page) text(sel string) string {
	p.t.Helper()
	p.do(waitFor(sel))
	return browsertest.Get(p.t, p.tab, chromedp.TextContent(chromedp.CSS(sel)))
}

// count returns how many elements sel matches.
func (p *page) count(sel string) int {
	p.t.Helper()
	return browsertest.Get(p.t, p.tab, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
}

// eval returns the value of a JavaScript expression (a promise's, awaited).
func eval[T any](p *page, js string) T {
	p.t.Helper()
	return browsertest.Get(p.t, p.tab, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

func (p *page) shot(name string) {
	p.t.Helper()
	p.do(browsertest.Screenshot(*screenshots, name))
}

// waitFor waits for an element sel matches to be visible.
func waitFor(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}

func click(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }

func typeIn(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(chromedp.CSS(sel), text)
}

// retype replaces the value of the input sel matches by typing text.
func retype(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Evaluate[chromedp.Void](`document.querySelector(`+jsString(sel)+`).value = ""`), typeIn(sel, text))
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// filterLog applies filters (endpoint, status, type, after, before: the
// fields #log-endpoint…) through the portal log's form, and returns the
// ids of the messages it lists.
func (p *page) filterLog(filters map[string]string) []string {
	p.t.Helper()
	p.goTo("#/logs", "#apply-filters")
	for k, v := range filters {
		p.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("#log-` + k + `").value = ` + jsString(v)))
	}
	p.do(click("#apply-filters"))
	p.shown()
	hash := eval[string](p, `location.hash`)
	for k := range filters {
		if !strings.Contains(hash, k+"=") {
			p.t.Fatalf("the filters %v made %s", filters, hash)
		}
	}
	return p.logIDs()
}

// logIDs returns the ids of the messages the portal's log lists.
func (p *page) logIDs() []string {
	p.t.Helper()
	return eval[[]string](p, `[...document.querySelectorAll("#log tbody a[href^='#/messages/']")].map((a) => a.textContent)`)
}

// deliveryStatus returns the state of a message's one delivery.
func deliveryStatus(t *testing.T, c *svix.Svix, app, msgID string) models.MessageStatus {
	t.Helper()
	d, err := c.MessageAttempt.ListAttemptedDestinations(t.Context(), app, msgID, nil)
	if err != nil || len(d.Data) != 1 {
		t.Fatalf("the destinations of %s: %+v, %v", msgID, d, err)
	}
	return d.Data[0].Status
}

// checkNoScript fails t when a page ran a value as HTML, or broke its
// Content-Security-Policy or Trusted Types, or threw.
func (p *page) checkNoScript() {
	p.t.Helper()
	if eval[bool](p, `window.pwned !== undefined`) {
		p.t.Fatal("a value a tenant or receiver sent ran as script")
	}
	for _, e := range p.b.Errors() {
		if strings.Contains(e, "Content Security Policy") || strings.Contains(e, "Trusted") || strings.HasPrefix(e, "exception") {
			p.t.Errorf("the page broke its policy or threw: %s", e)
		}
	}
}

func TestPortalInBrowser(t *testing.T) {
	start := time.Now()
	b := browsertest.New(t)
	s := startServer(t)
	c := s.client(t)
	ctx := t.Context()
	rcv := newPageReceiver(t)
	seedCatalog(t, c)
	for _, app := range []models.ApplicationIn{{Name: "Acme Inc.", Uid: ptr("acme")}, {Name: "Globex", Uid: ptr("globex")}} {
		if _, err := c.Application.Create(ctx, app, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Application B's data, which A's portal must never show.
	other, err := c.Endpoint.Create(ctx, "globex", models.EndpointIn{Url: rcv.URL + "/globex-only"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	otherMsg, err := c.Message.Create(ctx, "globex", models.MessageIn{EventType: "invoice.paid", Payload: map[string]any{"secret": "globex"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wait.For(t, "globex's delivery", func() bool { return rcv.count() == 1 })

	// The link, made by the official SDK, lands on the portal, which
	// keeps the token and takes it out of the address bar.
	p := newPage(t, b)
	p.open(portalLink(t, c, "acme", false), "#add-endpoint")
	if where := browsertest.Get(t, p.tab, chromedp.Location()); strings.Contains(where, "token") {
		t.Errorf("the address bar still holds the token: %s", where)
	}

	// Create an endpoint in the page.
	p.do(click("#add-endpoint"), waitFor("#ep-url"), typeIn("#ep-url", rcv.URL+"/acme"), typeIn("#ep-description", "Billing"),
		click(`input[value="invoice.paid"]`))
	p.shot("portal-new-endpoint.png")
	p.do(click("#save-endpoint"))
	if url := p.text("#endpoint-url"); url != rcv.URL+"/acme" {
		t.Fatalf("the endpoint page shows %q", url)
	}
	eps, err := c.Endpoint.List(ctx, "acme", nil)
	if err != nil || len(eps.Data) != 1 || eps.Data[0].Url != rcv.URL+"/acme" || len(eps.Data[0].FilterTypes) != 1 {
		t.Fatalf("the endpoint the page made: %+v, %v", eps, err)
	}
	ep := eps.Data[0]

	// A message sent through the API, with a payload that is HTML.
	msg, err := c.Message.Create(ctx, "acme", models.MessageIn{EventType: "invoice.paid", Payload: map[string]any{"note": xss}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the delivery", func() bool { return rcv.count() == 2 })

	// The log shows it; its page shows the attempt, the payload and the
	// response as text.
	p.goTo("#/logs", "#log")
	p.shot("portal-log.png")
	p.do(click(`#log a[href="#/messages/`+msg.Id+`"]`), waitFor("#attempts .attempt"))
	p.shot("portal-message.png")
	if payload, response := p.text("#payload"), p.text("#attempts .response"); !strings.Contains(payload, `"<img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script>"`) ||
		!strings.Contains(response, "received "+xss) || p.count("img, script:not([src])") != 0 {
		t.Errorf("payload %q, response %q, %d img or inline script elements", payload, response, p.count("img, script:not([src])"))
	}
	// The attempt: the receiver's status, the duration, the request body
	// (in a closed <details>, so read without waiting for it to show).
	status, timing := p.text("#attempts .status-code"), p.text("#attempts .attempt .row .muted")
	request := eval[string](p, `document.querySelector("#attempts .request").textContent`)
	if status != "HTTP 200" || !regexp.MustCompile(` · \d+ ms · scheduled$`).MatchString(timing) || request != p.text("#payload") {
		t.Errorf("the attempt shows %q, %q, request %q", status, timing, request)
	}

	// The endpoint's log, filtered by status through the form.
	for status, want := range map[string]int{"success": 1, "fail": 0} {
		if got := p.filterLog(map[string]string{"endpoint": ep.Id, "status": status}); len(got) != want {
			t.Errorf("the endpoint's log with status %s: %q, want %d rows", status, got, want)
		}
	}
	p.goTo("#/messages/"+msg.Id, "#attempts .attempt")

	// Resend: the receiver gets it again, and the page shows the attempt.
	p.do(click("#destinations .resend"), waitFor(".notice"))
	wait.For(t, "the resent delivery", func() bool { return rcv.count() == 3 })
	wait.For(t, "the second attempt on the page", func() bool {
		p.do(click("#refresh"), waitFor("#attempts"))
		return p.count("#attempts .attempt") == 2
	})

	// Rotate the secret: the page shows the new one, as the API does.
	p.goTo("#/endpoints/"+ep.Id, "#reveal-secret")
	p.do(click("#reveal-secret"))
	before := p.text("#secret-value")
	p.do(click("#rotate-secret"), waitFor("#rotated"), click("#reveal-secret"))
	after := p.text("#secret-value")
	p.shot("portal-endpoint.png")
	got, err := c.Endpoint.GetSecret(ctx, "acme", ep.Id)
	if err != nil || before == after || !strings.HasPrefix(after, "whsec_") || got.Key != after {
		t.Errorf("secret before %q, after %q, the API's %+v (%v)", before, after, got, err)
	}

	// Custom headers: set one, then remove it.
	p.do(typeIn("#header-name", "X-Tenant"), typeIn("#header-value", "acme-1"), click("#add-header"), waitFor("#headers"))
	if h, err := c.Endpoint.GetHeaders(ctx, "acme", ep.Id); err != nil || h.Headers["X-Tenant"] != "acme-1" || !strings.Contains(p.text("#headers"), "acme-1") {
		t.Errorf("the headers the page set: %+v, %v; the page shows %q", h, err, p.text("#headers"))
	}
	p.do(click(`#headers button[aria-label="Remove X-Tenant"]`))
	wait.For(t, "the header to be gone from the page", func() bool { return p.count("#headers") == 0 })
	if h, err := c.Endpoint.GetHeaders(ctx, "acme", ep.Id); err != nil || len(h.Headers) != 0 {
		t.Errorf("the headers once removed: %+v, %v", h, err)
	}

	// Send an example: the receiver gets the event type's example payload.
	p.do(chromedp.SetValue(chromedp.CSS("#example-type"), "invoice.paid"), click("#send-example"), waitFor(`.notice a[href^="#/messages/"]`))
	wait.For(t, "the example", func() bool { return rcv.count() == 4 })
	example, err := c.Message.Get(ctx, "acme", p.text(`.notice a[href^="#/messages/"]`), nil)
	if err != nil || example.EventType != "invoice.paid" || !strings.Contains(rcv.last(), `"invoice":"in_example"`) {
		t.Errorf("the example: %+v, %v; the receiver got %s", example, err, rcv.last())
	}

	// A delivery that fails for good shows in the chart; recover since a
	// time sends it again.
	rcv.failing.Store(true)
	failed, err := c.Message.Create(ctx, "acme", models.MessageIn{EventType: "invoice.paid", Payload: map[string]any{"n": "failed"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the delivery to fail for good", func() bool { return deliveryStatus(t, c, "acme", failed.Id) == models.MESSAGESTATUS_FAIL })
	rcv.failing.Store(false)
	chart := func() string {
		p.goTo("#/endpoints", "#endpoints")
		p.goTo("#/endpoints/"+ep.Id, "#chart svg")
		return eval[string](p, `document.querySelector("#chart svg").getAttribute("aria-label")`)
	}
	if got := chart(); got != "by day: 2 succeeded, 1 failed" {
		t.Errorf("the chart before the recover: %q", got)
	}
	p.do(chromedp.SetValue(chromedp.CSS("#recover-since"), start.Add(-time.Minute).Format("2006-01-02T15:04")), click("#recover"), waitFor(".notice"))
	wait.For(t, "the recovered delivery", func() bool { return deliveryStatus(t, c, "acme", failed.Id) == models.MESSAGESTATUS_SUCCESS })
	if n := rcv.count(); n != 8 {
		t.Errorf("the receiver got %d requests, want 8 (globex's, 2 of msg, the example, 3 failed, 1 recovered)", n)
	}
	if got := chart(); got != "by day: 3 succeeded, 0 failed" {
		t.Errorf("the chart after the recover: %q", got)
	}

	// The application's log, filtered by event type and by time.
	voided, err := c.Message.Create(ctx, "acme", models.MessageIn{EventType: "invoice.voided", Payload: map[string]any{"n": "voided"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	paid, err := c.Message.List(ctx, "acme", &svix.MessageListOptions{EventTypes: &[]string{"invoice.paid"}})
	if err != nil || len(paid.Data) != 3 {
		t.Fatalf("acme's invoice.paid messages: %+v, %v", paid, err)
	}
	minuteBefore := start.Add(-time.Minute).Format("2006-01-02T15:04")
	for _, f := range []struct {
		filters map[string]string
		want    []string
	}{
		{map[string]string{"type": "invoice.voided", "after": minuteBefore}, []string{voided.Id}},
		{map[string]string{"type": "invoice.paid"}, messageIDs(paid.Data)},
		{map[string]string{"before": minuteBefore}, nil},
	} {
		if got := p.filterLog(f.filters); !slices.Equal(got, f.want) {
			t.Errorf("the log filtered by %v: %q, want %q", f.filters, got, f.want)
		}
	}

	// "after" alone, a millisecond before voided and so after every other
	// message, leaves out the older ones. The form's inputs take minutes,
	// so the time goes in the log's address, as the form puts it there.
	justBefore := voided.Timestamp.Add(-time.Millisecond).UTC().Format(time.RFC3339Nano)
	p.goTo("#/logs?after="+url.QueryEscape(justBefore), "#log")
	if got := p.logIDs(); !slices.Equal(got, []string{voided.Id}) {
		t.Errorf("the log after %s: %q, want only %s", justBefore, got, voided.Id)
	}

	// The catalog shows descriptions, schemas and examples, as text.
	p.goTo("#/catalog", ".event-type")
	p.shot("portal-catalog.png")
	if catalog := p.text("main"); !strings.Contains(catalog, "in_example") || !strings.Contains(catalog, "voided "+xss) || p.count("img") != 0 {
		t.Errorf("the catalog shows %q", catalog)
	}

	// A link of application A never shows application B's data.
	p.goTo("#/endpoints", "#endpoints")
	if list := p.text("#endpoints"); strings.Contains(list, "globex-only") {
		t.Errorf("A's portal lists B's endpoint: %q", list)
	}
	for _, path := range []string{"#/endpoints/" + other.Id, "#/messages/" + otherMsg.Id} {
		p.goTo("#/endpoints", "#endpoints")
		p.goTo(path, ".alert")
		if shown := p.text("main"); !strings.Contains(shown, "not found") || strings.Contains(shown, "globex") {
			t.Errorf("%s in A's portal shows %q", path, shown)
		}
	}
	all, err := c.Message.List(ctx, "acme", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.filterLog(nil); !slices.Equal(got, messageIDs(all.Data)) || slices.Contains(got, otherMsg.Id) {
		t.Errorf("A's message log lists %q, want A's %q", got, messageIDs(all.Data))
	}

	// Edit the endpoint: URL, description, event types, channels, rate
	// limit.
	p.goTo("#/endpoints/"+ep.Id, "#edit-endpoint")
	p.do(click("#edit-endpoint"), waitFor("#ep-url"))
	p.shown()
	p.do(retype("#ep-url", rcv.URL+"/acme/v2"), retype("#ep-description", "Billing, v2"), click(`input[value="invoice.voided"]`),
		retype("#ep-channels", "eu, us"), retype("#ep-rate", "10"), click("#save-endpoint"))
	wait.For(t, "the endpoint's page", func() bool { return p.count("#endpoint-url") == 1 })
	if url := p.text("#endpoint-url"); url != rcv.URL+"/acme/v2" || !strings.Contains(p.text(`[aria-label="Settings"]`), "10 per second") {
		t.Errorf("the edited endpoint's page: %q, %q", url, p.text(`[aria-label="Settings"]`))
	}
	edited, err := c.Endpoint.Get(ctx, "acme", ep.Id)
	if err != nil || edited.Url != rcv.URL+"/acme/v2" || edited.Description != "Billing, v2" || *edited.ThrottleRate != 10 ||
		!slices.Equal(edited.FilterTypes, []string{"invoice.paid", "invoice.voided"}) || !slices.Equal(edited.Channels, []string{"eu", "us"}) {
		t.Errorf("the endpoint the page edited: %+v, %v", edited, err)
	}

	// Delete it.
	p.do(click("#delete-endpoint"), click("#confirm-delete"))
	wait.For(t, "the endpoint list", func() bool {
		return eval[bool](p, `location.hash === "#/endpoints" && document.querySelector("#view").dataset.shown === location.hash`)
	})
	if _, err := c.Endpoint.Get(ctx, "acme", ep.Id); err == nil || p.count("#endpoints") != 0 {
		t.Errorf("the deleted endpoint: %v; %d lists on the page", err, p.count("#endpoints"))
	}
	p.checkNoScript()
}

// messageIDs returns the ids of msgs.
func messageIDs(msgs []models.MessageOut) []string {
	ids := []string{}
	for _, m := range msgs {
		ids = append(ids, m.Id)
	}
	return ids
}

// TestPortalCapabilitiesInBrowser: a link shows what its token's
// capabilities allow and nothing else: read-only (readOnly: true, or
// ViewBase alone), or a set of capabilities. Whatever the page hides, the
// API refuses to the page's own token.
func TestPortalCapabilitiesInBrowser(t *testing.T) {
	b := browsertest.New(t)
	s := startServer(t)
	c := s.client(t)
	ctx := t.Context()
	rcv := newPageReceiver(t)
	seedCatalog(t, c)
	ep, msg := acmeWithMessage(t, c, rcv.URL+"/acme")
	wait.For(t, "the delivery", func() bool { return rcv.count() == 1 })
	endpoint := s.url + "/api/v1/app/acme/endpoint/" + ep.Id
	caps := func(cs ...models.AppPortalCapability) models.AppPortalAccessIn {
		return models.AppPortalAccessIn{Capabilities: cs}
	}

	// The controls of the endpoints' list, an endpoint's page and a
	// message's page.
	controls := []string{"#add-endpoint", "#edit-endpoint", "#toggle-endpoint", "#delete-endpoint", "#add-header",
		"#reveal-secret", "#rotate-secret", "#send-example", "#recover", ".resend"}
	for _, tc := range []struct {
		name     string
		in       models.AppPortalAccessIn
		readOnly bool
		shows    []string // of controls, in its order
		refused  string   // a call the API refuses the link's token: "METHOD URL"
		act      func(p *page)
	}{
		{name: "readOnly", in: models.AppPortalAccessIn{ReadOnly: ptr(true)}, readOnly: true, refused: "DELETE " + endpoint},
		{name: "ViewBase", in: caps(models.APPPORTALCAPABILITY_VIEW_BASE), readOnly: true, refused: "GET " + endpoint + "/secret"},
		{name: "ViewEndpointSecret", in: caps(models.APPPORTALCAPABILITY_VIEW_ENDPOINT_SECRET), readOnly: true,
			shows: []string{"#reveal-secret"}, refused: "POST " + endpoint + "/secret/rotate",
			act: func(p *page) {
				p.goTo("#/endpoints/"+ep.Id, "#reveal-secret")
				p.do(click("#reveal-secret"))
				if got, err := c.Endpoint.GetSecret(ctx, "acme", ep.Id); err != nil || p.text("#secret-value") != got.Key {
					t.Errorf("the secret revealed: %q, the API's %+v (%v)", p.text("#secret-value"), got, err)
				}
			}},
		// ManageEndpoint grants reading and rotating secrets
		// (hookline.CapManageEndpoint), not sending.
		{name: "ManageEndpoint", in: caps(models.APPPORTALCAPABILITY_MANAGE_ENDPOINT),
			shows:   []string{"#add-endpoint", "#edit-endpoint", "#toggle-endpoint", "#delete-endpoint", "#add-header", "#reveal-secret", "#rotate-secret"},
			refused: "POST " + endpoint + "/send-example"},
		{name: "CreateAttempts", in: caps(models.APPPORTALCAPABILITY_CREATE_ATTEMPTS),
			shows: []string{"#send-example", "#recover", ".resend"}, refused: "PATCH " + endpoint,
			act: func(p *page) {
				p.goTo("#/messages/"+msg.Id, "#destinations .resend")
				n := rcv.count()
				p.do(click("#destinations .resend"), waitFor(".notice"))
				wait.For(t, "the resent delivery", func() bool { return rcv.count() == n+1 })
			}},
	} {
		link := portalLinkFor(t, c, "acme", tc.in)
		p := newPage(t, b)
		p.open(link, "#endpoints")
		seen := map[string]bool{}
		for _, view := range [][2]string{{"#/endpoints/" + ep.Id, "#endpoint-url"}, {"#/messages/" + msg.Id, "#attempts .attempt"}, {"#/endpoints", "#endpoints"}} {
			p.goTo(view[0], view[1])
			for _, sel := range controls {
				seen[sel] = seen[sel] || p.count(sel) > 0
			}
		}
		shown := slices.DeleteFunc(slices.Clone(controls), func(sel string) bool { return !seen[sel] })
		if !slices.Equal(shown, tc.shows) {
			t.Errorf("%s: the page shows %q, want %q", tc.name, shown, tc.shows)
		}
		if readOnly := p.count("#read-only") == 1; readOnly != tc.readOnly {
			t.Errorf("%s: marked read-only: %v", tc.name, readOnly)
		}
		method, url, _ := strings.Cut(tc.refused, " ")
		if status, err := apiCall(http.DefaultClient, method, url, linkToken(link), struct{}{}, nil); status != http.StatusForbidden {
			t.Errorf("%s: %s answered %d (%v)", tc.name, tc.refused, status, err)
		}
		if tc.act != nil {
			tc.act(p)
		}
		p.checkNoScript()
	}
	if _, err := c.Endpoint.Get(ctx, "acme", ep.Id); err != nil {
		t.Errorf("the endpoint is gone: %v", err)
	}
}

// linkToken returns the token of an app-portal link.
func linkToken(link string) string {
	_, token, _ := strings.Cut(link, "#token=")
	return token
}

// TestPortalExpiredLinkInBrowser: a link revoked, or expired by time while
// its page is open, lands on a page that says so; no link, on one that
// says what it needs.
func TestPortalExpiredLinkInBrowser(t *testing.T) {
	b := browsertest.New(t)
	s := startServer(t)
	c := s.client(t)
	ctx := t.Context()
	if _, err := c.Application.Create(ctx, models.ApplicationIn{Name: "Acme Inc.", Uid: ptr("acme")}, nil); err != nil {
		t.Fatal(err)
	}
	link := portalLink(t, c, "acme", false)
	// Revoke the link's token, as its holder logging out does.
	if status, err := apiCall(http.DefaultClient, "POST", s.url+"/api/v1/auth/logout", linkToken(link), nil, nil); status != http.StatusNoContent {
		t.Fatalf("logout: %d %v", status, err)
	}

	p := newPage(t, b)
	p.open(link, ".gate h1")
	p.shot("portal-expired.png")
	if title := p.text(".gate h1"); title != "This link has expired" {
		t.Errorf("a revoked link lands on %q", title)
	}

	// A link whose token expires by time, while its page is open: the
	// operator expires its session's tokens a second from now (the
	// shortest expiry the API allows).
	short := portalLinkFor(t, c, "acme", models.AppPortalAccessIn{SessionId: ptr("short")})
	other := portalLinkFor(t, c, "acme", models.AppPortalAccessIn{SessionId: ptr("other")})
	e := newPage(t, b)
	e.open(short, "#add-endpoint")
	if err := c.Authentication.ExpireAll(ctx, "acme", models.ApplicationTokenExpireIn{Expiry: ptr(int64(1)), SessionIds: []string{"short"}}, nil); err != nil {
		t.Fatal(err)
	}
	whoami := func(link string) int {
		status, _ := get(t, s.url+"/api/v1/auth/whoami", linkToken(link))
		return status
	}
	wait.For(t, "the token to expire", func() bool { return whoami(short) == http.StatusUnauthorized })
	e.do(click(`nav a[href="#/logs"]`), waitFor(".gate h1"))
	if title := e.text(".gate h1"); title != "This link has expired" {
		t.Errorf("a link expired while open shows %q", title)
	}
	if status := whoami(other); status != http.StatusOK {
		t.Errorf("the token of another session answered %d", status)
	}

	// And a page without a link says what it needs.
	q := newPage(t, b)
	q.open(s.url+"/app-portal", ".gate h1")
	if title := q.text(".gate h1"); title != "This page needs a link" {
		t.Errorf("the portal without a link shows %q", title)
	}
	p.checkNoScript()
}

func TestDashboardInBrowser(t *testing.T) {
	b := browsertest.New(t)
	s := startServer(t)
	c := s.client(t)
	ctx := t.Context()
	rcv := newPageReceiver(t)
	rcv.failing.Store(true)
	seedCatalog(t, c)
	ops := seedOperational(t, c)
	if _, err := c.Application.Create(ctx, models.ApplicationIn{Name: "Globex " + xss, Uid: ptr("globex")}, nil); err != nil {
		t.Fatal(err)
	}
	// Globex's endpoint fails too: the overview recovers it, the
	// application's page acme's.
	if _, err := c.Endpoint.Create(ctx, "globex", models.EndpointIn{Url: rcv.URL + "/globex"}, nil); err != nil {
		t.Fatal(err)
	}
	globexMsg, err := c.Message.Create(ctx, "globex", models.MessageIn{EventType: "invoice.paid", Payload: map[string]any{"app": "globex"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ep, msg := acmeWithMessage(t, c, rcv.URL+"/acme")
	acme, err := c.Application.Get(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	status := func(app, msgID string) models.MessageStatus { return deliveryStatus(t, c, app, msgID) }
	// The retry schedule of startServer is 100ms,200ms: three attempts,
	// then a delivery has failed for good.
	wait.For(t, "both deliveries to fail for good", func() bool {
		return status("acme", msg.Id) == models.MESSAGESTATUS_FAIL && status("globex", globexMsg.Id) == models.MESSAGESTATUS_FAIL
	})

	// Without a token, the dashboard asks for one; an application's
	// token is refused.
	p := newPage(t, b)
	access, err := c.Authentication.AppPortalAccess(ctx, "acme", models.AppPortalAccessIn{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.open(s.url+"/dashboard", "#admin-token")
	p.do(typeIn("#admin-token", access.Token), click("#sign-in"), waitFor(".alert"))
	if problem := p.text(".alert"); !strings.Contains(problem, "application's") {
		t.Errorf("an application's token: %q", problem)
	}

	// Log in: the overview shows the attempts of the last hour, a minute
	// a bar, the failing endpoints and the exhausted deliveries.
	p.do(typeIn("#admin-token", s.token), click("#sign-in"), waitFor("#failing"))
	p.shot("dashboard-overview.png")
	for sel, want := range map[string]string{
		"#stat-attempts": "6", "#stat-success": "0", "#stat-fail": "6", "#stat-rate": "100.0 %", "#queue-failed": "2",
	} {
		if got := p.text(sel + " .n"); got != want {
			t.Errorf("%s shows %q, want %q", sel, got, want)
		}
	}
	if chart := eval[string](p, `document.querySelector("svg.chart").getAttribute("aria-label")`); chart != "attempts a minute: 0 succeeded, 6 failed" {
		t.Errorf("the chart says %q", chart)
	}
	// The bars, each a minute, add up to the hour's attempts.
	perMinute := eval[[]int](p, `[...document.querySelectorAll("svg.chart g title")].map((t) => {
		const [, ok, failed] = /: (\d+) succeeded, (\d+) failed$/.exec(t.textContent);
		return [Number(ok), Number(failed)];
	}).reduce((a, b) => [a[0] + b[0], a[1] + b[1]], [0, 0])`)
	if n := p.count("svg.chart g"); n < 60 || !slices.Equal(perMinute, []int{0, 6}) {
		t.Errorf("%d bars, adding up to %v succeeded and failed", n, perMinute)
	}
	if failing := p.text("#failing"); !strings.Contains(failing, rcv.URL+"/acme") || !strings.Contains(failing, rcv.URL+"/globex") {
		t.Errorf("the failing endpoints: %q", failing)
	}
	if exhausted := p.text("#exhausted"); !strings.Contains(exhausted, msg.Id) || !strings.Contains(exhausted, globexMsg.Id) {
		t.Errorf("the exhausted deliveries: %q", exhausted)
	}

	// One click on an exhausted delivery sends it again: the receiver
	// gets it, and it succeeds.
	rcv.failing.Store(false)
	p.do(chromedp.Click(chromedp.Search(`//table[@id="exhausted"]//tr[contains(., "`+globexMsg.Id+`")]//button[contains(@class, "recover")]`)),
		waitFor(".notice"))
	wait.For(t, "globex's recovered delivery", func() bool { return status("globex", globexMsg.Id) == models.MESSAGESTATUS_SUCCESS })
	if n := rcv.count(); n != 7 {
		t.Errorf("the receiver got %d requests, want 3 + 3 failed and globex's recovered", n)
	}
	if status("acme", msg.Id) != models.MESSAGESTATUS_FAIL {
		t.Error("recovering globex's endpoint sent acme's delivery again")
	}
	p.do(click("#refresh"))
	p.shown()
	if failing := p.text("#failing"); strings.Contains(failing, rcv.URL+"/globex") || !strings.Contains(failing, rcv.URL+"/acme") {
		t.Errorf("the failing endpoints once globex's recovered: %q", failing)
	}

	// Find the application by a part of its name and by its exact id.
	for _, search := range []string{"ACM", acme.Id} {
		p.goTo("#/apps", "#app-search")
		p.do(typeIn("#app-search", search), click("#find-apps"))
		p.shown()
		if found := p.text("#apps"); p.count("#apps tbody tr") != 1 || !strings.Contains(found, "Acme Inc.") || !strings.Contains(found, acme.Id) {
			t.Errorf("searching %s finds %q", search, found)
		}
	}
	// Its page: the failing endpoint, and a message's attempts.
	p.do(click("#apps a"), waitFor("#app-endpoints"))
	if health := p.text(`#app-endpoints tr[data-endpoint="` + ep.Id + `"] .health`); !strings.HasPrefix(health, "failing since") {
		t.Errorf("the endpoint's health: %q", health)
	}
	p.do(chromedp.Click(chromedp.Search(`//div[@id="app-messages"]/details[contains(., "`+msg.Id+`")]/summary`)),
		waitFor("#app-messages details[open] .attempts table"))
	if attempts := eval[[]string](p, `[...document.querySelectorAll("#app-messages details[open] .attempts tbody > tr")].map((r) => r.cells[0].textContent + " " + r.cells[1].textContent + " " + r.cells[2].textContent)`); len(attempts) != 3 ||
		slices.ContainsFunc(attempts, func(a string) bool { return a != "fail HTTP 500 "+rcv.URL+"/acme" }) {
		t.Errorf("the message's attempts: %q", attempts)
	}
	p.shot("dashboard-app.png")
	p.do(click(`#app-endpoints tr[data-endpoint="`+ep.Id+`"] .recover`), waitFor(".notice"))
	wait.For(t, "the delivery to succeed", func() bool { return status("acme", msg.Id) == models.MESSAGESTATUS_SUCCESS })
	if n := rcv.count(); n != 8 {
		t.Errorf("the receiver got %d requests, want 8", n)
	}

	// The application's portal opens with a new link.
	p.do(chromedp.Evaluate[chromedp.Void](`window.open = (url) => { window.opened = url; }`), click(".open-portal"))
	wait.For(t, "the portal link", func() bool { return eval[bool](p, `typeof window.opened === "string"`) })
	if opened := eval[string](p, `window.opened`); !strings.HasPrefix(opened, s.url+"/app-portal#token=hk_") {
		t.Errorf("the portal opened at %q", opened)
	}

	// Every application, the tenant's HTML shown as text.
	p.goTo("#/apps", "#apps")
	if list := p.text("#apps"); !strings.Contains(list, "Globex "+xss) || p.count("img") != 0 {
		t.Errorf("the applications: %q", list)
	}
	// The event types and the operational webhook endpoints, as seeded.
	p.goTo("#/event-types", "#event-types")
	types := eval[[]string](p, `[...document.querySelectorAll("#event-types tbody > tr")].map((r) => [...r.cells].slice(0, 3).map((c) => c.textContent).join(" | "))`)
	if want := []string{"invoice.paid | An invoice was paid. | active", "invoice.voided | An invoice was voided " + xss + " | active"}; !slices.Equal(types, want) || p.count("img") != 0 {
		t.Errorf("the event types: %q, want %q", types, want)
	}
	p.goTo("#/operational", "#operational")
	if rows := eval[[]string](p, `[...document.querySelectorAll("#operational tbody > tr")].map((r) => [...r.cells].map((c) => c.textContent).join(" | "))`); len(rows) != 1 ||
		rows[0] != ops.Url+" | endpoint.deleted | enabled" {
		t.Errorf("the operational webhook endpoints: %q", rows)
	}
	p.checkNoScript()
}

// TestPortalThemesInBrowser: the link chooses a dark theme and a colour, in
// its query string or its fragment; the pages fit a phone.
func TestPortalThemesInBrowser(t *testing.T) {
	b := browsertest.New(t)
	s := startServer(t)
	c := s.client(t)
	seedCatalog(t, c)
	if _, err := c.Application.Create(t.Context(), models.ApplicationIn{Name: "Acme Inc.", Uid: ptr("acme")}, nil); err != nil {
		t.Fatal(err)
	}
	billing := models.EndpointIn{Url: "https://example.com/hooks", Description: ptr("Billing"), FilterTypes: []string{"invoice.paid"}}
	if _, err := c.Endpoint.Create(t.Context(), "acme", billing, nil); err != nil {
		t.Fatal(err)
	}
	link := portalLink(t, c, "acme", false)
	base, fragment, _ := strings.Cut(link, "#")

	p := newPage(t, b)
	p.do(browsertest.Phone())
	p.open(base+"?darkMode=true&primaryColor=0f766e#"+fragment, "#endpoints")
	p.shot("portal-dark-phone.png")
	if theme := eval[string](p, `document.documentElement.dataset.theme`); theme != "dark" {
		t.Errorf("theme %q, want dark", theme)
	}
	if colour := eval[string](p, `getComputedStyle(document.documentElement).getPropertyValue("--primary").trim()`); colour != "#0f766e" {
		t.Errorf("primary colour %q", colour)
	}
	// No wider than the phone: the list, an endpoint's page and a
	// message's page, with a long URL, payload and response.
	fitsPhone := func(view string) {
		t.Helper()
		if w := eval[int](p, `document.documentElement.scrollWidth`); w > 390 {
			t.Errorf("%s is %d px wide on a 390 px phone", view, w)
		}
	}
	fitsPhone("the endpoint list")
	rcv := newPageReceiver(t)
	long := strings.Repeat("0123456789", 20)
	ep, err := c.Endpoint.Create(t.Context(), "acme", models.EndpointIn{Url: rcv.URL + "/" + long, FilterTypes: []string{"invoice.voided"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := c.Message.Create(t.Context(), "acme", models.MessageIn{EventType: "invoice.voided", Payload: map[string]any{"note": long}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the delivery", func() bool { return rcv.count() == 1 })
	p.goTo("#/endpoints/"+ep.Id, "#chart svg")
	fitsPhone("an endpoint's page")
	p.goTo("#/messages/"+msg.Id, "#attempts .attempt")
	fitsPhone("a message's page")

	// In the fragment, with a colour that is not one: light, the default.
	q := newPage(t, b)
	q.open(base+"#"+fragment+"&theme=light&primaryColor=red;background:url(x)", "#endpoints")
	if theme := eval[string](q, `document.documentElement.dataset.theme`); theme != "light" {
		t.Errorf("theme %q, want light", theme)
	}
	if colour := eval[string](q, `getComputedStyle(document.documentElement).getPropertyValue("--primary").trim()`); colour != "#4f46e5" {
		t.Errorf("a bad colour was taken: %q", colour)
	}
	p.checkNoScript()
}

// TestPortalInIframeInBrowser: the portal works in an iframe of a site
// --portal-frame-ancestors names, and another site cannot frame it.
func TestPortalInIframeInBrowser(t *testing.T) {
	b := browsertest.New(t)
	var link atomic.Value
	embed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><title>The operator's site</title><h1>Your webhooks</h1>
<iframe id="portal" title="Webhooks" src="%s" width="1000" height="700"></iframe>`, html.EscapeString(link.Load().(string)))
	})
	site := httptest.NewServer(embed)
	t.Cleanup(site.Close)
	stranger := httptest.NewServer(embed)
	t.Cleanup(stranger.Close)
	s := startServer(t, "--portal-frame-ancestors", site.URL)
	c := s.client(t)
	if _, err := c.Application.Create(t.Context(), models.ApplicationIn{Name: "Acme Inc.", Uid: ptr("acme")}, nil); err != nil {
		t.Fatal(err)
	}
	link.Store(portalLink(t, c, "acme", false))

	p := newPage(t, b)
	p.open(site.URL, "iframe")
	frame := browsertest.Get(t, p.tab, chromedp.Nodes(chromedp.CSS("iframe")))
	p.do(chromedp.WaitVisible(chromedp.CSS("#add-endpoint"), chromedp.FromNode(frame[0])))
	p.shot("portal-iframe.png")
	p.checkNoScript()

	// The stranger's page gets no portal: the browser refuses to frame it.
	q := newPage(t, b)
	q.open(stranger.URL, "iframe")
	wait.For(t, "the browser to refuse the frame", func() bool {
		return slices.ContainsFunc(b.Errors(), func(e string) bool { return strings.Contains(e, "frame-ancestors") })
	})
}
