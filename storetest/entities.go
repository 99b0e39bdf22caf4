package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/hookline/hookline"
)

func testApplicationCRUD(t *testing.T, s hookline.Store) {
	a := &hookline.Application{
		Name:         "Acme",
		UID:          ptr("acme"),
		ThrottleRate: ptr(10),
		Metadata:     map[string]string{"plan": "pro", "region": "eu"},
	}
	must(t, s.CreateApplication(ctx(t), a), "CreateApplication")
	if len(a.ID) <= len(hookline.PrefixApplication) || a.ID[:len(hookline.PrefixApplication)] != hookline.PrefixApplication {
		t.Fatalf("id %q lacks the prefix %q", a.ID, hookline.PrefixApplication)
	}
	if a.CreatedAt.IsZero() || a.UpdatedAt.IsZero() {
		t.Fatal("CreatedAt or UpdatedAt left zero")
	}
	got, err := s.Application(ctx(t), a.ID)
	must(t, err, "Application by id")
	same(t, got, a, "Application by id")
	if got.CreatedAt.Location() != time.UTC {
		t.Fatalf("CreatedAt in %v, want UTC", got.CreatedAt.Location())
	}
	got, err = s.Application(ctx(t), "acme")
	must(t, err, "Application by uid")
	same(t, got, a, "Application by uid")

	// A bare application: nil pointers and maps read back nil.
	b := &hookline.Application{Name: "Bare"}
	must(t, s.CreateApplication(ctx(t), b), "CreateApplication")
	got, err = s.Application(ctx(t), b.ID)
	must(t, err, "Application")
	if got.UID != nil || got.ThrottleRate != nil || got.Metadata != nil {
		t.Fatalf("bare application reads back %+v", got)
	}
	same(t, got, b, "bare Application")

	// A caller-chosen id and creation time are kept.
	c := &hookline.Application{ID: hookline.NewID(hookline.PrefixApplication), Name: "Chosen",
		CreatedAt: time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)}
	must(t, s.CreateApplication(ctx(t), c), "CreateApplication with id")
	got, err = s.Application(ctx(t), c.ID)
	must(t, err, "Application")
	same(t, got, c, "Application with chosen id")

	upd := *a
	upd.Name = "Acme Inc"
	upd.UID = ptr("acme-inc")
	upd.ThrottleRate = nil
	upd.Metadata = map[string]string{"plan": "enterprise"}
	upd.CreatedAt = time.Time{} // read back by Update
	must(t, s.UpdateApplication(ctx(t), &upd), "UpdateApplication")
	if !upd.CreatedAt.Equal(a.CreatedAt) {
		t.Fatalf("UpdateApplication: CreatedAt %v, want %v", upd.CreatedAt, a.CreatedAt)
	}
	if upd.UpdatedAt.Before(a.UpdatedAt) {
		t.Fatalf("UpdateApplication: UpdatedAt %v went back from %v", upd.UpdatedAt, a.UpdatedAt)
	}
	got, err = s.Application(ctx(t), a.ID)
	must(t, err, "Application")
	same(t, got, &upd, "updated Application")
	got, err = s.Application(ctx(t), "acme-inc")
	must(t, err, "Application by new uid")
	if got.ID != a.ID {
		t.Fatalf("new uid finds %s", got.ID)
	}
	_, err = s.Application(ctx(t), "acme")
	wantCode(t, err, hookline.ENOTFOUND, "Application by old uid")

	must(t, s.DeleteApplication(ctx(t), a.ID), "DeleteApplication")
	_, err = s.Application(ctx(t), a.ID)
	wantCode(t, err, hookline.ENOTFOUND, "Application after delete")
	_, err = s.Application(ctx(t), "acme-inc")
	wantCode(t, err, hookline.ENOTFOUND, "Application by uid after delete")
	// The uid is free again.
	must(t, s.CreateApplication(ctx(t), &hookline.Application{Name: "Again", UID: ptr("acme-inc")}), "reuse uid")
}

