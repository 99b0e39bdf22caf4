package api_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"
	"github.com/svix/svix-webhooks/go/models"
	"github.com/svix/svix-webhooks/go/utils"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/api"
	"github.com/hookline/hookline/signature"
)

// These tests drive the API through the official Svix Go SDK, unchanged,
// against a real server over a real SQLite store.

func wantStatus(t *testing.T, err error, want int) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want status %d", want)
	}
	var se *svix.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a *svix.Error", err)
	}
	if se.Status() != want {
		t.Fatalf("status %d, want %d; body %s", se.Status(), want, se.Body())
	}
}

// wantField fails t unless err is a 422 whose location ends with the
// path body, loc...
func wantField(t *testing.T, err error, loc ...string) {
	t.Helper()
	wantLoc(t, err, append([]string{"body"}, loc...)...)
}

// wantLoc fails t unless err is a 422 whose first error is at loc (such as
// "query", "iterator"), and returns that error's type.
func wantLoc(t *testing.T, err error, loc ...string) string {
	t.Helper()
	wantStatus(t, err, http.StatusUnprocessableEntity)
	var body struct {
		Detail []struct {
			Loc  []string
			Type string
		}
	}
	var se *svix.Error
	errors.As(err, &se)
	if json.Unmarshal(se.Body(), &body) != nil || len(body.Detail) == 0 || !slices.Equal(body.Detail[0].Loc, loc) {
		t.Fatalf("422 %s, want it at %s", se.Body(), strings.Join(loc, "."))
	}
	return body.Detail[0].Type
}

// wantCode fails t unless err is an error of this status whose body is
// {"code": code, "detail": ...}.
func wantCode(t *testing.T, err error, status int, code string) {
	t.Helper()
	wantStatus(t, err, status)
	var body struct{ Code, Detail string }
	var se *svix.Error
	errors.As(err, &se)
	if json.Unmarshal(se.Body(), &body) != nil || body.Code != code || body.Detail == "" {
		t.Fatalf("%d %s, want code %s", status, se.Body(), code)
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		var se *svix.Error
		if errors.As(err, &se) {
			t.Fatalf("%v: %s", err, se.Body())
		}
		t.Fatal(err)
	}
}

func TestSDKApplications(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()

	app, err := c.Application.Create(ctx, models.ApplicationIn{
		Name: "Acme", Uid: ptr("acme"), ThrottleRate: ptr(uint16(10)),
		Metadata: &map[string]string{"plan": "pro"},
	}, nil)
	ok(t, err)
	if !strings.HasPrefix(app.Id, "app_") || app.Name != "Acme" || *app.Uid != "acme" || *app.ThrottleRate != 10 ||
		app.Metadata["plan"] != "pro" || app.CreatedAt.IsZero() || app.UpdatedAt.IsZero() {
		t.Fatalf("created %+v", app)
	}

	byID, err := c.Application.Get(ctx, app.Id)
	ok(t, err)
	byUID, err := c.Application.Get(ctx, "acme")
	ok(t, err)
	if byID.Id != app.Id || byUID.Id != app.Id || !byID.CreatedAt.Equal(app.CreatedAt) {
		t.Fatalf("get: %+v %+v", byID, byUID)
	}

	// A taken uid is a conflict; getOrCreate returns the holder instead.
	_, err = c.Application.Create(ctx, models.ApplicationIn{Name: "Again", Uid: ptr("acme")}, nil)
	wantStatus(t, err, http.StatusConflict)
	same, err := c.Application.GetOrCreate(ctx, models.ApplicationIn{Name: "Again", Uid: ptr("acme")}, nil)
	ok(t, err)
	if same.Id != app.Id || same.Name != "Acme" {
		t.Fatalf("getOrCreate of a taken uid: %+v", same)
	}
	fresh, err := c.Application.GetOrCreate(ctx, models.ApplicationIn{Name: "Fresh", Uid: ptr("fresh")}, nil)
	ok(t, err)
	if fresh.Id == app.Id || fresh.Name != "Fresh" {
		t.Fatalf("getOrCreate of a free uid: %+v", fresh)
	}

	// PUT replaces; PUT of a free uid creates.
	upd, err := c.Application.Update(ctx, "acme", models.ApplicationIn{Name: "Acme Inc", Uid: ptr("acme")})
	ok(t, err)
	if upd.Id != app.Id || upd.Name != "Acme Inc" || upd.ThrottleRate != nil || len(upd.Metadata) != 0 {
		t.Fatalf("update: %+v", upd)
	}
	created, err := c.Application.Update(ctx, "put-made", models.ApplicationIn{Name: "Made by PUT"})
	ok(t, err)
	if created.Uid == nil || *created.Uid != "put-made" || created.Name != "Made by PUT" {
		t.Fatalf("update that creates: %+v", created)
	}

	// PATCH changes only what it holds; null clears the uid.
	patched, err := c.Application.Patch(ctx, app.Id, models.ApplicationPatch{
		Metadata: &map[string]string{"tier": "gold"}, ThrottleRate: utils.NewNullable(uint16(7)),
	})
	ok(t, err)
	if patched.Name != "Acme Inc" || patched.Metadata["tier"] != "gold" || *patched.ThrottleRate != 7 || *patched.Uid != "acme" {
		t.Fatalf("patch: %+v", patched)
	}
	patched, err = c.Application.Patch(ctx, app.Id, models.ApplicationPatch{Uid: utils.NewNullableFromPtr[string](nil)})
	ok(t, err)
	if patched.Uid != nil || patched.Name != "Acme Inc" {
		t.Fatalf("patch uid null: %+v", patched)
	}
	_, err = c.Application.Get(ctx, "acme")
	wantStatus(t, err, http.StatusNotFound)

	// List in pages of two, forwards, collects every application once, in
	// creation order.
	var want []string
	for _, a := range []*models.ApplicationOut{app, fresh, created} {
		want = append(want, a.Id)
	}
	for i := range 4 {
		a, err := c.Application.Create(ctx, models.ApplicationIn{Name: "n" + string(rune('a'+i))}, nil)
		ok(t, err)
		want = append(want, a.Id)
	}
	var got []string
	var iter *string
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		l, err := c.Application.List(ctx, &svix.ApplicationListOptions{Limit: ptr(uint64(2)), Iterator: iter})
		ok(t, err)
		if len(l.Data) > 2 {
			t.Fatalf("page of %d items with limit 2", len(l.Data))
		}
		for _, a := range l.Data {
			got = append(got, a.Id)
		}
		if l.Done {
			break
		}
		iter = l.Iterator
	}
	if !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	desc, err := c.Application.List(ctx, &svix.ApplicationListOptions{Order: ptr(models.ORDERING_DESCENDING), Limit: ptr(uint64(250))})
	ok(t, err)
	if len(desc.Data) != len(want) || desc.Data[0].Id != want[len(want)-1] || !desc.Done {
		t.Fatalf("descending list starts with %s, want %s", desc.Data[0].Id, want[len(want)-1])
	}

	ok(t, c.Application.Delete(ctx, app.Id))
	_, err = c.Application.Get(ctx, app.Id)
	wantStatus(t, err, http.StatusNotFound)
	wantStatus(t, c.Application.Delete(ctx, app.Id), http.StatusNotFound)
}

