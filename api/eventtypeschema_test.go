package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/svix/svix-webhooks/go/models"
	"github.com/svix/svix-webhooks/go/utils"
)

// TestSDKEventTypeSchemasMustBeJSONSchemas: as svix-server, each version of
// an event type's schemas must compile as a JSON Schema; one that does not
// is a 422 at body.schemas on create, update (upsert too) and patch, and
// changes nothing.
func TestSDKEventTypeSchemasMustBeJSONSchemas(t *testing.T) {
	e := newEnv(t, nil, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()

	good := map[string]any{"1": map[string]any{"type": "object", "properties": map[string]any{"id": map[string]any{"type": "string"}}}}
	bad := map[string]any{"1": map[string]any{"type": "object"}, "2": map[string]any{"type": "no-such-type"}}
	_, err := c.EventType.Create(ctx, models.EventTypeIn{Name: "invoice.paid", Description: "Paid", Schemas: &good}, nil)
	ok(t, err)

	before := e.snapshot()
	_, err = c.EventType.Create(ctx, models.EventTypeIn{Name: "invoice.voided", Description: "Voided", Schemas: &bad}, nil)
	wantStatus(t, err, http.StatusUnprocessableEntity)
	_, err = c.EventType.Update(ctx, "invoice.paid", models.EventTypeUpdate{Description: "Paid", Schemas: &bad})
	wantStatus(t, err, http.StatusUnprocessableEntity)
	_, err = c.EventType.Update(ctx, "invoice.new", models.EventTypeUpdate{Description: "New", Schemas: &bad})
	wantStatus(t, err, http.StatusUnprocessableEntity)
	_, err = c.EventType.Patch(ctx, "invoice.paid", models.EventTypePatch{Schemas: utils.NewNullable(bad)})
	wantStatus(t, err, http.StatusUnprocessableEntity)
	if after := e.snapshot(); after != before {
		t.Fatalf("a 422 changed the store:\n%s\n%s", before, after)
	}

	// The error is Svix's validation shape, at body.schemas.
	for _, r := range []struct{ method, path string }{
		{"POST", "/api/v1/event-type"}, {"PUT", "/api/v1/event-type/invoice.paid"}, {"PATCH", "/api/v1/event-type/invoice.paid"},
	} {
		st, body := e.do(r.method, r.path, e.admin, map[string]any{"name": "x.y", "description": "d",
			"schemas": map[string]any{"1": map[string]any{"$ref": "https://example.com/remote.json"}}})
		checkError(t, st, body, "body.schemas")
	}

	// Valid schemas, a $ref within the schema, and null (clears) pass.
	local := map[string]any{"1": map[string]any{"$ref": "#/definitions/id", "definitions": map[string]any{"id": map[string]any{"type": "string"}}}}
	got, err := c.EventType.Update(ctx, "invoice.paid", models.EventTypeUpdate{Description: "Paid", Schemas: &local})
	ok(t, err)
	if got.Schemas == nil || (*got.Schemas)["1"] == nil {
		t.Fatalf("update: %+v", got)
	}
	got, err = c.EventType.Patch(ctx, "invoice.paid", models.EventTypePatch{Schemas: utils.NewNullableFromPtr[map[string]any](nil)})
	ok(t, err)
	if got.Schemas != nil {
		t.Fatalf("patch null: %+v", got)
	}
}