func testApplicationConflict(t *testing.T, s hookline.Store) {
	a := &hookline.Application{Name: "A", UID: ptr("taken")}
	must(t, s.CreateApplication(ctx(t), a), "CreateApplication")
	err := s.CreateApplication(ctx(t), &hookline.Application{Name: "B", UID: ptr("taken")})
	wantCode(t, err, hookline.ECONFLICT, "CreateApplication with a taken uid")
	err = s.CreateApplication(ctx(t), &hookline.Application{ID: a.ID, Name: "C"})
	wantCode(t, err, hookline.ECONFLICT, "CreateApplication with a taken id")

	b := newApp(t, s)
	b.UID = ptr("taken")
	wantCode(t, s.UpdateApplication(ctx(t), b), hookline.ECONFLICT, "UpdateApplication to a taken uid")
	got, err := s.Application(ctx(t), b.ID)
	must(t, err, "Application")
	if got.UID != nil {
		t.Fatalf("a failed update changed the uid to %q", *got.UID)
	}
	// Setting an application's own uid again is no conflict.
	a.Name = "A2"
	must(t, s.UpdateApplication(ctx(t), a), "UpdateApplication keeping its uid")
}

func testApplicationNotFound(t *testing.T, s hookline.Store) {
	missing := hookline.NewID(hookline.PrefixApplication)
	_, err := s.Application(ctx(t), missing)
	wantCode(t, err, hookline.ENOTFOUND, "Application")
	_, err = s.Application(ctx(t), "no-such-uid")
	wantCode(t, err, hookline.ENOTFOUND, "Application by uid")
	wantCode(t, s.UpdateApplication(ctx(t), &hookline.Application{ID: missing, Name: "x"}), hookline.ENOTFOUND, "UpdateApplication")
	wantCode(t, s.DeleteApplication(ctx(t), missing), hookline.ENOTFOUND, "DeleteApplication")
	wantCode(t, s.CreateEndpoint(ctx(t), &hookline.Endpoint{AppID: missing, URL: "https://example.com"}, 0),
		hookline.ENOTFOUND, "CreateEndpoint in a missing application")
	_, err = s.CreateMessage(ctx(t), &hookline.Message{AppID: missing, EventType: "a", Payload: []byte(`{}`)})
	wantCode(t, err, hookline.ENOTFOUND, "CreateMessage in a missing application")
}

func testApplicationList(t *testing.T, s hookline.Store) {
	p, err := s.ListApplications(ctx(t), hookline.ListOptions{Limit: 10})
	must(t, err, "ListApplications")
	if len(p.Items) != 0 || !p.Done {
		t.Fatalf("empty store lists %d applications, done %v", len(p.Items), p.Done)
	}
	var want []string
	for range 7 {
		want = append(want, newApp(t, s).ID)
	}
	sort.Strings(want)
	checkPages(t, want, func(a *hookline.Application) string { return a.ID },
		func(o hookline.ListOptions) (hookline.Page[*hookline.Application], error) {
			return s.ListApplications(ctx(t), o)
		})
	// The items are whole.
	p, err = s.ListApplications(ctx(t), hookline.ListOptions{Limit: 1})
	must(t, err, "ListApplications")
	got, err := s.Application(ctx(t), p.Items[0].ID)
	must(t, err, "Application")
	same(t, p.Items[0], got, "listed application")
}