func TestSDKEventTypes(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()

	schema := map[string]any{"1": map[string]any{"type": "object", "examples": []any{map[string]any{"invoice": "in_1"}}}}
	et, err := c.EventType.Create(ctx, models.EventTypeIn{Name: "invoice.paid", Description: "An invoice was paid", Schemas: &schema}, nil)
	ok(t, err)
	if et.Name != "invoice.paid" || et.Description != "An invoice was paid" || et.Deprecated || et.Schemas == nil || et.CreatedAt.IsZero() {
		t.Fatalf("created %+v", et)
	}
	_, err = c.EventType.Create(ctx, models.EventTypeIn{Name: "invoice.paid", Description: "twice"}, nil)
	wantStatus(t, err, http.StatusConflict)
	_, err = c.EventType.Create(ctx, models.EventTypeIn{Name: "bad name!", Description: "x"}, nil)
	wantStatus(t, err, http.StatusUnprocessableEntity)

	got, err := c.EventType.Get(ctx, "invoice.paid")
	ok(t, err)
	if (*got.Schemas)["1"] == nil {
		t.Fatalf("get lost the schemas: %+v", got)
	}
	_, err = c.EventType.Get(ctx, "no.such")
	wantStatus(t, err, http.StatusNotFound)

	upd, err := c.EventType.Update(ctx, "invoice.paid", models.EventTypeUpdate{Description: "Paid", Deprecated: ptr(true)})
	ok(t, err)
	if upd.Description != "Paid" || !upd.Deprecated || upd.Schemas != nil {
		t.Fatalf("update: %+v", upd)
	}
	made, err := c.EventType.Update(ctx, "invoice.voided", models.EventTypeUpdate{Description: "Voided"})
	ok(t, err)
	if made.Name != "invoice.voided" {
		t.Fatalf("update that creates: %+v", made)
	}
	patched, err := c.EventType.Patch(ctx, "invoice.paid", models.EventTypePatch{
		Schemas: utils.NewNullable(schema), FeatureFlag: utils.NewNullable("beta"),
	})
	ok(t, err)
	if patched.Description != "Paid" || patched.Schemas == nil || patched.FeatureFlag == nil || *patched.FeatureFlag != "beta" {
		t.Fatalf("patch: %+v", patched)
	}

	list, err := c.EventType.List(ctx, nil)
	ok(t, err)
	if len(list.Data) != 2 || list.Data[0].Name != "invoice.paid" || list.Data[0].Schemas != nil || !list.Done {
		t.Fatalf("list: %+v", list)
	}
	list, err = c.EventType.List(ctx, &svix.EventTypeListOptions{WithContent: ptr(true), Limit: ptr(uint64(1))})
	ok(t, err)
	if len(list.Data) != 1 || list.Data[0].Schemas == nil || list.Done {
		t.Fatalf("list with content, limit 1: %+v", list)
	}
	list, err = c.EventType.List(ctx, &svix.EventTypeListOptions{Iterator: list.Iterator})
	ok(t, err)
	if len(list.Data) != 1 || list.Data[0].Name != "invoice.voided" || !list.Done {
		t.Fatalf("second page: %+v", list)
	}

	// Delete archives; expunge removes.
	ok(t, c.EventType.Delete(ctx, "invoice.voided", nil))
	arch, err := c.EventType.Get(ctx, "invoice.voided")
	ok(t, err)
	if arch.Archived == nil || !*arch.Archived {
		t.Fatalf("deleted event type is not archived: %+v", arch)
	}
	list, err = c.EventType.List(ctx, nil)
	ok(t, err)
	if len(list.Data) != 1 {
		t.Fatalf("archived event type listed: %+v", list.Data)
	}
	list, err = c.EventType.List(ctx, &svix.EventTypeListOptions{IncludeArchived: ptr(true)})
	ok(t, err)
	if len(list.Data) != 2 {
		t.Fatalf("include_archived lists %d", len(list.Data))
	}
	ok(t, c.EventType.Delete(ctx, "invoice.voided", &svix.EventTypeDeleteOptions{Expunge: ptr(true)}))
	_, err = c.EventType.Get(ctx, "invoice.voided")
	wantStatus(t, err, http.StatusNotFound)
}

// TestSDKEventTypeGroupName: an event type's groupName is stored, read back
// in its lists, replaced by an update, changed and cleared by a patch; a
// bad one is a 422 at body.groupName.
func TestSDKEventTypeGroupName(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	group := func(et *models.EventTypeOut) string {
		if et.GroupName == nil {
			return "<none>"
		}
		return *et.GroupName
	}

	et, err := c.EventType.Create(ctx, models.EventTypeIn{Name: "user.signup", Description: "x", GroupName: ptr("user")}, nil)
	ok(t, err)
	if group(et) != "user" {
		t.Fatalf("created with groupName user: %q", group(et))
	}
	_, err = c.EventType.Create(ctx, models.EventTypeIn{Name: "user.left", Description: "x", GroupName: ptr("no group!")}, nil)
	wantField(t, err, "groupName")

	et, err = c.EventType.Get(ctx, "user.signup")
	ok(t, err)
	list, err := c.EventType.List(ctx, nil)
	ok(t, err)
	if group(et) != "user" || len(list.Data) != 1 || group(&list.Data[0]) != "user" {
		t.Fatalf("read back: get %q, list %+v", group(et), list.Data)
	}

	et, err = c.EventType.Patch(ctx, "user.signup", models.EventTypePatch{Description: ptr("y")})
	ok(t, err)
	if group(et) != "user" {
		t.Fatalf("a patch without groupName changed it to %q", group(et))
	}
	et, err = c.EventType.Patch(ctx, "user.signup", models.EventTypePatch{GroupName: utils.NewNullable("account")})
	ok(t, err)
	if got, _ := c.EventType.Get(ctx, "user.signup"); group(et) != "account" || group(got) != "account" {
		t.Fatalf("patched to account: %q, reads back %q", group(et), group(got))
	}
	et, err = c.EventType.Update(ctx, "user.signup", models.EventTypeUpdate{Description: "z", GroupName: ptr("people")})
	ok(t, err)
	if group(et) != "people" {
		t.Fatalf("updated to people: %q", group(et))
	}
	et, err = c.EventType.Patch(ctx, "user.signup", models.EventTypePatch{GroupName: utils.NewNullableFromPtr[string](nil)})
	ok(t, err)
	if got, _ := c.EventType.Get(ctx, "user.signup"); group(et) != "<none>" || group(got) != "<none>" {
		t.Fatalf("patched to null: %q, reads back %q", group(et), group(got))
	}
}

