package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline/internal/browsertest"
	"github.com/hookline/hookline/internal/wait"
)

// controlsJS lists the interactive controls of the page that have no
// accessible name: none from aria-labelledby, aria-label, a label, or (for
// buttons, links and summaries) their text. It returns how many controls it
// looked at, and the unnamed ones.
const controlsJS = `(() => {
	const text = (e) => (e ? e.textContent : "").trim();
	const name = (e) => {
		const by = e.getAttribute("aria-labelledby");
		if (by) return by.split(/\s+/).map((id) => text(document.getElementById(id))).join(" ").trim();
		const label = (e.getAttribute("aria-label") || "").trim();
		if (label) return label;
		if (e.labels && e.labels.length) return [...e.labels].map(text).join(" ").trim();
		return ["INPUT", "SELECT", "TEXTAREA"].includes(e.tagName) ? "" : text(e);
	};
	const controls = [...document.querySelectorAll("button, input, select, textarea, a[href], summary")].filter((e) => e.type !== "hidden");
	return {n: controls.length, unnamed: controls.filter((e) => !name(e)).map((e) => e.outerHTML.slice(0, 160))};
})()`

// checkNames fails t when a control of the view shown has no accessible
// name.
func (p *page) checkNames(view string) {
	p.t.Helper()
	got := eval[struct {
		N       int      `json:"n"`
		Unnamed []string `json:"unnamed"`
	}](p, controlsJS)
	if got.N == 0 || len(got.Unnamed) != 0 {
		p.t.Errorf("%s: %d controls, without a name: %q", view, got.N, got.Unnamed)
	}
}

// focused describes the element that has the focus: #id, or its tag and
// its label, text or value.
const focusedJS = `(() => {
	const e = document.activeElement;
	if (!e || e === document.body) return "body";
	return e.id ? "#" + e.id : e.tagName.toLowerCase() + " " + (e.getAttribute("aria-label") || e.textContent.trim() || e.value);
})()`

// pressTab presses Tab and returns what has the focus then.
func (p *page) pressTab() string {
	p.t.Helper()
	p.do(chromedp.KeyEvent(kb.Tab))
	return eval[string](p, focusedJS)
}

// tabTo presses Tab until an element sel matches has the focus, and fails
// t when the focus leaves the page first (it went past the last control).
func (p *page) tabTo(sel string) {
	p.t.Helper()
	var walk []string
	for range 80 {
		walk = append(walk, p.pressTab())
		if walk[len(walk)-1] == "body" {
			break
		}
		if eval[bool](p, `document.activeElement.matches(`+jsString(sel)+`)`) {
			return
		}
	}
	p.t.Fatalf("Tab did not reach %s after the previous stop: %q", sel, walk)
}

// press presses keys on the element that has the focus.
func (p *page) press(keys string) {
	p.t.Helper()
	p.do(chromedp.KeyEvent(keys))
}

