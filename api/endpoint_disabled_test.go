package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline"
)

// disabledShape is what the API shows of why an endpoint is disabled.
type disabledShape struct {
	Disabled       bool    `json:"disabled"`
	DisabledReason *string `json:"disabledReason"`
	DisabledAt     *string `json:"disabledAt"`
}

// TestEndpointDisabledReason: an endpoint says why and since when it is
// disabled (disabledReason, disabledAt: Hookline's extension), which the
// Go SDK decodes around: manual when an API call disabled it, kept by
// later changes while it stays disabled, gone when it answered 410;
// neither once enabled. A caller cannot set them, and another
// application's token sees none of it.
func TestEndpointDisabledReason(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "A"}, nil)
	ok(t, err)
	path := func(id string) string { return "/api/v1/app/" + app.Id + "/endpoint/" + id }
	shape := func(id string) disabledShape {
		t.Helper()
		var s disabledShape
		e.must(http.StatusOK, http.MethodGet, path(id), e.admin, nil, &s)
		return s
	}

	// Created disabled, through the SDK, which decodes the answer.
	off, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://off.example.com/", Disabled: ptr(true)}, nil)
	ok(t, err)
	if off.Disabled == nil || !*off.Disabled {
		t.Fatalf("created %+v", off)
	}
	got := shape(off.Id)
	if !got.Disabled || got.DisabledReason == nil || *got.DisabledReason != "manual" || got.DisabledAt == nil {
		t.Fatalf("created disabled: %+v", got)
	}
	at, err := time.Parse(time.RFC3339Nano, *got.DisabledAt)
	if err != nil || !at.Equal(off.CreatedAt) {
		t.Fatalf("disabledAt %q (%v), want the creation %v", *got.DisabledAt, err, off.CreatedAt)
	}
	if sdk, err := c.Endpoint.Get(ctx, app.Id, off.Id); err != nil || sdk.Id != off.Id || !*sdk.Disabled {
		t.Fatalf("the SDK's Get: %+v, %v", sdk, err)
	}

	// A patch that keeps it disabled keeps why and since when; a body
	// that names them changes neither.
	_, err = c.Endpoint.Patch(ctx, app.Id, off.Id, models.EndpointPatch{Description: ptr("still off")})
	ok(t, err)
	e.must(http.StatusOK, http.MethodPut, path(off.Id), e.admin,
		map[string]any{"url": "https://off.example.com/", "disabled": true, "disabledReason": "gone",
			"disabledAt": "2020-01-01T00:00:00Z"}, nil)
	if again := shape(off.Id); *again.DisabledReason != "manual" || *again.DisabledAt != *got.DisabledAt {
		t.Fatalf("after a patch and a replace that kept it disabled: %+v, was %+v", again, got)
	}

	// Enabled, neither; the SDK's update answers with the fields gone.
	on, err := c.Endpoint.Update(ctx, app.Id, off.Id, models.EndpointUpdate{Url: "https://off.example.com/", Disabled: ptr(false)})
	ok(t, err)
	if on.Disabled != nil && *on.Disabled {
		t.Fatalf("updated %+v", on)
	}
	if got := shape(off.Id); got.Disabled || got.DisabledReason != nil || got.DisabledAt != nil {
		t.Fatalf("enabled: %+v", got)
	}
	// Disabled by a patch: manual again, the PATCH's answer says so.
	var patched disabledShape
	e.must(http.StatusOK, http.MethodPatch, path(off.Id), e.admin, map[string]any{"disabled": true}, &patched)
	if patched.DisabledReason == nil || *patched.DisabledReason != "manual" || patched.DisabledAt == nil {
		t.Fatalf("the answer of a PATCH that disabled it: %+v", patched)
	}

	// A 410 Gone: gone, in the endpoint, its list and the message's
	// destinations.
	gone, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://gone.example.com/"}, nil)
	ok(t, err)
	msg, err := c.Message.Create(ctx, app.Id, models.MessageIn{EventType: "e", Payload: map[string]any{}}, nil)
	ok(t, err)
	if n := disableByOutcome(t, e.store); n != 1 {
		t.Fatalf("%d deliveries attempted, want 1", n)
	}
	if got := shape(gone.Id); !got.Disabled || got.DisabledReason == nil || *got.DisabledReason != "gone" || got.DisabledAt == nil {
		t.Fatalf("after a 410: %+v", got)
	}
	var list struct{ Data []disabledShape }
	e.must(http.StatusOK, http.MethodGet, "/api/v1/app/"+app.Id+"/endpoint", e.admin, nil, &list)
	reasons := map[string]int{}
	for _, d := range list.Data {
		if d.DisabledReason != nil {
			reasons[*d.DisabledReason]++
		}
	}
	if reasons["manual"] != 1 || reasons["gone"] != 1 {
		t.Fatalf("listed reasons %v", reasons)
	}
	var dests struct {
		Data []struct {
			ID string `json:"id"`
			disabledShape
		}
	}
	e.must(http.StatusOK, http.MethodGet, "/api/v1/app/"+app.Id+"/msg/"+msg.Id+"/endpoint", e.admin, nil, &dests)
	for _, d := range dests.Data {
		if d.ID == gone.Id && (d.DisabledReason == nil || *d.DisabledReason != "gone") {
			t.Fatalf("the destination that answered 410: %+v", d)
		}
	}

	// Another application's token does not reach it.
	other, err := c.Application.Create(ctx, models.ApplicationIn{Name: "B"}, nil)
	ok(t, err)
	access, err := c.Authentication.AppPortalAccess(ctx, other.Id, models.AppPortalAccessIn{}, nil)
	ok(t, err)
	if st, _ := e.do(http.MethodGet, path(gone.Id), access.Token, nil); st != http.StatusForbidden && st != http.StatusNotFound {
		t.Fatalf("another application's token: status %d", st)
	}
	if st, _ := e.do(http.MethodGet, "/api/v1/app/"+other.Id+"/endpoint/"+gone.Id, access.Token, nil); st != http.StatusNotFound {
		t.Fatalf("another application's endpoint under its own: status %d", st)
	}
}

// disableByOutcome plays a dispatcher through the real store: it claims
// the due deliveries and completes each with the outcome of a 410 Gone,
// which disables its endpoint, and returns how many.
func disableByOutcome(t *testing.T, st hookline.Store) int {
	t.Helper()
	ctx := context.Background()
	tasks, err := st.ClaimDue(ctx, "test", time.Now(), time.Minute, 100)
	ok(t, err)
	var outs []hookline.Outcome
	for _, tk := range tasks {
		outs = append(outs, hookline.Outcome{
			DeliveryID: tk.Delivery.ID, Status: hookline.StatusFail, Attempts: tk.Delivery.Attempts + 1,
			Disable: hookline.DisabledGone,
			Attempt: hookline.Attempt{
				AppID: tk.Delivery.AppID, MessageID: tk.Message.ID, EndpointID: tk.Endpoint.ID, DeliveryID: tk.Delivery.ID,
				URL: tk.Endpoint.URL, Status: hookline.StatusFail, StatusCode: http.StatusGone, DurationMS: 1,
			},
		})
	}
	ok(t, st.Complete(ctx, "test", outs))
	return len(tasks)
}