func TestSDKEndpoints(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "A", Uid: ptr("a")}, nil)
	ok(t, err)
	eventTypes(t, c, "invoice.paid", "a.b", "c.d")

	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	ep, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{
		Url: "https://example.com/hook", Uid: ptr("main"), Description: ptr("Main"),
		FilterTypes: []string{"invoice.paid"}, Channels: []string{"eu"}, Secret: &secret,
		Headers:  &map[string]string{"X-Team": "billing", "Authorization": "Bearer s3cr3t"},
		Metadata: &map[string]string{"k": "v"}, ThrottleRate: ptr(uint16(5)),
	}, nil)
	ok(t, err)
	if !strings.HasPrefix(ep.Id, "ep_") || ep.Url != "https://example.com/hook" || *ep.Uid != "main" || ep.Description != "Main" ||
		!slices.Equal(ep.FilterTypes, []string{"invoice.paid"}) || !slices.Equal(ep.Channels, []string{"eu"}) ||
		ep.Metadata["k"] != "v" || *ep.ThrottleRate != 5 || ep.Version != 1 || (ep.Disabled != nil && *ep.Disabled) {
		t.Fatalf("created %+v", ep)
	}
	_, err = c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://example.com/2", Uid: ptr("main")}, nil)
	wantStatus(t, err, http.StatusConflict)
	_, err = c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "ftp://example.com/"}, nil)
	wantStatus(t, err, http.StatusUnprocessableEntity)

	got, err := c.Endpoint.Get(ctx, "a", "main")
	ok(t, err)
	if got.Id != ep.Id {
		t.Fatalf("get by uids: %+v", got)
	}
	sec, err := c.Endpoint.GetSecret(ctx, app.Id, ep.Id)
	ok(t, err)
	if sec.Key != secret {
		t.Fatalf("secret %q, want %q", sec.Key, secret)
	}

	// Headers: credentials are named, not shown.
	h, err := c.Endpoint.GetHeaders(ctx, app.Id, ep.Id)
	ok(t, err)
	if !reflect.DeepEqual(h.Headers, map[string]string{"X-Team": "billing"}) || !slices.Equal(h.Sensitive, []string{"Authorization"}) {
		t.Fatalf("headers %+v", h)
	}
	ok(t, c.Endpoint.UpdateHeaders(ctx, app.Id, ep.Id, models.EndpointHeadersIn{Headers: map[string]string{"X-One": "1", "X-Api-Key": "k"}}))
	ok(t, c.Endpoint.PatchHeaders(ctx, app.Id, ep.Id, models.EndpointHeadersPatchIn{Headers: map[string]string{"X-Two": "2"}, DeleteHeaders: []string{"x-one"}}))
	h, err = c.Endpoint.GetHeaders(ctx, app.Id, ep.Id)
	ok(t, err)
	if !reflect.DeepEqual(h.Headers, map[string]string{"X-Two": "2"}) || !slices.Equal(h.Sensitive, []string{"X-Api-Key"}) {
		t.Fatalf("headers after update and patch %+v", h)
	}
	stored, err := e.store.Endpoint(ctx, app.Id, ep.Id)
	ok(t, err)
	if !reflect.DeepEqual(stored.Headers, map[string]string{"X-Two": "2", "X-Api-Key": "k"}) {
		t.Fatalf("stored headers %v", stored.Headers)
	}
	err = c.Endpoint.UpdateHeaders(ctx, app.Id, ep.Id, models.EndpointHeadersIn{Headers: map[string]string{"Host": "evil"}})
	wantStatus(t, err, http.StatusUnprocessableEntity)
	// The prefixes svix-server reserves, in any case, on create, PUT and
	// PATCH of the headers: 422 naming the header, and nothing stored.
	for _, name := range []string{"X-Svix-Foo", "x-amzn-trace-id"} {
		reserved := map[string]string{name: "x"}
		_, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://example.com/reserved", Headers: &reserved}, nil)
		wantField(t, err, "headers", name)
		wantField(t, c.Endpoint.UpdateHeaders(ctx, app.Id, ep.Id, models.EndpointHeadersIn{Headers: reserved}), "headers", name)
		wantField(t, c.Endpoint.PatchHeaders(ctx, app.Id, ep.Id, models.EndpointHeadersPatchIn{Headers: reserved}), "headers", name)
	}
	if stored, err := e.store.Endpoint(ctx, app.Id, ep.Id); err != nil || len(stored.Headers) != 2 {
		t.Fatalf("stored headers after the refused ones: %v, %v", stored, err)
	}
	if list, err := c.Endpoint.List(ctx, app.Id, nil); err != nil || len(list.Data) != 1 {
		t.Fatalf("endpoints after the refused ones: %v, %v", list, err)
	}

	// PUT replaces the settings and keeps secret and headers.
	upd, err := c.Endpoint.Update(ctx, app.Id, ep.Id, models.EndpointUpdate{Url: "https://example.com/v2", Uid: ptr("main"), Disabled: ptr(true)})
	ok(t, err)
	if upd.Url != "https://example.com/v2" || upd.FilterTypes != nil || upd.Channels != nil || upd.Description != "" ||
		upd.Disabled == nil || !*upd.Disabled || upd.ThrottleRate != nil {
		t.Fatalf("update: %+v", upd)
	}
	sec, err = c.Endpoint.GetSecret(ctx, app.Id, ep.Id)
	ok(t, err)
	if sec.Key != secret {
		t.Fatal("update changed the secret")
	}
	made, err := c.Endpoint.Update(ctx, app.Id, "by-put", models.EndpointUpdate{Url: "https://example.com/put"})
	ok(t, err)
	if made.Uid == nil || *made.Uid != "by-put" {
		t.Fatalf("update that creates: %+v", made)
	}

	// PATCH: only what it holds.
	patched, err := c.Endpoint.Patch(ctx, app.Id, ep.Id, models.EndpointPatch{
		Description: ptr("Patched"), FilterTypes: utils.NewNullable([]string{"a.b", "c.d"}), Disabled: ptr(false),
	})
	ok(t, err)
	if patched.Description != "Patched" || patched.Url != "https://example.com/v2" || !slices.Equal(patched.FilterTypes, []string{"a.b", "c.d"}) ||
		(patched.Disabled != nil && *patched.Disabled) {
		t.Fatalf("patch: %+v", patched)
	}
	patched, err = c.Endpoint.Patch(ctx, app.Id, ep.Id, models.EndpointPatch{FilterTypes: utils.NewNullableFromPtr[[]string](nil)})
	ok(t, err)
	if patched.FilterTypes != nil || patched.Description != "Patched" {
		t.Fatalf("patch filterTypes null: %+v", patched)
	}

	// Rotate: a new generated secret, then a given one.
	ok(t, c.Endpoint.RotateSecret(ctx, app.Id, ep.Id, models.EndpointSecretRotateIn{}, nil))
	sec2, err := c.Endpoint.GetSecret(ctx, app.Id, ep.Id)
	ok(t, err)
	if sec2.Key == secret || !strings.HasPrefix(sec2.Key, "whsec_") {
		t.Fatalf("rotated secret %q", sec2.Key)
	}
	given := "whsec_" + strings.Repeat("QUJD", 8)
	ok(t, c.Endpoint.RotateSecret(ctx, app.Id, ep.Id, models.EndpointSecretRotateIn{Key: &given}, nil))
	sec3, err := c.Endpoint.GetSecret(ctx, app.Id, ep.Id)
	ok(t, err)
	if sec3.Key != given {
		t.Fatalf("rotated to %q, want %q", sec3.Key, given)
	}

	// A message makes a pending delivery, which stats count.
	_, err = c.Message.Create(ctx, app.Id, models.MessageIn{EventType: "a.b", Payload: map[string]any{"n": 1}}, nil)
	ok(t, err)
	st, err := c.Endpoint.GetStats(ctx, app.Id, ep.Id, nil)
	ok(t, err)
	if st.Pending != 1 || st.Success != 0 || st.Fail != 0 || st.Sending != 0 {
		t.Fatalf("stats %+v", st)
	}

	// At most 14 days back, as svix-server allows.
	_, err = c.Endpoint.Recover(ctx, app.Id, ep.Id, models.RecoverIn{Since: time.Now().AddDate(0, 0, -15)}, nil)
	wantStatus(t, err, http.StatusUnprocessableEntity)
	rec, err := c.Endpoint.Recover(ctx, app.Id, ep.Id, models.RecoverIn{Since: time.Now().AddDate(0, 0, -14)}, nil)
	ok(t, err)
	if !strings.HasPrefix(rec.Id, "qtask_") || rec.Status != models.BACKGROUNDTASKSTATUS_RUNNING ||
		rec.Task != models.BACKGROUNDTASKTYPE_ENDPOINT_RECOVER || rec.UpdatedAt.IsZero() {
		t.Fatalf("recover %+v", rec)
	}

	// Newest first by default, as svix-server lists them.
	list, err := c.Endpoint.List(ctx, app.Id, nil)
	ok(t, err)
	if len(list.Data) != 2 || list.Data[0].Id != made.Id || list.Data[1].Id != ep.Id || !list.Done {
		t.Fatalf("list %+v", list)
	}
	list, err = c.Endpoint.List(ctx, app.Id, &svix.EndpointListOptions{Limit: ptr(uint64(1)), Order: ptr(models.ORDERING_ASCENDING)})
	ok(t, err)
	if len(list.Data) != 1 || list.Data[0].Id != ep.Id || list.Done {
		t.Fatalf("list ascending limit 1 %+v", list)
	}

	ok(t, c.Endpoint.Delete(ctx, app.Id, ep.Id))
	_, err = c.Endpoint.Get(ctx, app.Id, ep.Id)
	wantStatus(t, err, http.StatusNotFound)
}

func TestSDKMessages(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "A", Uid: ptr("shop")}, nil)
	ok(t, err)

	deliverAt := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second) // within the payload's retention
	m1, err := c.Message.Create(ctx, "shop", models.MessageIn{
		EventType: "order.created", EventId: ptr("evt-1"), Channels: []string{"eu"}, Tags: []string{"vip"},
		Payload: map[string]any{"order": "o1", "total": 10.5}, DeliverAt: &deliverAt,
	}, nil)
	ok(t, err)
	if !strings.HasPrefix(m1.Id, "msg_") || m1.EventType != "order.created" || *m1.EventId != "evt-1" ||
		!slices.Equal(m1.Channels, []string{"eu"}) || !slices.Equal(m1.Tags, []string{"vip"}) ||
		m1.Payload["order"] != "o1" || m1.DeliverAt == nil || !m1.DeliverAt.Equal(deliverAt) || m1.Timestamp.IsZero() {
		t.Fatalf("created %+v", m1)
	}
	stored, err := e.store.Message(ctx, app.Id, m1.Id)
	ok(t, err)
	if stored.DeliverAt == nil || !stored.DeliverAt.Equal(deliverAt) {
		t.Fatalf("stored deliverAt %v", stored.DeliverAt)
	}

	_, err = c.Message.Create(ctx, app.Id, models.MessageIn{EventType: "order.created", EventId: ptr("evt-1"), Payload: map[string]any{}}, nil)
	wantStatus(t, err, http.StatusConflict)
	_, err = c.Message.Create(ctx, app.Id, models.MessageIn{EventType: "bad type!", Payload: map[string]any{}}, nil)
	wantStatus(t, err, http.StatusUnprocessableEntity)

	m2, err := c.Message.Create(ctx, app.Id, models.MessageIn{EventType: "order.paid", Channels: []string{"us"}, Payload: map[string]any{"order": "o1"}}, nil)
	ok(t, err)
	m3, err := c.Message.Create(ctx, app.Id, models.MessageIn{EventType: "order.created", Tags: []string{"vip"}, Payload: map[string]any{"order": "o2"}}, nil)
	ok(t, err)

	byEvent, err := c.Message.Get(ctx, "shop", "evt-1", nil)
	ok(t, err)
	if byEvent.Id != m1.Id || byEvent.Payload["total"] != 10.5 {
		t.Fatalf("get by eventId %+v", byEvent)
	}
	noContent, err := c.Message.Get(ctx, app.Id, m1.Id, &svix.MessageGetOptions{WithContent: ptr(false)})
	ok(t, err)
	if len(noContent.Payload) != 0 {
		t.Fatalf("with_content=false returned payload %v", noContent.Payload)
	}

	ids := func(l *models.ListResponseMessageOut) []string {
		var out []string
		for _, m := range l.Data {
			out = append(out, m.Id)
		}
		return out
	}
	all, err := c.Message.List(ctx, app.Id, nil)
	ok(t, err)
	if !slices.Equal(ids(all), []string{m3.Id, m2.Id, m1.Id}) || !all.Done {
		t.Fatalf("list (newest first) %v", ids(all))
	}
	for name, tc := range map[string]struct {
		o    svix.MessageListOptions
		want []string
	}{
		"event_types": {svix.MessageListOptions{EventTypes: &[]string{"order.created"}}, []string{m3.Id, m1.Id}},
		"two types":   {svix.MessageListOptions{EventTypes: &[]string{"order.created", "order.paid"}}, []string{m3.Id, m2.Id, m1.Id}},
		"channel":     {svix.MessageListOptions{Channel: ptr("us")}, []string{m2.Id}},
		"tag":         {svix.MessageListOptions{Tag: ptr("vip")}, []string{m3.Id, m1.Id}},
		"before":      {svix.MessageListOptions{Before: ptr(m3.Timestamp.Add(time.Second))}, []string{m3.Id, m2.Id, m1.Id}},
		"after":       {svix.MessageListOptions{After: ptr(m3.Timestamp.Add(time.Second))}, nil},
		"limit":       {svix.MessageListOptions{Limit: ptr(uint64(1))}, []string{m3.Id}},
		"iterator":    {svix.MessageListOptions{Iterator: &m3.Id}, []string{m2.Id, m1.Id}},
	} {
		l, err := c.Message.List(ctx, app.Id, &tc.o)
		ok(t, err)
		if !slices.Equal(ids(l), tc.want) {
			t.Errorf("%s: listed %v, want %v", name, ids(l), tc.want)
		}
	}
	l, err := c.Message.List(ctx, app.Id, &svix.MessageListOptions{WithContent: ptr(false)})
	ok(t, err)
	if len(l.Data[0].Payload) != 0 {
		t.Fatal("list with_content=false returned payloads")
	}

	ok(t, c.Message.ExpungeContent(ctx, app.Id, m1.Id))
	gone, err := c.Message.Get(ctx, app.Id, m1.Id, nil)
	ok(t, err)
	if len(gone.Payload) != 1 || gone.Payload["expired"] != true {
		t.Fatalf("payload after expunge %v, want svix-server's {\"expired\": true}", gone.Payload)
	}
	wantStatus(t, c.Message.ExpungeContent(ctx, app.Id, "msg_nope"), http.StatusNotFound)
	_, err = c.Message.Get(ctx, app.Id, "msg_nope", nil)
	wantStatus(t, err, http.StatusNotFound)

	// application in MessageIn creates the application of the path.
	m4, err := c.Message.Create(ctx, "new-shop", models.MessageIn{
		EventType: "x.y", Payload: map[string]any{"a": 1}, Application: &models.ApplicationIn{Name: "New Shop", Uid: ptr("new-shop")},
	}, nil)
	ok(t, err)
	newApp, err := c.Application.Get(ctx, "new-shop")
	ok(t, err)
	if newApp.Name != "New Shop" {
		t.Fatalf("application made with the message: %+v", newApp)
	}
	if _, err := c.Message.Get(ctx, "new-shop", m4.Id, nil); err != nil {
		t.Fatal(err)
	}
	_, err = c.Message.Create(ctx, "missing-shop", models.MessageIn{EventType: "x.y", Payload: map[string]any{}}, nil)
	wantStatus(t, err, http.StatusNotFound)
}