func testApplicationDeleteCascades(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	other := newApp(t, s)
	ep := newEndpoint(t, s, a.ID)
	otherEP := newEndpoint(t, s, other.ID)
	m, _ := newMessage(t, s, a.ID, "user.created")
	om, _ := newMessage(t, s, other.ID, "user.created")
	tasks := claim(t, s, "w", later())
	if len(tasks) != 2 {
		t.Fatalf("claimed %d, want 2", len(tasks))
	}
	var outs []hookline.Outcome
	for _, task := range tasks {
		outs = append(outs, outcome(task, hookline.StatusFail, 500))
	}
	must(t, s.Complete(ctx(t), "w", outs), "Complete")
	// A pending delivery of the deleted application must not stay in the queue.
	must(t, s.Resend(ctx(t), a.ID, m.ID, ep.ID), "Resend")
	tok := &hookline.Token{Hash: sha(uniq("tok")), AppID: a.ID}
	must(t, s.CreateToken(ctx(t), tok), "CreateToken")
	bg := &hookline.BackgroundTask{AppID: a.ID, Type: hookline.TaskRecover}
	must(t, s.CreateBackgroundTask(ctx(t), bg), "CreateBackgroundTask")
	otherBG := &hookline.BackgroundTask{AppID: other.ID, Type: hookline.TaskRecover}
	must(t, s.CreateBackgroundTask(ctx(t), otherBG), "CreateBackgroundTask")

	must(t, s.DeleteApplication(ctx(t), a.ID), "DeleteApplication")
	_, err := s.BackgroundTask(ctx(t), "", bg.ID)
	wantCode(t, err, hookline.ENOTFOUND, "background task of a deleted application")
	_, err = s.BackgroundTask(ctx(t), other.ID, otherBG.ID)
	must(t, err, "background task of the other application")
	_, err = s.Endpoint(ctx(t), a.ID, ep.ID)
	wantCode(t, err, hookline.ENOTFOUND, "Endpoint of a deleted application")
	_, err = s.Message(ctx(t), a.ID, m.ID)
	wantCode(t, err, hookline.ENOTFOUND, "Message of a deleted application")
	_, err = s.ListAttemptsByMessage(ctx(t), a.ID, m.ID, hookline.AttemptFilter{})
	wantCode(t, err, hookline.ENOTFOUND, "ListAttemptsByMessage of a deleted application")
	_, err = s.TokenByHash(ctx(t), tok.Hash)
	wantCode(t, err, hookline.ENOTFOUND, "token of a deleted application")
	if got := claim(t, s, "w", later().Add(time.Hour)); len(got) != 0 {
		t.Fatalf("claimed %d deliveries of a deleted application", len(got))
	}
	if _, ok, err := s.NextDue(ctx(t)); err != nil || ok {
		t.Fatalf("NextDue after delete: %v, %v", ok, err)
	}

	// The other application is untouched.
	_, err = s.Endpoint(ctx(t), other.ID, otherEP.ID)
	must(t, err, "Endpoint of the other application")
	_, err = s.Message(ctx(t), other.ID, om.ID)
	must(t, err, "Message of the other application")
	p, err := s.ListAttemptsByMessage(ctx(t), other.ID, om.ID, hookline.AttemptFilter{})
	must(t, err, "ListAttemptsByMessage")
	if len(p.Items) != 1 {
		t.Fatalf("other application's message has %d attempts, want 1", len(p.Items))
	}
}

