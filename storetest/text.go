package storetest

import (
	"testing"

	"github.com/hookline/hookline"
)

// testTextRefused: a NUL, or bytes that are not UTF-8, in a text field is
// EINVALID on every store (PostgreSQL cannot keep either), on create and on
// update, and changes nothing.
func testTextRefused(t *testing.T, s hookline.Store) {
	app := newApp(t, s)
	ep := newEndpoint(t, s, app.ID)
	src := &hookline.Source{Name: "hooks", Type: hookline.SourceGeneric, AppID: app.ID, Token: uniq("tok")}
	must(t, s.CreateSource(ctx(t), src), "CreateSource")
	for _, bad := range []string{"a\x00b", "a\xffb"} {
		wantCode(t, s.CreateApplication(ctx(t), &hookline.Application{Name: bad}), hookline.EINVALID, "CreateApplication with a bad name")
		wantCode(t, s.CreateApplication(ctx(t), &hookline.Application{Name: "x", Metadata: map[string]string{"k": bad}}),
			hookline.EINVALID, "CreateApplication with bad metadata")
		changed := app.Clone()
		changed.Metadata = map[string]string{bad: "v"}
		wantCode(t, s.UpdateApplication(ctx(t), changed), hookline.EINVALID, "UpdateApplication with a bad metadata key")

		wantCode(t, s.CreateEndpoint(ctx(t), &hookline.Endpoint{AppID: app.ID, URL: "https://example.com/", Description: bad}, 0),
			hookline.EINVALID, "CreateEndpoint with a bad description")
		e := *ep
		e.Headers = map[string]string{"X-Key": bad}
		wantCode(t, s.UpdateEndpoint(ctx(t), &e), hookline.EINVALID, "UpdateEndpoint with a bad header value")

		wantCode(t, s.CreateEventType(ctx(t), &hookline.EventType{Name: "bad.text", Description: bad}),
			hookline.EINVALID, "CreateEventType with a bad description")

		wantCode(t, s.CreateSource(ctx(t), &hookline.Source{Name: bad, Type: hookline.SourceGeneric, AppID: app.ID, Token: uniq("tok")}),
			hookline.EINVALID, "CreateSource with a bad name")
		wantCode(t, s.CreateSource(ctx(t), &hookline.Source{Name: "x", Type: hookline.SourceGeneric, AppID: app.ID, Token: uniq("tok"),
			Metadata: map[string]string{"k": bad}}), hookline.EINVALID, "CreateSource with bad metadata")
		changedSrc := *src
		changedSrc.Metadata = map[string]string{bad: "v"}
		wantCode(t, s.UpdateSource(ctx(t), &changedSrc), hookline.EINVALID, "UpdateSource with a bad metadata key")
	}
	wantCode(t, s.CreateEventType(ctx(t), &hookline.EventType{Name: "bad.schema", Schemas: []byte("{\"a\":\"\xff\"}")}),
		hookline.EINVALID, "CreateEventType with schemas that are not UTF-8")

	apps, err := s.ListApplications(ctx(t), hookline.ListOptions{})
	wantStored(t, "applications", len(apps.Items), err, 1)
	got, err := s.Application(ctx(t), app.ID)
	must(t, err, "Application")
	same(t, got, app, "the application after refused updates")
	gotEP, err := s.Endpoint(ctx(t), app.ID, ep.ID)
	must(t, err, "Endpoint")
	if gotEP.Headers != nil || gotEP.Description != ep.Description {
		t.Errorf("the endpoint changed: %+v", gotEP)
	}
	eps, err := s.ListEndpoints(ctx(t), app.ID, hookline.ListOptions{})
	wantStored(t, "endpoints", len(eps.Items), err, 1)
	srcs, err := s.ListSources(ctx(t), hookline.ListOptions{})
	wantStored(t, "sources", len(srcs.Items), err, 1)
	gotSrc, err := s.Source(ctx(t), src.ID)
	must(t, err, "Source")
	same(t, gotSrc, src, "the source after a refused update")
	ets, err := s.ListEventTypes(ctx(t), hookline.ListOptions{}, true)
	wantStored(t, "event types", len(ets.Items), err, 0)
}

// wantStored fails t unless listing what (n items, or err) found want.
func wantStored(t *testing.T, what string, n int, err error, want int) {
	t.Helper()
	must(t, err, "list "+what)
	if n != want {
		t.Errorf("%d %s stored, want %d", n, what, want)
	}
}