// attemptOnce plays a dispatcher through the real store: it claims the due
// deliveries and records one attempt for each with the given outcome.
func attemptOnce(t *testing.T, st hookline.Store, status hookline.Status, code int, response string) []*hookline.Task {
	t.Helper()
	ctx := context.Background()
	tasks, err := st.ClaimDue(ctx, "test", time.Now(), time.Minute, 100)
	ok(t, err)
	var outs []hookline.Outcome
	for _, tk := range tasks {
		outs = append(outs, hookline.Outcome{
			DeliveryID: tk.Delivery.ID, Status: status, Attempts: tk.Delivery.Attempts + 1,
			Attempt: hookline.Attempt{
				AppID: tk.Delivery.AppID, MessageID: tk.Message.ID, EndpointID: tk.Endpoint.ID, DeliveryID: tk.Delivery.ID,
				URL: tk.Endpoint.URL, Status: status, StatusCode: code, Response: response, DurationMS: 12,
				Trigger: tk.Delivery.Trigger,
			},
		})
	}
	ok(t, st.Complete(ctx, "test", outs))
	return tasks
}

// TestSDKAttemptListsByTag: the tag filter of the lists of an endpoint's
// attempts, a message's attempts and an endpoint's messages keeps what
// belongs to the messages with that tag.
func TestSDKAttemptListsByTag(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "A"}, nil)
	ok(t, err)
	_, err = c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://one.example.com/", Uid: ptr("one")}, nil)
	ok(t, err)
	vip, err := c.Message.Create(ctx, app.Id, models.MessageIn{EventType: "user.created", Tags: []string{"vip", "eu"}, Payload: map[string]any{}}, nil)
	ok(t, err)
	plain, err := c.Message.Create(ctx, app.Id, models.MessageIn{EventType: "user.created", Tags: []string{"eu"}, Payload: map[string]any{}}, nil)
	ok(t, err)
	tasks := attemptOnce(t, e.store, hookline.StatusFail, 500, "down")
	if len(tasks) != 2 {
		t.Fatalf("%d attempts, want 2", len(tasks))
	}
	for tag, want := range map[string][]string{"vip": {vip.Id}, "eu": {plain.Id, vip.Id}, "none": nil} {
		byEndpoint, err := c.MessageAttempt.ListByEndpoint(ctx, app.Id, "one", &svix.MessageAttemptListByEndpointOptions{Tag: ptr(tag)})
		ok(t, err)
		var got []string
		for _, a := range byEndpoint.Data {
			got = append(got, a.MsgId)
		}
		if !slices.Equal(got, want) {
			t.Errorf("the endpoint's attempts with tag %s are of %v, want %v", tag, got, want)
		}
		sent, err := c.MessageAttempt.ListAttemptedMessages(ctx, app.Id, "one", &svix.MessageAttemptListAttemptedMessagesOptions{Tag: ptr(tag)})
		ok(t, err)
		got = nil
		for _, m := range sent.Data {
			got = append(got, m.Id)
		}
		if !slices.Equal(got, want) {
			t.Errorf("the endpoint's messages with tag %s are %v, want %v", tag, got, want)
		}
		for _, m := range []*models.MessageOut{vip, plain} {
			byMsg, err := c.MessageAttempt.ListByMsg(ctx, app.Id, m.Id, &svix.MessageAttemptListByMsgOptions{Tag: ptr(tag)})
			ok(t, err)
			wantN := 0
			if slices.Contains(want, m.Id) {
				wantN = 1
			}
			if len(byMsg.Data) != wantN {
				t.Errorf("message %s (tags %v) has %d attempts with tag %s, want %d", m.Id, m.Tags, len(byMsg.Data), tag, wantN)
			}
		}
	}
}

