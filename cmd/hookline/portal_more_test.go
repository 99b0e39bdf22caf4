package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline/internal/browsertest"
	"github.com/hookline/hookline/internal/wait"
)

// More browser tests of the App Portal and the dashboard, with the helpers
// of portal_test.go.

// acmePortal starts a browser and a serve with the application acme, and
// returns the browser and acme's portal link, cut at its fragment.
func acmePortal(t *testing.T) (b *browsertest.Browser, base, fragment string) {
	t.Helper()
	b = browsertest.New(t)
	s := startServer(t)
	c := s.client(t)
	if _, err := c.Application.Create(t.Context(), models.ApplicationIn{Name: "Acme Inc.", Uid: ptr("acme")}, nil); err != nil {
		t.Fatal(err)
	}
	base, fragment, _ = strings.Cut(portalLink(t, c, "acme", false), "#")
	return b, base, fragment
}

// TestPortalTokenOnlyFromFragmentInBrowser: a token in the query string
// travelled in the request line, so the portal never takes it: the page
// asks for a link, and takes the token out of the address bar.
func TestPortalTokenOnlyFromFragmentInBrowser(t *testing.T) {
	b, base, fragment := acmePortal(t)

	p := newPage(t, b)
	p.open(base+"?theme=dark&"+fragment, ".gate h1")
	if title := p.text(".gate h1"); title != "This page needs a link" {
		t.Errorf("a token in the query string lands on %q", title)
	}
	if where := browsertest.Get(t, p.tab, chromedp.Location()); strings.Contains(where, "token") || !strings.Contains(where, "?theme=dark") {
		t.Errorf("the address bar is %s", where)
	}
	if kept := eval[bool](p, `sessionStorage.getItem("hookline.portal") !== null`); kept {
		t.Error("the page kept the query string's token")
	}
	p.checkNoScript()
}

// contrastJS is the lowest contrast ratio (WCAG 2) of the text of the
// elements the CSS selectors of the array sels match on the background they
// show on (their own, or the nearest ancestor's that is not transparent),
// or 0 when a selector matches nothing.
const contrastJS = `((sels) => {
	const rgba = (css) => css.match(/[\d.]+/g).map(Number);
	const lum = (css) => {
		const [r, g, b] = rgba(css).slice(0, 3).map((v) => {
			v /= 255;
			return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
		});
		return 0.2126 * r + 0.7152 * g + 0.0722 * b;
	};
	const background = (e) => {
		for (; e; e = e.parentElement) {
			const bg = getComputedStyle(e).backgroundColor;
			if (rgba(bg)[3] !== 0) return bg;
		}
		return "rgb(255, 255, 255)";
	};
	let lowest = Infinity;
	for (const sel of sels) {
		const all = document.querySelectorAll(sel);
		if (!all.length) return 0;
		for (const e of all) {
			const a = lum(getComputedStyle(e).color), b = lum(background(e));
			lowest = Math.min(lowest, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05));
		}
	}
	return lowest;
})`

// contrast fails t when the text sels match contrasts less than 4.5:1
// with its background; what names the page and its colours.
func (p *page) contrast(what string, sels ...string) {
	p.t.Helper()
	list, err := json.Marshal(sels)
	if err != nil {
		p.t.Fatal(err)
	}
	if ratio := eval[float64](p, contrastJS+"("+string(list)+")"); ratio < 4.5 {
		p.t.Errorf("%s: contrast %.2f:1 of %q", what, ratio, sels)
	}
}

// TestPortalContrastInBrowser: in both themes, the text of every coloured
// control, badge, muted text and link contrasts with its background at
// 4.5:1 or more; and whatever primary colour a link chooses, so does the
// text of a primary button and of the current tab.
func TestPortalContrastInBrowser(t *testing.T) {
	b := browsertest.New(t)
	s := startServer(t)
	c := s.client(t)
	rcv := newPageReceiver(t)
	rcv.failing.Store(true)
	ep, msg := acmeWithMessage(t, c, rcv.URL)
	wait.For(t, "the delivery to fail for good", func() bool { return deliveryStatus(t, c, "acme", msg.Id) == models.MESSAGESTATUS_FAIL })
	base, fragment, _ := strings.Cut(portalLink(t, c, "acme", false), "#")

	p := newPage(t, b)
	for _, theme := range []string{"light", "dark"} {
		// Sky, orange and teal are mid-light: white on them is under 3:1.
		for _, colour := range []string{"0ea5e9", "f97316", "14b8a6", "1e1b4b", "4f46e5", "ffd700"} {
			p.open(base+"?theme="+theme+"&primaryColor="+colour+"#"+fragment, "#add-endpoint")
			p.shown()
			p.contrast(theme+" theme, primary colour "+colour, "#add-endpoint", `nav.tabs a[aria-current="page"]`)
		}

		p.open(base+"?theme="+theme+"#"+fragment, "#add-endpoint")
		p.goTo("#/endpoints/"+ep.Id, "#delete-endpoint")
		p.contrast(theme+" theme, the endpoint", "#delete-endpoint", "#edit-endpoint", "#toggle-endpoint", ".badge.success", ".muted", "a:not(.button)")
		p.do(click("#delete-endpoint"), waitFor("#confirm-delete"))
		p.contrast(theme+" theme, deleting the endpoint", "#confirm-delete")
		p.goTo("#/messages/"+msg.Id, "#attempts .attempt")
		p.contrast(theme+" theme, the message", ".badge.fail", ".status-code", ".muted", "a", "button", "pre")
	}
	p.checkNoScript()
}

