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
	}
	wantCode(t, s.CreateEventType(ctx(t), &hookline.EventType{Name: "bad.schema", Schemas: []byte("{\"a\":\"\xff\"}")}),
		hookline.EINVALID, "CreateEventType with schemas that are not UTF-8")

	apps, err := s.ListApplications(ctx(t), hookline.ListOptions{})
	must(t, err, "ListApplications")
	if len(apps.Items) != 1 {
		t.Errorf("%d applications stored, want the one made before", len(apps.Items))
	}
	got, err := s.Application(ctx(t), app.ID)
	must(t, err, "Application")
	same(t, got, app, "the application after refused updates")
	gotEP, err := s.Endpoint(ctx(t), app.ID, ep.ID)
	must(t, err, "Endpoint")
	if gotEP.Headers != nil || gotEP.Description != ep.Description {
		t.Errorf("the endpoint changed: %+v", gotEP)
	}
	eps, err := s.ListEndpoints(ctx(t), app.ID, hookline.ListOptions{})
	must(t, err, "ListEndpoints")
	if len(eps.Items) != 1 {
		t.Errorf("%d endpoints stored, want 1", len(eps.Items))
	}
	ets, err := s.ListEventTypes(ctx(t), hookline.ListOptions{}, true)
	must(t, err, "ListEventTypes")
	if len(ets.Items) != 0 {
		t.Errorf("%d event types stored, want none", len(ets.Items))
	}
}