func TestSDKAttempts(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "A"}, nil)
	ok(t, err)
	ep1, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://one.example.com/", Uid: ptr("one")}, nil)
	ok(t, err)
	eventTypes(t, c, "other.type")
	ep2, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://two.example.com/", FilterTypes: []string{"other.type"}}, nil)
	ok(t, err)
	msg, err := c.Message.Create(ctx, app.Id, models.MessageIn{EventType: "user.created", Channels: []string{"c1"}, Payload: map[string]any{"u": 1}}, nil)
	ok(t, err)

	// Without a dispatcher the delivery is pending and there is no attempt.
	dests, err := c.MessageAttempt.ListAttemptedDestinations(ctx, app.Id, msg.Id, nil)
	ok(t, err)
	if len(dests.Data) != 1 || dests.Data[0].Id != ep1.Id || dests.Data[0].Status != models.MESSAGESTATUS_PENDING ||
		dests.Data[0].StatusText != models.MESSAGESTATUSTEXT_PENDING || dests.Data[0].Url != ep1.Url || dests.Data[0].NextAttempt == nil {
		t.Fatalf("destinations %+v", dests)
	}
	sent, err := c.MessageAttempt.ListAttemptedMessages(ctx, app.Id, "one", nil)
	ok(t, err)
	if len(sent.Data) != 1 || sent.Data[0].Id != msg.Id || sent.Data[0].Status != models.MESSAGESTATUS_PENDING || sent.Data[0].Payload["u"] != 1.0 {
		t.Fatalf("attempted messages %+v", sent)
	}
	none, err := c.MessageAttempt.ListByMsg(ctx, app.Id, msg.Id, nil)
	ok(t, err)
	if len(none.Data) != 0 || !none.Done {
		t.Fatalf("attempts before any %+v", none)
	}

	// One failed attempt, recorded through the store as a dispatcher does.
	attemptOnce(t, e.store, hookline.StatusFail, 500, "boom")
	byMsg, err := c.MessageAttempt.ListByMsg(ctx, app.Id, msg.Id, nil)
	ok(t, err)
	if len(byMsg.Data) != 1 {
		t.Fatalf("attempts by message %+v", byMsg)
	}
	a := byMsg.Data[0]
	if !strings.HasPrefix(a.Id, "atmpt_") || a.MsgId != msg.Id || a.EndpointId != ep1.Id || a.Url != ep1.Url ||
		a.ResponseStatusCode != 500 || a.Response != "boom" || a.ResponseDurationMs != 12 ||
		a.Status != models.MESSAGESTATUS_FAIL || a.StatusText != models.MESSAGESTATUSTEXT_FAIL ||
		a.TriggerType != models.MESSAGEATTEMPTTRIGGERTYPE_SCHEDULED || a.Timestamp.IsZero() {
		t.Fatalf("attempt %+v", a)
	}
	for name, o := range map[string]*svix.MessageAttemptListByEndpointOptions{
		"status fail":    {Status: ptr(models.MESSAGESTATUS_FAIL)},
		"5xx":            {StatusCodeClass: ptr(models.STATUSCODECLASS_CODE5XX)},
		"channel":        {Channel: ptr("c1")},
		"event type":     {EventTypes: &[]string{"user.created"}},
		"with msg":       {WithMsg: ptr(true)},
		"with content 0": {WithContent: ptr(false)},
	} {
		l, err := c.MessageAttempt.ListByEndpoint(ctx, app.Id, ep1.Id, o)
		ok(t, err)
		if len(l.Data) != 1 || l.Data[0].Id != a.Id {
			t.Errorf("%s: %+v", name, l)
		}
	}
	for name, o := range map[string]*svix.MessageAttemptListByEndpointOptions{
		"status success": {Status: ptr(models.MESSAGESTATUS_SUCCESS)},
		"2xx":            {StatusCodeClass: ptr(models.STATUSCODECLASS_CODE2XX)},
		"channel":        {Channel: ptr("c2")},
		"event type":     {EventTypes: &[]string{"user.deleted"}},
	} {
		l, err := c.MessageAttempt.ListByEndpoint(ctx, app.Id, ep1.Id, o)
		ok(t, err)
		if len(l.Data) != 0 {
			t.Errorf("%s: %+v", name, l)
		}
	}
	withMsg, err := c.MessageAttempt.ListByEndpoint(ctx, app.Id, ep1.Id, &svix.MessageAttemptListByEndpointOptions{WithMsg: ptr(true), WithContent: ptr(false)})
	ok(t, err)
	if m := withMsg.Data[0].Msg; m == nil || m.Id != msg.Id || m.EventType != "user.created" || withMsg.Data[0].Response != "" {
		t.Fatalf("with_msg, without content: %+v", withMsg.Data[0])
	}
	l, err := c.MessageAttempt.ListByMsg(ctx, app.Id, msg.Id, &svix.MessageAttemptListByMsgOptions{EndpointId: &ep2.Id})
	ok(t, err)
	if len(l.Data) != 0 {
		t.Fatalf("attempts filtered by another endpoint %+v", l)
	}

	got, err := c.MessageAttempt.Get(ctx, app.Id, msg.Id, a.Id, nil)
	ok(t, err)
	if got.Id != a.Id || got.Response != "boom" {
		t.Fatalf("get %+v", got)
	}
	_, err = c.MessageAttempt.Get(ctx, app.Id, msg.Id, "atmpt_nope", nil)
	wantStatus(t, err, http.StatusNotFound)
	ok(t, c.MessageAttempt.ExpungeContent(ctx, app.Id, msg.Id, a.Id))
	got, err = c.MessageAttempt.Get(ctx, app.Id, msg.Id, a.Id, nil)
	ok(t, err)
	if got.Response != "EXPUNGED" {
		t.Fatalf("response after expunge %q, want svix-server's EXPUNGED", got.Response)
	}

	// The delivery failed; resend makes it pending again, with a manual trigger.
	dests, err = c.MessageAttempt.ListAttemptedDestinations(ctx, app.Id, msg.Id, nil)
	ok(t, err)
	if dests.Data[0].Status != models.MESSAGESTATUS_FAIL {
		t.Fatalf("delivery after a failed final attempt: %+v", dests.Data[0])
	}
	_, err = c.MessageAttempt.Resend(ctx, app.Id, msg.Id, ep1.Id, nil)
	ok(t, err)
	dests, err = c.MessageAttempt.ListAttemptedDestinations(ctx, app.Id, msg.Id, nil)
	ok(t, err)
	if dests.Data[0].Status != models.MESSAGESTATUS_PENDING {
		t.Fatalf("delivery after resend: %+v", dests.Data[0])
	}
	tasks := attemptOnce(t, e.store, hookline.StatusSuccess, 200, "ok")
	if len(tasks) != 1 || tasks[0].Delivery.Trigger != hookline.TriggerManual {
		t.Fatalf("resend made %d tasks", len(tasks))
	}
	sent, err = c.MessageAttempt.ListAttemptedMessages(ctx, app.Id, ep1.Id, &svix.MessageAttemptListAttemptedMessagesOptions{Status: ptr(models.MESSAGESTATUS_SUCCESS)})
	ok(t, err)
	if len(sent.Data) != 1 || sent.Data[0].StatusText != models.MESSAGESTATUSTEXT_SUCCESS {
		t.Fatalf("attempted messages after success: %+v", sent)
	}
	byMsg, err = c.MessageAttempt.ListByMsg(ctx, app.Id, msg.Id, nil)
	ok(t, err)
	if len(byMsg.Data) != 2 || byMsg.Data[0].TriggerType != models.MESSAGEATTEMPTTRIGGERTYPE_MANUAL || byMsg.Data[0].Status != models.MESSAGESTATUS_SUCCESS {
		t.Fatalf("attempts after resend, newest first: %+v", byMsg.Data)
	}
	_, err = c.MessageAttempt.Resend(ctx, app.Id, msg.Id, "ep_nope", nil)
	wantStatus(t, err, http.StatusNotFound)

	// Recover makes a failed delivery pending again.
	msg2, err := c.Message.Create(ctx, app.Id, models.MessageIn{EventType: "user.created", Payload: map[string]any{}}, nil)
	ok(t, err)
	attemptOnce(t, e.store, hookline.StatusFail, 0, "connection refused")
	_, err = c.Endpoint.Recover(ctx, app.Id, ep1.Id, models.RecoverIn{Since: msg2.Timestamp.Add(-time.Second)}, nil)
	ok(t, err)
	runTasks(t, e.store)
	dests, err = c.MessageAttempt.ListAttemptedDestinations(ctx, app.Id, msg2.Id, nil)
	ok(t, err)
	if dests.Data[0].Status != models.MESSAGESTATUS_PENDING {
		t.Fatalf("delivery after recover: %+v", dests.Data[0])
	}
	st, err := c.Endpoint.GetStats(ctx, app.Id, ep1.Id, nil)
	ok(t, err)
	if st.Success != 1 || st.Pending != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSDKSendExample(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "A"}, nil)
	ok(t, err)
	schemas := map[string]any{"1": map[string]any{"examples": []any{map[string]any{"first": true}, map[string]any{"second": true}}}}
	_, err = c.EventType.Create(ctx, models.EventTypeIn{Name: "pet.adopted", Description: "d", Schemas: &schemas}, nil)
	ok(t, err)
	eventTypes(t, c, "other")
	ep, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://a.example.com/", FilterTypes: []string{"other"}}, nil)
	ok(t, err)
	_, err = c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://b.example.com/"}, nil)
	ok(t, err)

	msg, err := c.Endpoint.SendExample(ctx, app.Id, ep.Id, models.EventExampleIn{EventType: "pet.adopted", ExampleIndex: ptr(uint64(1))}, nil)
	ok(t, err)
	if msg.EventType != "pet.adopted" || msg.Payload["second"] != true {
		t.Fatalf("example %+v", msg)
	}
	// Only this endpoint gets it, although it does not subscribe to the type
	// and another endpoint subscribes to everything.
	dests, err := c.MessageAttempt.ListAttemptedDestinations(ctx, app.Id, msg.Id, nil)
	ok(t, err)
	if len(dests.Data) != 1 || dests.Data[0].Id != ep.Id {
		t.Fatalf("example went to %+v", dests.Data)
	}
	generic, err := c.Endpoint.SendExample(ctx, app.Id, ep.Id, models.EventExampleIn{EventType: "no.schema"}, nil)
	ok(t, err)
	if len(generic.Payload) == 0 {
		t.Fatal("no payload for an event type without examples")
	}
	// svix.ping needs no event type: its body is svix-server's.
	ping, err := c.Endpoint.SendExample(ctx, app.Id, ep.Id, models.EventExampleIn{EventType: "svix.ping"}, nil)
	ok(t, err)
	stored, err := e.store.Message(ctx, app.Id, ping.Id)
	ok(t, err)
	if string(stored.Payload) != `{"success": true}` || ping.Payload["success"] != true {
		t.Fatalf("svix.ping payload %s", stored.Payload)
	}
}

func TestSDKAuthentication(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	mine, err := c.Application.Create(ctx, models.ApplicationIn{Name: "Mine"}, nil)
	ok(t, err)
	other, err := c.Application.Create(ctx, models.ApplicationIn{Name: "Other"}, nil)
	ok(t, err)
	_, err = c.Endpoint.Create(ctx, other.Id, models.EndpointIn{Url: "https://other.example.com/"}, nil)
	ok(t, err)

	access, err := c.Authentication.AppPortalAccess(ctx, mine.Id, models.AppPortalAccessIn{}, nil)
	ok(t, err)
	if !strings.HasPrefix(access.Token, "hk_") || access.Url != "https://hooks.example.com/app-portal#token="+access.Token {
		t.Fatalf("access %+v", access)
	}
	p := e.sdk(access.Token)
	if _, err := p.Endpoint.Create(ctx, mine.Id, models.EndpointIn{Url: "https://mine.example.com/"}, nil); err != nil {
		t.Fatal(err)
	}
	eps, err := p.Endpoint.List(ctx, mine.Id, nil)
	ok(t, err)
	if len(eps.Data) != 1 {
		t.Fatalf("portal token lists %d endpoints", len(eps.Data))
	}
	_, err = p.Endpoint.List(ctx, other.Id, nil)
	wantStatus(t, err, http.StatusNotFound)
	_, err = p.Application.Get(ctx, other.Id)
	wantStatus(t, err, http.StatusNotFound)
	_, err = p.Application.List(ctx, nil)
	wantStatus(t, err, http.StatusForbidden)
	_, err = p.EventType.Create(ctx, models.EventTypeIn{Name: "x", Description: "x"}, nil)
	wantStatus(t, err, http.StatusForbidden)
	_, err = p.EventType.List(ctx, nil)
	ok(t, err)
	_, err = p.Authentication.AppPortalAccess(ctx, other.Id, models.AppPortalAccessIn{}, nil)
	wantStatus(t, err, http.StatusForbidden)

	// With application, access creates the application of the path.
	made, err := c.Authentication.AppPortalAccess(ctx, "portal-made", models.AppPortalAccessIn{Application: &models.ApplicationIn{Name: "Made", Uid: ptr("portal-made")}}, nil)
	ok(t, err)
	app, err := c.Application.Get(ctx, "portal-made")
	ok(t, err)
	if app.Name != "Made" || made.Token == access.Token {
		t.Fatalf("application made for portal access: %+v", app)
	}
	_, err = c.Authentication.AppPortalAccess(ctx, "portal-missing", models.AppPortalAccessIn{}, nil)
	wantStatus(t, err, http.StatusNotFound)

	// Logout deletes the token it is made with, and only it.
	ok(t, p.Authentication.Logout(ctx, nil))
	_, err = p.Endpoint.List(ctx, mine.Id, nil)
	wantStatus(t, err, http.StatusUnauthorized)
	_, err = c.Application.Get(ctx, mine.Id)
	ok(t, err)

	_, err = e.sdk("hk_wrong").Application.List(ctx, nil)
	wantStatus(t, err, http.StatusUnauthorized)
}

