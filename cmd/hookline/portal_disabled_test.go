package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline/internal/browsertest"
	"github.com/hookline/hookline/internal/wait"
)

// TestDisabledReasonInBrowser: the dashboard and the App Portal say why
// and since when an endpoint is disabled: gone (it answered 410), failing
// too long (--disable-after), by hand (the API, or the portal's own
// Disable); an endpoint enabled again says none of it. The receiver's and
// the tenant's values stay text.
func TestDisabledReasonInBrowser(t *testing.T) {
	b := browsertest.New(t)
	// The retry schedule is 100ms,200ms (with jitter, at least 240ms in
	// all): the third attempt of a failing endpoint is after 200ms.
	s := startServer(t, "--disable-after", "200ms")
	c := s.client(t)
	ctx := t.Context()
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/gone":
			w.WriteHeader(http.StatusGone)
		case "/failing":
			w.WriteHeader(http.StatusInternalServerError)
		}
		w.Write([]byte(xss))
	}))
	t.Cleanup(rcv.Close)
	if _, err := c.Application.Create(ctx, models.ApplicationIn{Name: "Acme Inc.", Uid: ptr("acme")}, nil); err != nil {
		t.Fatal(err)
	}
	endpoint := func(path string, disabled bool) *models.EndpointOut {
		t.Helper()
		ep, err := c.Endpoint.Create(ctx, "acme", models.EndpointIn{Url: rcv.URL + path, Description: ptr(path + " " + xss),
			Disabled: ptr(disabled)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return ep
	}
	gone, failing, byHand, fine := endpoint("/gone", false), endpoint("/failing", false), endpoint("/by-hand", true), endpoint("/fine", false)
	if _, err := c.Message.Create(ctx, "acme", models.MessageIn{EventType: "invoice.paid", Payload: map[string]any{"n": xss}}, nil); err != nil {
		t.Fatal(err)
	}
	wait.For(t, "the 410 and the failing endpoint to be disabled", func() bool {
		g, err1 := c.Endpoint.Get(ctx, "acme", gone.Id)
		f, err2 := c.Endpoint.Get(ctx, "acme", failing.Id)
		return err1 == nil && err2 == nil && *g.Disabled && *f.Disabled
	})

	// The dashboard: the application's endpoints, and the overview's
	// failing endpoints.
	p := newPage(t, b)
	p.open(s.url+"/dashboard", "#admin-token")
	p.do(typeIn("#admin-token", s.token), click("#sign-in"), waitFor("#failing"))
	if state := p.text("#failing"); !strings.Contains(state, "gone (410) since") || !strings.Contains(state, "failing too long since") {
		t.Errorf("the overview's failing endpoints: %q", state)
	}
	p.goTo("#/apps/acme", "#app-endpoints")
	p.shot("dashboard-disabled.png")
	health := func(id string) string { return p.text(`#app-endpoints tr[data-endpoint="` + id + `"] .health`) }
	for id, want := range map[string]string{
		gone.Id: "disabled: gone (410) since ", failing.Id: "disabled: failing too long since ",
		byHand.Id: "disabled: by hand since ", fine.Id: "healthy",
	} {
		if got := health(id); !strings.HasPrefix(got, want) {
			t.Errorf("the dashboard's health of %s: %q, want %q…", id, got, want)
		}
	}
	if got := health(gone.Id); !strings.Contains(got, " · failing since ") {
		t.Errorf("the 410 endpoint's health does not say since when it fails: %q", got)
	}

	// The portal: its list, and an endpoint's page, where Disable and
	// Enable change what it says.
	p.open(portalLink(t, c, "acme", false), "#endpoints")
	if list := p.text("#endpoints"); !strings.Contains(list, "gone (410) since") || !strings.Contains(list, "failing too long since") ||
		!strings.Contains(list, "by hand since") || !strings.Contains(list, xss) {
		t.Errorf("the portal's endpoints: %q", list)
	}
	p.goTo("#/endpoints/"+gone.Id, "#toggle-endpoint")
	if state := p.text(".endpoint-state"); !strings.Contains(state, "gone (410) since") {
		t.Errorf("the 410 endpoint's page: %q", state)
	}
	p.goTo("#/endpoints/"+fine.Id, "#toggle-endpoint")
	p.do(click("#toggle-endpoint"))
	wait.For(t, "the page to show the endpoint disabled", func() bool {
		return p.count(".endpoint-state") == 1 && strings.Contains(p.text(".endpoint-state"), "by hand since")
	})
	p.shot("portal-endpoint-disabled.png")
	if got, err := c.Endpoint.Get(ctx, "acme", fine.Id); err != nil || !*got.Disabled {
		t.Fatalf("the endpoint the portal disabled: %+v, %v", got, err)
	}
	p.do(click("#toggle-endpoint"))
	wait.For(t, "the page to show the endpoint enabled", func() bool { return p.count(".endpoint-state") == 0 })
	p.checkNoScript()
}