// TestAccessibilityInBrowser: on every view of the App Portal and the
// dashboard each control has an accessible name, and the keyboard alone
// reaches the main actions, in order, and uses them: create an endpoint,
// send an example, resend, sign in, recover, find an application.
func TestAccessibilityInBrowser(t *testing.T) {
	b := browsertest.New(t)
	s := startServer(t)
	c := s.client(t)
	ctx := t.Context()
	rcv := newPageReceiver(t)
	rcv.failing.Store(true)
	seedCatalog(t, c)
	seedOperational(t, c)
	ep, msg := acmeWithMessage(t, c, rcv.URL+"/acme")
	if err := c.Endpoint.PatchHeaders(ctx, "acme", ep.Id, models.EndpointHeadersPatchIn{Headers: map[string]string{"X-Tenant": "acme"}}); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the delivery to fail for good", func() bool { return deliveryStatus(t, c, "acme", msg.Id) == models.MESSAGESTATUS_FAIL })
	rcv.failing.Store(false)

	// The dashboard: sign in with the keyboard (the token's field has the
	// focus), then every view's controls are named.
	d := newPage(t, b)
	d.open(s.url+"/dashboard", "#admin-token")
	d.checkNames("the dashboard's sign-in")
	if got := eval[string](d, focusedJS); got != "#admin-token" {
		t.Fatalf("the sign-in page's focus is on %q", got)
	}
	d.press(s.token)
	d.press(kb.Enter)
	d.do(waitFor("#refresh"))
	d.shown()
	d.checkNames("the dashboard's overview")

	// The overview: Refresh, then the failing endpoint's Recover; Enter
	// recovers it.
	d.tabTo("#refresh")
	d.tabTo("#failing .recover")
	d.press(kb.Enter)
	wait.For(t, "the recover from the keyboard", func() bool { return deliveryStatus(t, c, "acme", msg.Id) == models.MESSAGESTATUS_SUCCESS })

	// Find an application with the keyboard, open it and a message's
	// attempts.
	d.goTo("#/apps", "#apps")
	d.checkNames("the dashboard's #/apps")
	d.tabTo("#app-search")
	d.press("ACM")
	d.press(kb.Enter)
	wait.For(t, "the search's answer", func() bool { return strings.Contains(eval[string](d, `location.hash`), "search=ACM") })
	d.shown()
	d.checkNames("the dashboard's search")
	d.tabTo(`#apps a[href^="#/apps/"]`)
	d.press(kb.Enter)
	d.do(waitFor("#app-endpoints"))
	d.shown()
	d.tabTo(".open-portal")
	d.tabTo("#app-messages summary")
	d.press(kb.Enter)
	d.do(waitFor("#app-messages details[open] .attempts table"))
	d.checkNames("the dashboard's application")
	for _, view := range []struct{ hash, sel string }{{"#/event-types", "#event-types"}, {"#/operational", "#operational"}} {
		d.goTo(view.hash, view.sel)
		d.checkNames("the dashboard's " + view.hash)
	}
	d.checkNoScript()

	// The portal: every view's controls are named.
	p := newPage(t, b)
	p.open(portalLink(t, c, "acme", false), "#add-endpoint")
	for _, view := range []struct{ hash, sel string }{
		{"#/endpoints/" + ep.Id, "#headers"}, {"#/endpoints/" + ep.Id + "/edit", "#ep-url"}, {"#/catalog", ".event-type"},
		{"#/logs", "#log"}, {"#/logs?endpoint=" + ep.Id, "#log .resend"}, {"#/messages/" + msg.Id, "#attempts .attempt"},
		{"#/endpoints", "#endpoints"},
	} {
		p.goTo(view.hash, view.sel)
		p.checkNames("the portal's " + view.hash)
	}
	p.goTo("#/endpoints/new", "#ep-url")
	p.checkNames("the portal's #/endpoints/new")

	// Create an endpoint with the keyboard: from the view's heading, each
	// Tab reaches the next field, in order.
	p.goTo("#/endpoints", "#endpoints")
	if got := p.pressTab(); got != "#add-endpoint" {
		t.Fatalf("the first Tab of the endpoints' list reaches %q", got)
	}
	p.press(kb.Enter)
	p.do(waitFor("#ep-url"))
	p.shown()
	for _, step := range []struct{ focus, keys string }{
		{"#ep-url", rcv.URL + "/keyboard"}, {"#ep-description", "Typed"}, {"input invoice.paid", " "}, {"input invoice.voided", ""},
		{"#ep-channels", ""}, {"#ep-rate", ""}, {"#save-endpoint", kb.Enter},
	} {
		if got := p.pressTab(); got != step.focus {
			t.Fatalf("Tab reached %q, want %q", got, step.focus)
		}
		if step.keys != "" {
			p.press(step.keys)
		}
	}
	wait.For(t, "the new endpoint's page", func() bool { return p.count("#endpoint-url") == 1 })
	p.shown()
	eps, err := c.Endpoint.List(ctx, "acme", nil)
	if err != nil || !slices.ContainsFunc(eps.Data, func(e models.EndpointOut) bool {
		return e.Url == rcv.URL+"/keyboard" && e.Description == "Typed" && slices.Equal(e.FilterTypes, []string{"invoice.paid"})
	}) {
		t.Fatalf("the endpoints after the keyboard made one: %+v, %v", eps, err)
	}

	// Its page: the actions in order; the keyboard sends an example.
	for _, sel := range []string{"#edit-endpoint", "#toggle-endpoint", "#delete-endpoint", "#reveal-secret", "#rotate-secret",
		"#header-name", "#add-header", "#example-type", "#send-example"} {
		p.tabTo(sel)
	}
	n := rcv.count()
	p.press(kb.Enter)
	wait.For(t, "the example sent from the keyboard", func() bool { return rcv.count() == n+1 })
	p.do(waitFor(`.notice a[href^="#/messages/"]`))
	for _, sel := range []string{"#recover", "#endpoint-log"} {
		p.tabTo(sel)
	}

	// A message's page: Tab reaches Resend, Enter resends.
	p.goTo("#/messages/"+msg.Id, "#attempts .attempt")
	p.tabTo("#refresh")
	p.tabTo("#destinations .resend")
	n = rcv.count()
	p.press(kb.Enter)
	wait.For(t, "the resend from the keyboard", func() bool { return rcv.count() == n+1 })
	p.checkNoScript()
}