func TestSDKHealth(t *testing.T) {
	e := newEnv(t, nil, nil)
	// Health needs no valid token.
	ok(t, e.sdk("hk_not-a-token").Health.Get(context.Background()))
	ok(t, e.sdk(e.admin).Health.Get(context.Background()))
}

// TestSDKIdempotencyKey checks that the key the SDK sends is honoured.
func TestSDKIdempotencyKey(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "A"}, nil)
	ok(t, err)
	in := models.MessageIn{EventType: "a.b", Payload: map[string]any{"x": 1}}
	key := "order-42"
	m1, err := c.Message.Create(ctx, app.Id, in, &svix.MessageCreateOptions{IdempotencyKey: &key})
	ok(t, err)
	m2, err := c.Message.Create(ctx, app.Id, in, &svix.MessageCreateOptions{IdempotencyKey: &key})
	ok(t, err)
	if m1.Id != m2.Id {
		t.Fatalf("the same key made two messages: %s, %s", m1.Id, m2.Id)
	}
	l, err := c.Message.List(ctx, app.Id, nil)
	ok(t, err)
	if len(l.Data) != 1 {
		t.Fatalf("%d messages after a replay", len(l.Data))
	}
	b, _ := json.Marshal(m2)
	if !strings.Contains(string(b), m1.Id) {
		t.Fatal("replay lost the message id")
	}
}

// TestSDKSecretRotationGracePeriod rotates through the SDK: during the grace
// period a delivery signed with every signing secret verifies with the Svix
// SDK's verifier under the old secret and under the new one.
func TestSDKSecretRotationGracePeriod(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "A"}, nil)
	ok(t, err)
	ep, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://user:s3cret-pw@example.com/hook"}, nil)
	ok(t, err)
	if ep.Url != "https://user:xxxxx@example.com/hook" {
		t.Fatalf("the SDK sees the URL %q", ep.Url)
	}
	old, err := c.Endpoint.GetSecret(ctx, app.Id, ep.Id)
	ok(t, err)

	grace := uint32(3600)
	ok(t, c.Endpoint.RotateSecret(ctx, app.Id, ep.Id, models.EndpointSecretRotateIn{GracePeriodSeconds: &grace}, nil))
	cur, err := c.Endpoint.GetSecret(ctx, app.Id, ep.Id)
	ok(t, err)
	stored, err := e.store.Endpoint(ctx, app.Id, ep.Id)
	ok(t, err)
	now := time.Now()
	secrets := stored.SigningSecrets(now)
	if len(secrets) != 2 || secrets[1].Expires.After(now.Add(time.Hour)) || secrets[1].Expires.Before(now.Add(59*time.Minute)) {
		t.Fatalf("signing secrets after a rotation with a grace period of an hour: %+v", secrets)
	}
	var sigs []signature.Secret
	for _, s := range secrets {
		sec, err := signature.NewHMACSecret(s.Key)
		ok(t, err)
		sigs = append(sigs, sec)
	}
	payload := []byte(`{"n":1}`)
	header, err := signature.SignatureHeader("msg_rot", now, payload, sigs...)
	ok(t, err)
	h := http.Header{}
	h.Set("webhook-id", "msg_rot")
	h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set("webhook-signature", header)
	for name, key := range map[string]string{"old": old.Key, "new": cur.Key} {
		wh, err := svix.NewWebhook(key)
		ok(t, err)
		if err := wh.Verify(payload, h); err != nil {
			t.Errorf("the SDK does not verify with the %s secret: %v", name, err)
		}
	}

	// The SDK's Update with the URL it was shown keeps the password.
	_, err = c.Endpoint.Update(ctx, app.Id, ep.Id, models.EndpointUpdate{Url: ep.Url, Description: ptr("d")})
	ok(t, err)
	stored, err = e.store.Endpoint(ctx, app.Id, ep.Id)
	ok(t, err)
	if stored.URL != "https://user:s3cret-pw@example.com/hook" || len(stored.PreviousSecrets) != 1 {
		t.Fatalf("after an SDK update: %q, %d previous secrets", stored.URL, len(stored.PreviousSecrets))
	}

	// An ed25519 secret: the SDK gets its public key.
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	key := "whsk_" + base64.StdEncoding.EncodeToString(priv)
	ok(t, c.Endpoint.RotateSecret(ctx, app.Id, ep.Id, models.EndpointSecretRotateIn{Key: &key}, nil))
	pk, err := c.Endpoint.GetSecret(ctx, app.Id, ep.Id)
	ok(t, err)
	if pk.Key != "whpk_"+base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)) {
		t.Fatalf("GetSecret of an ed25519 endpoint: %q", pk.Key)
	}
	bad := "whsk_" + base64.StdEncoding.EncodeToString(priv[:48])
	wantStatus(t, c.Endpoint.RotateSecret(ctx, app.Id, ep.Id, models.EndpointSecretRotateIn{Key: &bad}, nil), http.StatusUnprocessableEntity)
}

// TestSDKSendingWhileARetryWaits: a delivery whose attempt failed and whose
// retry waits is sending (3) in the destinations and attempted-messages
// lists, as svix-server shows it, and ?status=3 finds it; pending is for a
// delivery not attempted.
func TestSDKSendingWhileARetryWaits(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "A"}, nil)
	ok(t, err)
	ep, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://one.example.com/"}, nil)
	ok(t, err)
	retried, err := c.Message.Create(ctx, app.Id, models.MessageIn{EventType: "e", Payload: map[string]any{}}, nil)
	ok(t, err)
	attemptOnce(t, e.store, hookline.StatusPending, 503, "try later") // a retry waits
	fresh, err := c.Message.Create(ctx, app.Id, models.MessageIn{EventType: "e", Payload: map[string]any{}}, nil)
	ok(t, err)

	dests, err := c.MessageAttempt.ListAttemptedDestinations(ctx, app.Id, retried.Id, nil)
	ok(t, err)
	if d := dests.Data[0]; d.Status != models.MESSAGESTATUS_SENDING || d.StatusText != models.MESSAGESTATUSTEXT_SENDING {
		t.Fatalf("a delivery whose retry waits: %+v", d)
	}
	for status, want := range map[models.MessageStatus]string{
		models.MESSAGESTATUS_SENDING: retried.Id,
		models.MESSAGESTATUS_PENDING: fresh.Id,
	} {
		sent, err := c.MessageAttempt.ListAttemptedMessages(ctx, app.Id, ep.Id,
			&svix.MessageAttemptListAttemptedMessagesOptions{Status: ptr(status)})
		ok(t, err)
		if len(sent.Data) != 1 || sent.Data[0].Id != want || sent.Data[0].Status != status {
			t.Errorf("status %d: %+v, want %s", status, sent.Data, want)
		}
	}
	st, err := c.Endpoint.GetStats(ctx, app.Id, ep.Id, nil)
	ok(t, err)
	if st.Sending != 1 || st.Pending != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// eventTypes creates event types of these names, which endpoints may then
// filter on (an endpoint's filterTypes must name event types that exist).
func eventTypes(t *testing.T, c *svix.Svix, names ...string) {
	t.Helper()
	for _, name := range names {
		_, err := c.EventType.Create(context.Background(), models.EventTypeIn{Name: name, Description: name}, nil)
		ok(t, err)
	}
}