// signIn opens the dashboard of s, signs in with its admin token, and
// waits for an element sel matches.
func (p *page) signIn(s *server, sel string) {
	p.t.Helper()
	p.open(s.url+"/dashboard", "#admin-token")
	p.do(typeIn("#admin-token", s.token), click("#sign-in"), waitFor(sel))
}

// TestDashboardHeldInBrowser: a receiver that fails opens its endpoint's
// circuit breaker (5 failed attempts in a row), which holds the endpoint's
// deliveries back; the dashboard shows how many, in the overview's failing
// endpoints and in the application's endpoints.
func TestDashboardHeldInBrowser(t *testing.T) {
	b := browsertest.New(t)
	s := startServer(t)
	c := s.client(t)
	rcv := newHookReceiver(t, func(int) int { return http.StatusServiceUnavailable })
	ep, _ := acmeWithMessage(t, c, rcv.URL+"/acme")
	for range 9 {
		if _, err := c.Message.Create(t.Context(), "acme", models.MessageIn{EventType: "invoice.paid", Payload: map[string]any{}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Every delivery that has not failed for good waits for the breaker,
	// which stays open for 30 s.
	var o struct {
		Queue            struct{ Pending, Sending, Held int64 }
		FailingEndpoints []struct {
			ID   string
			Held int64
		}
	}
	wait.For(t, "the breaker to hold every delivery back", func() bool {
		code, err := apiCall(http.DefaultClient, "GET", s.url+"/api/v1/overview", s.token, nil, &o)
		return err == nil && code == 200 && o.Queue.Held > 0 && o.Queue.Pending+o.Queue.Sending == 0
	})
	if len(o.FailingEndpoints) != 1 || o.FailingEndpoints[0].ID != ep.Id || o.FailingEndpoints[0].Held != o.Queue.Held {
		t.Fatalf("the failing endpoints %+v, with %d held", o.FailingEndpoints, o.Queue.Held)
	}
	held := fmt.Sprintf("%d held back by its circuit breaker", o.Queue.Held)

	p := newPage(t, b)
	p.signIn(s, "#failing")
	if state := p.text("#failing .held"); !strings.HasPrefix(state, held) {
		t.Errorf("the failing endpoint's state: %q, want %q", state, held)
	}
	p.goTo("#/apps/"+eval[string](p, `document.querySelector("#failing a").textContent`), "#app-endpoints")
	p.shot("dashboard-held.png")
	if health := p.text(`#app-endpoints tr[data-endpoint="` + ep.Id + `"] .health`); !strings.HasPrefix(health, "failing since") || !strings.Contains(health, held) {
		t.Errorf("the endpoint's health: %q, want %q", health, held)
	}
	p.checkNoScript()
}

// TestDashboardSourcesInBrowser: a GitHub source whose ingest endpoint is
// an action receives a push and a forged request; the dashboard's Sources
// view lists the source and its endpoint, shows both requests (the forged
// one refused, and why), and the push's attempt with the action's output,
// stdout and stderr; what the sender and the command wrote shows as text.
func TestDashboardSourcesInBrowser(t *testing.T) {
	b := browsertest.New(t)
	f := actionsFile(t, `echo "built $2"`+"\n"+`echo "tests: 3 passed" >&2`+"\n", 1)
	s := startServer(t, "--actions", f)
	id, url := ingestSource(t, s, "github", map[string]any{"secret": "s"}, "action:build")
	if code := githubPush(t, url, "s", "d-1", xss); code != 204 {
		t.Fatalf("push: %d", code)
	}
	if code := githubPush(t, url, "not the secret", "d-2", "refs/heads/main"); code != 401 {
		t.Fatalf("forged push: %d", code)
	}
	msgID := ingestLog(t, s, id)[1]["msg_id"].(string)
	wait.For(t, "the action's attempt", func() bool {
		var attempts struct{ Data []struct{ Status int } }
		code, err := apiCall(http.DefaultClient, "GET", s.url+"/ingest/api/v1/source/"+id+"/attempt/msg/"+msgID, s.token, nil, &attempts)
		return err == nil && code == 200 && len(attempts.Data) == 1 && attempts.Data[0].Status == 0
	})

	p := newPage(t, b)
	p.signIn(s, "#failing, #no-failing")
	p.goTo("#/sources", "#sources")
	if list := p.text("#sources"); !strings.Contains(list, "github source") || !strings.Contains(list, id) {
		t.Errorf("the sources: %q", list)
	}
	p.do(click("#sources a"), waitFor("#received"))
	if eps := p.text("#source-endpoints"); !strings.Contains(eps, "action:build") {
		t.Errorf("the source's endpoints: %q", eps)
	}
	if n := p.count("#received details"); n != 2 {
		t.Fatalf("%d requests received, want 2", n)
	}
	forged, push := "#received > details:nth-child(1)", "#received > details:nth-child(2)"
	p.do(click(forged+" summary"), waitFor(forged+" .alert"))
	if summary := p.text(forged + " summary"); !strings.HasPrefix(summary, "refused HTTP 401") {
		t.Errorf("the forged request: %q", summary)
	}
	p.do(click(push+" summary"), waitFor(push+" .attempt"), click(push+" .response summary"))
	p.shot("dashboard-source.png")
	if payload := p.text(push + " .payload"); !strings.Contains(payload, `"ref": "<img src=x onerror=\"window.pwned=1\">`) {
		t.Errorf("the push's payload: %q", payload)
	}
	if attempt := p.text(push + " .attempt"); !strings.Contains(attempt, "success") || !strings.Contains(attempt, "action:build") {
		t.Errorf("the push's attempt: %q", attempt)
	}
	if output := p.text(push + " .response pre"); output != "built "+xss+"\ntests: 3 passed\n" {
		t.Errorf("the action's output: %q", output)
	}
	if n := p.count("img, script:not([src])"); n != 0 {
		t.Errorf("%d img or inline script elements", n)
	}
	p.checkNoScript()
}

// TestPortalEditKeepsUnlistedTypesInBrowser: the event types of an endpoint
// that the edit form has no box for in the link's catalog, one archived
// since and one the link's feature flags hide, are shown checked and
// marked, and an edit of the description alone keeps them: the endpoint
// neither loses one nor starts receiving every event type. Unchecked, one
// goes.
func TestPortalEditKeepsUnlistedTypesInBrowser(t *testing.T) {
	b := browsertest.New(t)
	s := startServer(t)
	c := s.client(t)
	ctx := t.Context()
	seedCatalog(t, c)
	for _, et := range []models.EventTypeIn{
		{Name: "old.thing", Description: "Archived below."},
		{Name: "beta.thing", Description: "Behind a flag.", FeatureFlags: []string{"beta"}},
	} {
		if _, err := c.EventType.Create(ctx, et, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Application.Create(ctx, models.ApplicationIn{Name: "Acme Inc.", Uid: ptr("acme")}, nil); err != nil {
		t.Fatal(err)
	}
	endpoint := func(types ...string) *models.EndpointOut {
		ep, err := c.Endpoint.Create(ctx, "acme", models.EndpointIn{Url: "https://example.com/" + types[0], FilterTypes: types}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return ep
	}
	// The hidden type first: the page must not reorder the types either.
	archived, flagged := endpoint("old.thing"), endpoint("beta.thing", "invoice.paid")
	if err := c.EventType.Delete(ctx, "old.thing", nil); err != nil {
		t.Fatal(err)
	}

	p := newPage(t, b)
	p.open(portalLink(t, c, "acme", false), "#add-endpoint")
	// edit opens the form of the endpoint id, returns the labels of its
	// checked event types, then runs steps and saves.
	edit := func(id string, steps ...chromedp.Action[chromedp.Void]) []string {
		t.Helper()
		p.goTo("#/endpoints/"+id+"/edit", "#save-endpoint")
		checked := eval[[]string](p, `[...document.querySelectorAll("input[name=eventType]:checked")].map((b) => b.parentElement.textContent)`)
		p.do(steps...)
		p.do(click("#save-endpoint"))
		failed := func() string {
			return eval[string](p, `document.querySelector("form [role=alert]")?.textContent ?? ""`)
		}
		wait.For(t, "the endpoint's page", func() bool { return p.count("#endpoint-url") == 1 || failed() != "" })
		if msg := failed(); msg != "" {
			t.Fatalf("saving the endpoint: %s", msg)
		}
		return checked
	}
	get := func(id string) *models.EndpointOut {
		t.Helper()
		ep, err := c.Endpoint.Get(ctx, "acme", id)
		if err != nil {
			t.Fatal(err)
		}
		return ep
	}
	for _, tc := range []struct {
		ep    *models.EndpointOut
		boxes []string
	}{
		{archived, []string{"old.thing (archived)"}},
		{flagged, []string{"invoice.paid", "beta.thing (not in your catalog)"}},
	} {
		if boxes := edit(tc.ep.Id, retype("#ep-description", "Edited")); !slices.Equal(boxes, tc.boxes) {
			t.Errorf("%s: the checked boxes are %q, want %q", tc.ep.Url, boxes, tc.boxes)
		}
		if got := get(tc.ep.Id); got.Description != "Edited" || !slices.Equal(got.FilterTypes, tc.ep.FilterTypes) {
			t.Errorf("%s edited in the page: %q, types %q; want types %q", tc.ep.Url, got.Description, got.FilterTypes, tc.ep.FilterTypes)
		}
	}
	edit(flagged.Id, click(`input[value="beta.thing"]`))
	if got := get(flagged.Id); !slices.Equal(got.FilterTypes, []string{"invoice.paid"}) {
		t.Errorf("beta.thing unchecked: the types are %q", got.FilterTypes)
	}
	p.checkNoScript()
}