func sha(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func testEventTypeCRUD(t *testing.T, s hookline.Store) {
	group := "invoice"
	et := &hookline.EventType{
		Name:         "invoice.paid",
		Description:  "An invoice was paid",
		GroupName:    &group,
		FeatureFlags: []string{"beta", "gamma.v2"},
		Deprecated:   true,
		Schemas:      json.RawMessage(`{"1":{"type":"object"}}`),
	}
	must(t, s.CreateEventType(ctx(t), et), "CreateEventType")
	if et.CreatedAt.IsZero() {
		t.Fatal("CreatedAt left zero")
	}
	got, err := s.EventType(ctx(t), "invoice.paid")
	must(t, err, "EventType")
	same(t, got, et, "EventType")

	bare := &hookline.EventType{Name: "bare"}
	must(t, s.CreateEventType(ctx(t), bare), "CreateEventType")
	got, err = s.EventType(ctx(t), "bare")
	must(t, err, "EventType")
	if got.FeatureFlags != nil || got.Schemas != nil || got.GroupName != nil {
		t.Fatalf("bare event type reads back %+v", got)
	}

	wantCode(t, s.CreateEventType(ctx(t), &hookline.EventType{Name: "invoice.paid"}), hookline.ECONFLICT, "CreateEventType twice")

	upd := *et
	upd.Description = "Paid"
	upd.Deprecated = false
	upd.FeatureFlags = []string{"beta"}
	upd.Schemas = nil
	billing := "billing"
	upd.GroupName = &billing
	must(t, s.UpdateEventType(ctx(t), &upd), "UpdateEventType")
	if !upd.CreatedAt.Equal(et.CreatedAt) {
		t.Fatalf("UpdateEventType: CreatedAt %v, want %v", upd.CreatedAt, et.CreatedAt)
	}
	got, err = s.EventType(ctx(t), "invoice.paid")
	must(t, err, "EventType")
	same(t, got, &upd, "updated EventType")
	upd.GroupName = nil
	must(t, s.UpdateEventType(ctx(t), &upd), "UpdateEventType clearing the group")
	got, err = s.EventType(ctx(t), "invoice.paid")
	must(t, err, "EventType")
	same(t, got, &upd, "EventType without its group")

	_, err = s.EventType(ctx(t), "nope")
	wantCode(t, err, hookline.ENOTFOUND, "EventType")
	wantCode(t, s.UpdateEventType(ctx(t), &hookline.EventType{Name: "nope"}), hookline.ENOTFOUND, "UpdateEventType")
	wantCode(t, s.DeleteEventType(ctx(t), "nope", false), hookline.ENOTFOUND, "DeleteEventType")
	wantCode(t, s.DeleteEventType(ctx(t), "nope", true), hookline.ENOTFOUND, "DeleteEventType expunge")
}

func testEventTypeArchive(t *testing.T, s hookline.Store) {
	must(t, s.CreateEventType(ctx(t), &hookline.EventType{Name: "a.b"}), "CreateEventType")
	must(t, s.DeleteEventType(ctx(t), "a.b", false), "DeleteEventType (archive)")
	got, err := s.EventType(ctx(t), "a.b")
	must(t, err, "EventType after archive")
	if !got.Archived {
		t.Fatal("archived event type is not Archived")
	}
	// Unarchive by update.
	got.Archived = false
	must(t, s.UpdateEventType(ctx(t), got), "UpdateEventType")
	got, err = s.EventType(ctx(t), "a.b")
	must(t, err, "EventType")
	if got.Archived {
		t.Fatal("still archived after update")
	}
	must(t, s.DeleteEventType(ctx(t), "a.b", true), "DeleteEventType (expunge)")
	_, err = s.EventType(ctx(t), "a.b")
	wantCode(t, err, hookline.ENOTFOUND, "EventType after expunge")
	must(t, s.CreateEventType(ctx(t), &hookline.EventType{Name: "a.b"}), "CreateEventType after expunge")
}

func testEventTypeList(t *testing.T, s hookline.Store) {
	names := []string{"b.two", "a.one", "c.three", "a.zero", "d-four", "e_five"}
	for _, n := range names {
		must(t, s.CreateEventType(ctx(t), &hookline.EventType{Name: n, Description: n}), "CreateEventType")
	}
	must(t, s.DeleteEventType(ctx(t), "c.three", false), "archive")
	all := append([]string(nil), names...)
	sort.Strings(all)
	var live []string
	for _, n := range all {
		if n != "c.three" {
			live = append(live, n)
		}
	}
	key := func(et *hookline.EventType) string { return et.Name }
	checkPages(t, all, key, func(o hookline.ListOptions) (hookline.Page[*hookline.EventType], error) {
		return s.ListEventTypes(ctx(t), o, true)
	})
	checkPages(t, live, key, func(o hookline.ListOptions) (hookline.Page[*hookline.EventType], error) {
		return s.ListEventTypes(ctx(t), o, false)
	})
}

func testEndpointCRUD(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := &hookline.Endpoint{
		AppID:        a.ID,
		UID:          ptr("main"),
		URL:          "https://example.com/hook",
		Description:  "the main one",
		EventTypes:   []string{"user.created", "user.deleted"},
		Channels:     []string{"eu", "us"},
		ThrottleRate: ptr(5),
		Metadata:     map[string]string{"team": "core"},
		Headers:      map[string]string{"X-Api-Key": "k"},
	}
	must(t, s.CreateEndpoint(ctx(t), ep, 0), "CreateEndpoint")
	if len(ep.Secret) < 24 {
		t.Fatalf("CreateEndpoint made a secret of %d bytes", len(ep.Secret))
	}
	if ep.ID == "" || ep.CreatedAt.IsZero() {
		t.Fatal("id or CreatedAt unset")
	}
	got, err := s.Endpoint(ctx(t), a.ID, ep.ID)
	must(t, err, "Endpoint by id")
	same(t, got, ep, "Endpoint by id")
	got, err = s.Endpoint(ctx(t), a.ID, "main")
	must(t, err, "Endpoint by uid")
	same(t, got, ep, "Endpoint by uid")

	// A given secret is kept; nil lists and maps read back nil.
	secret := bytes.Repeat([]byte{7}, 32)
	bare := &hookline.Endpoint{AppID: a.ID, URL: "http://example.net", Secret: secret}
	must(t, s.CreateEndpoint(ctx(t), bare, 0), "CreateEndpoint")
	got, err = s.Endpoint(ctx(t), a.ID, bare.ID)
	must(t, err, "Endpoint")
	if !bytes.Equal(got.Secret, secret) {
		t.Fatal("secret not kept")
	}
	if got.EventTypes != nil || got.Channels != nil || got.Metadata != nil || got.Headers != nil || got.UID != nil {
		t.Fatalf("bare endpoint reads back %+v", got)
	}

	upd := *ep
	upd.URL = "https://example.org/new"
	upd.UID = ptr("renamed")
	upd.EventTypes = nil
	upd.Channels = []string{"asia"}
	upd.Disabled = true
	upd.Headers = nil
	upd.Secret = nil // keeps the secret
	must(t, s.UpdateEndpoint(ctx(t), &upd), "UpdateEndpoint")
	got, err = s.Endpoint(ctx(t), a.ID, ep.ID)
	must(t, err, "Endpoint")
	if !bytes.Equal(got.Secret, ep.Secret) {
		t.Fatal("UpdateEndpoint with no secret changed the secret")
	}
	upd.Secret = ep.Secret
	same(t, got, &upd, "updated Endpoint")
	if !got.CreatedAt.Equal(ep.CreatedAt) {
		t.Fatal("UpdateEndpoint changed CreatedAt")
	}
	// Rotating the secret.
	upd.Secret = bytes.Repeat([]byte{9}, 24)
	must(t, s.UpdateEndpoint(ctx(t), &upd), "UpdateEndpoint with a secret")
	got, err = s.Endpoint(ctx(t), a.ID, "renamed")
	must(t, err, "Endpoint by new uid")
	if !bytes.Equal(got.Secret, upd.Secret) {
		t.Fatal("secret not rotated")
	}
	_, err = s.Endpoint(ctx(t), a.ID, "main")
	wantCode(t, err, hookline.ENOTFOUND, "Endpoint by old uid")

	must(t, s.DeleteEndpoint(ctx(t), a.ID, ep.ID), "DeleteEndpoint")
	_, err = s.Endpoint(ctx(t), a.ID, ep.ID)
	wantCode(t, err, hookline.ENOTFOUND, "Endpoint after delete")
	wantCode(t, s.DeleteEndpoint(ctx(t), a.ID, ep.ID), hookline.ENOTFOUND, "DeleteEndpoint twice")
}

func testEndpointConflict(t *testing.T, s hookline.Store) {
	a, b := newApp(t, s), newApp(t, s)
	newEndpoint(t, s, a.ID, func(e *hookline.Endpoint) { e.UID = ptr("dup") })
	err := s.CreateEndpoint(ctx(t), &hookline.Endpoint{AppID: a.ID, URL: "https://x.example", UID: ptr("dup")}, 0)
	wantCode(t, err, hookline.ECONFLICT, "CreateEndpoint with a taken uid")
	// uids are per application.
	newEndpoint(t, s, b.ID, func(e *hookline.Endpoint) { e.UID = ptr("dup") })
	other := newEndpoint(t, s, a.ID)
	other.UID = ptr("dup")
	wantCode(t, s.UpdateEndpoint(ctx(t), other), hookline.ECONFLICT, "UpdateEndpoint to a taken uid")
}

func testEndpointNotFound(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	missing := hookline.NewID(hookline.PrefixEndpoint)
	_, err := s.Endpoint(ctx(t), a.ID, missing)
	wantCode(t, err, hookline.ENOTFOUND, "Endpoint")
	_, err = s.Endpoint(ctx(t), a.ID, "no-uid")
	wantCode(t, err, hookline.ENOTFOUND, "Endpoint by uid")
	wantCode(t, s.UpdateEndpoint(ctx(t), &hookline.Endpoint{ID: missing, AppID: a.ID, URL: "https://x.example"}),
		hookline.ENOTFOUND, "UpdateEndpoint")
	wantCode(t, s.DeleteEndpoint(ctx(t), a.ID, missing), hookline.ENOTFOUND, "DeleteEndpoint")
	_, err = s.EndpointStats(ctx(t), a.ID, missing, nil, nil)
	wantCode(t, err, hookline.ENOTFOUND, "EndpointStats")
	_, err = s.ListAttemptsByEndpoint(ctx(t), a.ID, missing, hookline.AttemptFilter{})
	wantCode(t, err, hookline.ENOTFOUND, "ListAttemptsByEndpoint")
	_, err = s.ListMessagesByEndpoint(ctx(t), a.ID, missing, hookline.EndpointMessageFilter{})
	wantCode(t, err, hookline.ENOTFOUND, "ListMessagesByEndpoint")
	m, _ := newMessage(t, s, a.ID, "x")
	wantCode(t, s.Resend(ctx(t), a.ID, m.ID, missing), hookline.ENOTFOUND, "Resend to a missing endpoint")
	_, err = s.CreateMessage(ctx(t), &hookline.Message{AppID: a.ID, EventType: "x", Payload: []byte(`{}`), OnlyEndpoint: missing})
	wantCode(t, err, hookline.ENOTFOUND, "CreateMessage to a missing OnlyEndpoint")
}

func testEndpointList(t *testing.T, s hookline.Store) {
	a, b := newApp(t, s), newApp(t, s)
	var want []string
	for i := range 6 {
		want = append(want, newEndpoint(t, s, a.ID).ID)
		if i%2 == 0 {
			newEndpoint(t, s, b.ID)
		}
	}
	sort.Strings(want)
	checkPages(t, want, func(e *hookline.Endpoint) string { return e.ID },
		func(o hookline.ListOptions) (hookline.Page[*hookline.Endpoint], error) {
			return s.ListEndpoints(ctx(t), a.ID, o)
		})
	p, err := s.ListEndpoints(ctx(t), a.ID, hookline.ListOptions{Limit: 1})
	must(t, err, "ListEndpoints")
	got, err := s.Endpoint(ctx(t), a.ID, p.Items[0].ID)
	must(t, err, "Endpoint")
	same(t, p.Items[0], got, "listed endpoint")
}

func testEndpointDeleteKeepsAttempts(t *testing.T, s hookline.Store) {
	a := newApp(t, s)
	ep := newEndpoint(t, s, a.ID)
	m, _ := newMessage(t, s, a.ID, "x")
	task := claimOne(t, s, "w", later())
	must(t, s.Complete(ctx(t), "w", []hookline.Outcome{outcome(task, hookline.StatusSuccess, 200)}), "Complete")
	must(t, s.DeleteEndpoint(ctx(t), a.ID, ep.ID), "DeleteEndpoint")
	p, err := s.ListAttemptsByMessage(ctx(t), a.ID, m.ID, hookline.AttemptFilter{})
	must(t, err, "ListAttemptsByMessage")
	if len(p.Items) != 1 || p.Items[0].EndpointID != ep.ID {
		t.Fatalf("attempts after DeleteEndpoint: %+v", p.Items)
	}
}

func testToken(t *testing.T, s hookline.Store) {
	n, err := s.CountAdminTokens(ctx(t))
	must(t, err, "CountAdminTokens")
	if n != 0 {
		t.Fatalf("empty store counts %d admin tokens", n)
	}
	a := newApp(t, s)
	admin := &hookline.Token{Hash: sha("admin")}
	must(t, s.CreateToken(ctx(t), admin), "CreateToken")
	if admin.ID == "" || admin.CreatedAt.IsZero() {
		t.Fatal("token id or CreatedAt unset")
	}
	future := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	scoped := &hookline.Token{Hash: sha("scoped"), AppID: a.ID, ExpiresAt: &future}
	must(t, s.CreateToken(ctx(t), scoped), "CreateToken scoped")
	past := time.Now().Add(-time.Hour)
	expired := &hookline.Token{Hash: sha("expired"), ExpiresAt: &past}
	must(t, s.CreateToken(ctx(t), expired), "CreateToken expired")

	got, err := s.TokenByHash(ctx(t), sha("admin"))
	must(t, err, "TokenByHash")
	same(t, got, admin, "admin token")
	got, err = s.TokenByHash(ctx(t), sha("scoped"))
	must(t, err, "TokenByHash scoped")
	same(t, got, scoped, "scoped token")
	_, err = s.TokenByHash(ctx(t), sha("expired"))
	wantCode(t, err, hookline.ENOTFOUND, "TokenByHash of an expired token")
	_, err = s.TokenByHash(ctx(t), sha("unknown"))
	wantCode(t, err, hookline.ENOTFOUND, "TokenByHash of an unknown hash")

	n, err = s.CountAdminTokens(ctx(t))
	must(t, err, "CountAdminTokens")
	if n < 1 || n > 2 {
		// The expired admin token may or may not count; the live one must,
		// and the scoped one must not.
		t.Fatalf("CountAdminTokens = %d, want 1 (or 2 counting the expired one)", n)
	}
	wantCode(t, s.CreateToken(ctx(t), &hookline.Token{Hash: sha("admin")}), hookline.ECONFLICT, "CreateToken with a taken hash")

	must(t, s.DeleteToken(ctx(t), admin.ID), "DeleteToken")
	_, err = s.TokenByHash(ctx(t), sha("admin"))
	wantCode(t, err, hookline.ENOTFOUND, "TokenByHash after DeleteToken")
	n2, err := s.CountAdminTokens(ctx(t))
	must(t, err, "CountAdminTokens")
	if n2 != n-1 {
		t.Fatalf("CountAdminTokens after delete = %d, want %d", n2, n-1)
	}
	wantCode(t, s.DeleteToken(ctx(t), admin.ID), hookline.ENOTFOUND, "DeleteToken twice")
}

func testIdempotency(t *testing.T, s hookline.Store) {
	_, err := s.IdempotentResponse(ctx(t), "k1")
	wantCode(t, err, hookline.ENOTFOUND, "IdempotentResponse of an unknown key")
	r := &hookline.IdempotentResponse{Key: "k1", StatusCode: 202, Body: []byte(`{"id":"msg_1"}`)}
	must(t, s.SaveIdempotentResponse(ctx(t), r), "SaveIdempotentResponse")
	got, err := s.IdempotentResponse(ctx(t), "k1")
	must(t, err, "IdempotentResponse")
	if got.Key != "k1" || got.StatusCode != 202 || string(got.Body) != `{"id":"msg_1"}` || got.CreatedAt.IsZero() {
		t.Fatalf("IdempotentResponse = %+v", got)
	}
	// The first response wins.
	must(t, s.SaveIdempotentResponse(ctx(t), &hookline.IdempotentResponse{Key: "k1", StatusCode: 500, Body: []byte(`x`)}),
		"SaveIdempotentResponse again")
	got, err = s.IdempotentResponse(ctx(t), "k1")
	must(t, err, "IdempotentResponse")
	if got.StatusCode != 202 || string(got.Body) != `{"id":"msg_1"}` {
		t.Fatalf("second save replaced the first: %+v", got)
	}
	// An empty body is a body.
	must(t, s.SaveIdempotentResponse(ctx(t), &hookline.IdempotentResponse{Key: "k2", StatusCode: 204}), "save empty")
	got, err = s.IdempotentResponse(ctx(t), "k2")
	must(t, err, "IdempotentResponse")
	if got.StatusCode != 204 || len(got.Body) != 0 {
		t.Fatalf("IdempotentResponse = %+v", got)
	}
	// Responses expire after a day.
	old := &hookline.IdempotentResponse{Key: "k3", StatusCode: 200, Body: []byte(`{}`),
		CreatedAt: time.Now().Add(-25 * time.Hour)}
	must(t, s.SaveIdempotentResponse(ctx(t), old), "save old")
	_, err = s.IdempotentResponse(ctx(t), "k3")
	wantCode(t, err, hookline.ENOTFOUND, "IdempotentResponse of an expired key")
	// An expired key is free for a new response.
	must(t, s.SaveIdempotentResponse(ctx(t), &hookline.IdempotentResponse{Key: "k3", StatusCode: 201, Body: []byte(`{}`)}), "save over expired")
	got, err = s.IdempotentResponse(ctx(t), "k3")
	must(t, err, "IdempotentResponse")
	if got.StatusCode != 201 {
		t.Fatalf("IdempotentResponse after expiry = %+v", got)
	}
}

// testCheckWrite: a store that works can write, and says so again.
func testCheckWrite(t *testing.T, s hookline.Store) {
	must(t, s.CheckWrite(ctx(t)), "CheckWrite")
	must(t, s.CheckWrite(ctx(t)), "CheckWrite again")
	newApp(t, s) // and writes go on
}