// TestSDKEndpointEventTypesMustExist: an endpoint's filterTypes (or
// eventTypes) must name event types that exist and are not archived, as
// svix-server checks them, on create and when they change; 422 names the
// missing ones, and nothing is stored.
func TestSDKEndpointEventTypesMustExist(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "A"}, nil)
	ok(t, err)
	eventTypes(t, c, "a.made", "b.made", "gone")
	ok(t, c.EventType.Delete(ctx, "gone", nil)) // archived
	for _, types := range [][]string{{"nope"}, {"a.made", "nope"}, {"gone"}} {
		_, err = c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://x.example.com/", FilterTypes: types}, nil)
		wantStatus(t, err, http.StatusUnprocessableEntity)
	}
	list, err := c.Endpoint.List(ctx, app.Id, nil)
	ok(t, err)
	if len(list.Data) != 0 {
		t.Fatalf("endpoints stored after refusals: %+v", list.Data)
	}
	st, body := e.do("POST", "/api/v1/app/"+app.Id+"/endpoint", e.admin,
		map[string]any{"url": "https://x.example.com/", "eventTypes": []string{"a.made", "nope", "gone"}})
	if st != 422 || !strings.Contains(string(body), `"loc":["body","eventTypes"]`) || !strings.Contains(string(body), "nope, gone") {
		t.Fatalf("missing event types: %d %s", st, body)
	}
	ep, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://x.example.com/", FilterTypes: []string{"a.made"}}, nil)
	ok(t, err)
	_, err = c.Endpoint.Patch(ctx, app.Id, ep.Id, models.EndpointPatch{FilterTypes: utils.NewNullable([]string{"b.made", "nope"})})
	wantStatus(t, err, http.StatusUnprocessableEntity)
	// An event type archived after the endpoint filtered on it blocks no
	// other change.
	ok(t, c.EventType.Delete(ctx, "a.made", nil))
	_, err = c.Endpoint.Patch(ctx, app.Id, ep.Id, models.EndpointPatch{Description: ptr("still fine")})
	ok(t, err)
}

// TestSDKDeletedEndpointStaysADestination: a deleted endpoint stays in the
// destinations of the messages sent to it, as svix-server lists it, with
// what was waiting for it failed; it is gone from the endpoint list.
func TestSDKDeletedEndpointStaysADestination(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "A"}, nil)
	ok(t, err)
	gone, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://gone.example.com/", Description: ptr("old")}, nil)
	ok(t, err)
	kept, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://kept.example.com/"}, nil)
	ok(t, err)
	msg, err := c.Message.Create(ctx, app.Id, models.MessageIn{EventType: "e", Payload: map[string]any{}}, nil)
	ok(t, err)
	ok(t, c.Endpoint.Delete(ctx, app.Id, gone.Id))

	dests, err := c.MessageAttempt.ListAttemptedDestinations(ctx, app.Id, msg.Id, nil)
	ok(t, err)
	got := map[string]models.MessageEndpointOut{}
	for _, d := range dests.Data {
		got[d.Id] = d
	}
	if d, found := got[gone.Id]; !found || d.Url != gone.Url || d.Description != "old" || d.Status != models.MESSAGESTATUS_FAIL {
		t.Fatalf("the deleted endpoint among the destinations: %+v (found %v)", d, found)
	}
	if d := got[kept.Id]; d.Status != models.MESSAGESTATUS_PENDING {
		t.Fatalf("the kept endpoint: %+v", d)
	}
	list, err := c.Endpoint.List(ctx, app.Id, nil)
	ok(t, err)
	if len(list.Data) != 1 || list.Data[0].Id != kept.Id {
		t.Fatalf("endpoints after a delete: %+v", list.Data)
	}
	_, err = c.Endpoint.Get(ctx, app.Id, gone.Id)
	wantStatus(t, err, http.StatusNotFound)
}

// TestSDKFeatureFlags: an app-portal token sees an event type that has
// feature flags (one, or several) only when it was given any one of them,
// as svix-server filters them: in lists (pages filled from the next ones), by name, and among an
// endpoint's filterTypes; an admin token sees them all.
func TestSDKFeatureFlags(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "A"}, nil)
	ok(t, err)
	for _, et := range []models.EventTypeIn{
		{Name: "a.public", Description: "x"},
		{Name: "b.beta", Description: "x", FeatureFlags: []string{"beta"}},
		{Name: "c.gamma", Description: "x", FeatureFlag: ptr("gamma")},
		{Name: "d.public", Description: "x"},
		{Name: "e.beta", Description: "x", FeatureFlag: ptr("beta")},
		{Name: "f.gamma.delta", Description: "x", FeatureFlags: []string{"gamma", "delta"}},
	} {
		_, err := c.EventType.Create(ctx, et, nil)
		ok(t, err)
	}
	names := func(s *svix.Svix) []string {
		t.Helper()
		var got []string
		opts := &svix.EventTypeListOptions{Limit: ptr(uint64(1))}
		for {
			page, err := s.EventType.List(ctx, opts)
			ok(t, err)
			for _, et := range page.Data {
				got = append(got, et.Name)
			}
			if page.Done {
				return got
			}
			opts.Iterator = page.Iterator
		}
	}
	token := func(flags []string) *svix.Svix {
		access, err := c.Authentication.AppPortalAccess(ctx, app.Id, models.AppPortalAccessIn{FeatureFlags: flags}, nil)
		ok(t, err)
		return e.sdk(access.Token)
	}
	beta, delta, none := token([]string{"beta"}), token([]string{"delta", "epsilon"}), token(nil)
	for _, tc := range []struct {
		name string
		sdk  *svix.Svix
		want []string
	}{
		{"admin", c, []string{"a.public", "b.beta", "c.gamma", "d.public", "e.beta", "f.gamma.delta"}},
		{"beta", beta, []string{"a.public", "b.beta", "d.public", "e.beta"}},
		{"delta", delta, []string{"a.public", "d.public", "f.gamma.delta"}},
		{"no flags", none, []string{"a.public", "d.public"}},
	} {
		if got := names(tc.sdk); !slices.Equal(got, tc.want) {
			t.Errorf("%s token lists %v, want %v", tc.name, got, tc.want)
		}
	}
	_, err = beta.EventType.Get(ctx, "c.gamma")
	wantStatus(t, err, http.StatusNotFound)
	_, err = beta.EventType.Get(ctx, "b.beta")
	ok(t, err)
	multi, err := delta.EventType.Get(ctx, "f.gamma.delta")
	ok(t, err)
	if !slices.Equal(multi.FeatureFlags, []string{"gamma", "delta"}) || multi.FeatureFlag == nil || *multi.FeatureFlag != "gamma" {
		t.Errorf("f.gamma.delta reads featureFlags %v, featureFlag %v; want [gamma delta], the first", multi.FeatureFlags, multi.FeatureFlag)
	}
	_, err = c.EventType.Patch(ctx, "b.beta", models.EventTypePatch{FeatureFlags: utils.NewNullable([]string{"beta", "delta"})})
	ok(t, err)
	_, err = delta.EventType.Get(ctx, "b.beta")
	ok(t, err)
	_, err = none.EventType.Get(ctx, "b.beta")
	wantStatus(t, err, http.StatusNotFound)
	_, err = beta.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://x.example.com/", FilterTypes: []string{"c.gamma"}}, nil)
	wantStatus(t, err, http.StatusUnprocessableEntity)
	_, err = beta.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://x.example.com/", FilterTypes: []string{"b.beta"}}, nil)
	ok(t, err)

	for _, bad := range [][]string{{"has space"}, {"beta", "beta"}} {
		_, err = c.Authentication.AppPortalAccess(ctx, app.Id, models.AppPortalAccessIn{FeatureFlags: bad}, nil)
		wantStatus(t, err, http.StatusUnprocessableEntity)
	}
}

// TestSDKHTTPSOnlyAtCreation: with HTTPSOnly (--https-only), an endpoint
// with a plain-http URL is refused when it is created, replaced or patched
// (422), as svix-server refuses it, not only at delivery; nothing is stored.
func TestSDKHTTPSOnlyAtCreation(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.HTTPSOnly = true }, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "A"}, nil)
	ok(t, err)
	_, err = c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "http://plain.example.com/"}, nil)
	wantStatus(t, err, http.StatusUnprocessableEntity)
	ep, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://tls.example.com/"}, nil)
	ok(t, err)
	_, err = c.Endpoint.Update(ctx, app.Id, ep.Id, models.EndpointUpdate{Url: "http://plain.example.com/"})
	wantStatus(t, err, http.StatusUnprocessableEntity)
	_, err = c.Endpoint.Patch(ctx, app.Id, ep.Id, models.EndpointPatch{Url: ptr("HTTP://plain.example.com/")})
	wantStatus(t, err, http.StatusUnprocessableEntity)
	got, err := c.Endpoint.Get(ctx, app.Id, ep.Id)
	ok(t, err)
	list, err := c.Endpoint.List(ctx, app.Id, nil)
	ok(t, err)
	if got.Url != "https://tls.example.com/" || len(list.Data) != 1 {
		t.Fatalf("after the refusals: %+v, %d endpoints", got, len(list.Data))
	}
}

// TestSDKUpsertCreatesEndpoint: a replace (PUT) of an endpoint that does
// not exist creates one, as svix-server's upsert: with a new id when the
// path is an id, and with the path as its uid when it is a free uid.
func TestSDKUpsertCreatesEndpoint(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "A"}, nil)
	ok(t, err)
	missing := hookline.NewID(hookline.PrefixEndpoint)
	made, err := c.Endpoint.Update(ctx, app.Id, missing, models.EndpointUpdate{Url: "https://made.example.com/", Description: ptr("made")})
	ok(t, err)
	if made.Id == missing || made.Url != "https://made.example.com/" || made.Description != "made" || made.Uid != nil {
		t.Fatalf("endpoint made by a PUT of an unknown id: %+v", made)
	}
	byUID, err := c.Endpoint.Update(ctx, app.Id, "my-hook", models.EndpointUpdate{Url: "https://uid.example.com/"})
	ok(t, err)
	if byUID.Uid == nil || *byUID.Uid != "my-hook" {
		t.Fatalf("endpoint made by a PUT of a free uid: %+v", byUID)
	}
	again, err := c.Endpoint.Update(ctx, app.Id, "my-hook", models.EndpointUpdate{Url: "https://uid2.example.com/"})
	ok(t, err)
	list, err := c.Endpoint.List(ctx, app.Id, nil)
	ok(t, err)
	if again.Id != byUID.Id || len(list.Data) != 2 {
		t.Fatalf("a second PUT of the uid replaced %s (want %s); %d endpoints", again.Id, byUID.Id, len(list.Data))
	}
	st, body := e.do("PUT", "/api/v1/app/"+app.Id+"/endpoint/"+missing, e.admin, map[string]any{"url": "https://x.example.com/"})
	if st != http.StatusCreated {
		t.Fatalf("PUT of an unknown id: %d %s, want 201", st, body)
	}
}

// TestSDKPrecheckAndDashboardAccess: precheck tells whether a message would
// go to any endpoint, storing nothing; the deprecated dashboard-access
// makes a working token of the whole application.
func TestSDKPrecheckAndDashboardAccess(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "A"}, nil)
	ok(t, err)
	eventTypes(t, c, "a.made", "b.made")
	precheck := func(in models.MessagePrecheckIn) bool {
		t.Helper()
		out, err := c.Message.Precheck(ctx, app.Id, in, nil)
		ok(t, err)
		return out.Active
	}
	if precheck(models.MessagePrecheckIn{EventType: "a.made"}) {
		t.Fatal("active without endpoints")
	}
	_, err = c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://x.example.com/", FilterTypes: []string{"a.made"}, Channels: []string{"eu"}}, nil)
	ok(t, err)
	_, err = c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://y.example.com/", Disabled: ptr(true)}, nil)
	ok(t, err)
	for _, tc := range []struct {
		in   models.MessagePrecheckIn
		want bool
	}{
		{models.MessagePrecheckIn{EventType: "a.made", Channels: []string{"eu"}}, true},
		{models.MessagePrecheckIn{EventType: "a.made", Channels: []string{"us"}}, false},
		{models.MessagePrecheckIn{EventType: "b.made", Channels: []string{"eu"}}, false}, // only the disabled one takes it
	} {
		if got := precheck(tc.in); got != tc.want {
			t.Errorf("precheck %+v = %v, want %v", tc.in, got, tc.want)
		}
	}
	_, err = c.Message.Precheck(ctx, app.Id, models.MessagePrecheckIn{EventType: "bad type"}, nil)
	wantStatus(t, err, http.StatusUnprocessableEntity)
	msgs, err := c.Message.List(ctx, app.Id, nil)
	ok(t, err)
	if len(msgs.Data) != 0 {
		t.Fatalf("precheck stored messages: %+v", msgs.Data)
	}

	access, err := c.Authentication.DashboardAccess(ctx, app.Id, nil)
	ok(t, err)
	if !strings.Contains(access.Url, access.Token) {
		t.Fatalf("dashboard access %+v", access)
	}
	_, err = e.sdk(access.Token).Endpoint.List(ctx, app.Id, nil)
	ok(t, err)
}

// TestSDKSvixServerEdges drives through the Go SDK the edges where Hookline
// does what svix-server does: after= includes an item made at that instant,
// an 11th secret rotation while ten rotated-out keys are unexpired is a
// 400, an inline application must carry the path's uid, a malformed
// iterator is a 422, a PATCHed URL is normalised as on create, and stats
// reach at most 28 days back.
func TestSDKSvixServerEdges(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "A", Uid: ptr("a")}, nil)
	ok(t, err)
	ep, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://one.example.com/hook"}, nil)
	ok(t, err)

	t.Run("after includes the instant", func(t *testing.T) {
		// The SDK sends times to the second: a message made on a whole
		// second is at the instant after= names.
		at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
		m := &hookline.Message{AppID: app.Id, EventType: "a.b", Payload: []byte(`{}`), CreatedAt: at}
		_, err := e.store.CreateMessage(ctx, m)
		ok(t, err)
		for _, tc := range []struct {
			name string
			o    svix.MessageListOptions
			want bool
		}{
			{"after its instant", svix.MessageListOptions{After: &at}, true},
			{"after the next second", svix.MessageListOptions{After: ptr(at.Add(time.Second))}, false},
			{"before its instant", svix.MessageListOptions{Before: &at}, false},
			{"before the next second", svix.MessageListOptions{Before: ptr(at.Add(time.Second))}, true},
		} {
			l, err := c.Message.List(ctx, app.Id, &tc.o)
			ok(t, err)
			got := slices.ContainsFunc(l.Data, func(o models.MessageOut) bool { return o.Id == m.ID })
			if got != tc.want {
				t.Errorf("%s: listed it %v, want %v", tc.name, got, tc.want)
			}
		}
	})

	t.Run("11th rotation", func(t *testing.T) {
		for range hookline.MaxPreviousSecrets {
			ok(t, c.Endpoint.RotateSecret(ctx, app.Id, ep.Id, models.EndpointSecretRotateIn{}, nil))
		}
		before, err := c.Endpoint.GetSecret(ctx, app.Id, ep.Id)
		ok(t, err)
		wantCode(t, c.Endpoint.RotateSecret(ctx, app.Id, ep.Id, models.EndpointSecretRotateIn{}, nil), http.StatusBadRequest, "limit_reached")
		after, err := c.Endpoint.GetSecret(ctx, app.Id, ep.Id)
		ok(t, err)
		if after.Key != before.Key {
			t.Fatal("a refused rotation changed the secret")
		}
	})

	t.Run("inline application uid", func(t *testing.T) {
		for _, path := range []string{"made-here", "app_2zzzzzzzzzzzzzzzzzzzzz"} {
			for _, tc := range []struct {
				uid  *string
				kind string
			}{{nil, "application_uid_missing"}, {ptr("other"), "application_uid_mismatch"}} {
				in := &models.ApplicationIn{Name: "x", Uid: tc.uid}
				_, err := c.Message.Create(ctx, path, models.MessageIn{EventType: "a.b", Payload: map[string]any{}, Application: in}, nil)
				if kind := wantLoc(t, err, "body", "application", "uid"); kind != tc.kind {
					t.Errorf("message to %s with uid %v: %s, want %s", path, tc.uid, kind, tc.kind)
				}
				_, err = c.Authentication.AppPortalAccess(ctx, path, models.AppPortalAccessIn{Application: in}, nil)
				if kind := wantLoc(t, err, "body", "application", "uid"); kind != tc.kind {
					t.Errorf("portal access to %s with uid %v: %s, want %s", path, tc.uid, kind, tc.kind)
				}
			}
			_, err := c.Application.Get(ctx, path)
			wantStatus(t, err, http.StatusNotFound)
		}
	})

	t.Run("malformed iterator", func(t *testing.T) {
		_, err := c.Message.List(ctx, app.Id, &svix.MessageListOptions{Iterator: ptr("garbage")})
		wantLoc(t, err, "query", "iterator")
		_, err = c.Endpoint.List(ctx, app.Id, &svix.EndpointListOptions{Iterator: ptr("msg_2zzzzzzzzzzzzzzzzzzzzz")})
		wantLoc(t, err, "query", "iterator")
		_, err = c.MessageAttempt.ListByEndpoint(ctx, app.Id, ep.Id, &svix.MessageAttemptListByEndpointOptions{Iterator: ptr("~nope")})
		wantLoc(t, err, "query", "iterator")
	})

	t.Run("PATCHed URL normalised", func(t *testing.T) {
		patched, err := c.Endpoint.Patch(ctx, app.Id, ep.Id, models.EndpointPatch{Url: ptr("HTTPS://Two.Example.COM")})
		ok(t, err)
		got, err := c.Endpoint.Get(ctx, app.Id, ep.Id)
		ok(t, err)
		if patched.Url != "https://two.example.com/" || got.Url != patched.Url {
			t.Fatalf("patched URL %q, reads back %q, want https://two.example.com/", patched.Url, got.Url)
		}
	})

	t.Run("stats 28 days back", func(t *testing.T) {
		now := time.Now()
		_, err := c.Endpoint.GetStats(ctx, app.Id, ep.Id, &svix.EndpointGetStatsOptions{Since: ptr(now.AddDate(0, 0, -28)), Until: &now})
		ok(t, err)
		_, err = c.Endpoint.GetStats(ctx, app.Id, ep.Id, &svix.EndpointGetStatsOptions{Since: ptr(now.AddDate(0, 0, -29)), Until: &now})
		wantCode(t, err, http.StatusBadRequest, "invalid_range")
		_, err = c.Endpoint.GetStats(ctx, app.Id, ep.Id, &svix.EndpointGetStatsOptions{Since: ptr(now.AddDate(0, 0, -29))})
		wantCode(t, err, http.StatusBadRequest, "invalid_range")
	})
}
