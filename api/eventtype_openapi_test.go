package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	svix "github.com/svix/svix-webhooks/go"
	"github.com/svix/svix-webhooks/go/models"

	"github.com/hookline/hookline/api"
)

// petSpec is an OpenAPI 3.1 document in YAML, as the hosted Svix API's
// example has it, with a reference to a component and a numeric key.
const petSpec = `
openapi: 3.1.0
info:
  title: Webhook Example
  version: 1.0.0
webhooks:
  pet.new:
    post:
      description: Information about a new pet in the system
      requestBody:
        content:
          application/json:
            schema:
              $ref: "#/components/schemas/Pet"
            example: {id: 1, name: Rex}
      responses:
        200:
          description: Return a 200 status
  pet.gone:
    post:
      summary: A pet left
      deprecated: true
components:
  schemas:
    Pet:
      type: object
      required: [id, name]
      properties:
        id: {type: integer, format: int64}
        name: {type: string}
`

// TestSDKImportExportOpenAPI: event types from an OpenAPI document and
// back, through the Go SDK's ImportOpenapi (export has no SDK method).
func TestSDKImportExportOpenAPI(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxBodyBytes = 64 << 10 }, nil)
	c := e.sdk(e.admin)
	ctx := context.Background()
	_, err := c.EventType.Create(ctx, models.EventTypeIn{Name: "pet.gone", Description: "old", GroupName: ptr("pet")}, nil)
	ok(t, err)
	ok(t, c.EventType.Delete(ctx, "pet.gone", nil)) // archived
	_, err = c.EventType.Create(ctx, models.EventTypeIn{Name: "invoice.paid", Description: "Paid", FeatureFlag: ptr("beta")}, nil)
	ok(t, err)

	// Bad documents: 400 for neither or both, 422 for what does not read;
	// nothing changes.
	before := e.snapshot()
	spec := map[string]any{"webhooks": map[string]any{"a.b": map[string]any{"post": map[string]any{}}}}
	_, err = c.EventType.ImportOpenapi(ctx, models.EventTypeImportOpenApiIn{}, nil)
	wantStatus(t, err, http.StatusBadRequest)
	_, err = c.EventType.ImportOpenapi(ctx, models.EventTypeImportOpenApiIn{Spec: &spec, SpecRaw: ptr(petSpec)}, nil)
	wantStatus(t, err, http.StatusBadRequest)
	for _, tc := range []struct {
		name string
		body any
		at   string
	}{
		{"not YAML", map[string]any{"specRaw": "webhooks: [unclosed"}, "body.specRaw"},
		{"no webhooks", map[string]any{"specRaw": "openapi: 3.1.0\n"}, "body.specRaw"},
		{"spec not an object", map[string]any{"spec": []int{1}}, "body.spec"},
		{"bad name", map[string]any{"spec": map[string]any{"webhooks": map[string]any{"a b": map[string]any{"post": map[string]any{}}}}}, "body.spec.webhooks.a b"},
		{"bad schema, after a good webhook", map[string]any{"replaceAll": true, "spec": map[string]any{"webhooks": map[string]any{
			"a.good": map[string]any{"post": map[string]any{}},
			"z.bad": map[string]any{"post": map[string]any{"requestBody": map[string]any{"content": map[string]any{
				"application/json": map[string]any{"schema": map[string]any{"type": "nope"}}}}}}}}}, "body.spec.webhooks.z.bad.post.schemas"},
		{"missing component", map[string]any{"specRaw": strings.Replace(petSpec, "#/components/schemas/Pet", "#/components/schemas/Cat", 1)},
			"body.specRaw.webhooks.pet.new.post.requestBody.content.application/json.schema"},
	} {
		st, body := e.do("POST", "/api/v1/event-type/import/openapi", e.admin, tc.body)
		if st != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", tc.name, st, body)
			continue
		}
		checkError(t, st, body, tc.at)
	}
	st, body := e.do("POST", "/api/v1/event-type/import/openapi", e.admin, map[string]any{"specRaw": petSpec + "#" + strings.Repeat("x", 64<<10)})
	if st != http.StatusRequestEntityTooLarge {
		t.Errorf("a document over the body limit: %d %s", st, body)
	}
	if after := e.snapshot(); after != before {
		t.Fatalf("a refused import changed the store:\n%s\n%s", before, after)
	}

	// A portal token may not import or export.
	access, err := c.Authentication.AppPortalAccess(ctx, "portal", models.AppPortalAccessIn{Application: &models.ApplicationIn{Name: "P", Uid: ptr("portal")}}, nil)
	ok(t, err)
	_, err = e.sdk(access.Token).EventType.ImportOpenapi(ctx, models.EventTypeImportOpenApiIn{SpecRaw: ptr(petSpec)}, nil)
	wantStatus(t, err, http.StatusForbidden)
	if st, _ := e.do("POST", "/api/v1/event-type/export/openapi", access.Token, nil); st != http.StatusForbidden {
		t.Errorf("a portal token exported: %d", st)
	}
	before = e.snapshot()

	// A dry run tells and changes nothing.
	dry, err := c.EventType.ImportOpenapi(ctx, models.EventTypeImportOpenApiIn{SpecRaw: ptr(petSpec), DryRun: ptr(true), ReplaceAll: ptr(true)}, nil)
	ok(t, err)
	if !slices.Equal(dry.Data.Modified, []string{"pet.gone", "pet.new", "invoice.paid"}) || len(dry.Data.ToModify) != 2 ||
		dry.Data.ToModify[1].Name != "pet.new" || dry.Data.ToModify[1].Schemas == nil ||
		dry.Data.ToModify[0].GroupName == nil || *dry.Data.ToModify[0].GroupName != "pet" || dry.Data.ToModify[1].GroupName != nil {
		t.Fatalf("dry run: %+v", dry.Data)
	}
	if after := e.snapshot(); after != before {
		t.Fatal("a dry run changed the store")
	}

	// The import: pet.new made, pet.gone updated and unarchived.
	out, err := c.EventType.ImportOpenapi(ctx, models.EventTypeImportOpenApiIn{SpecRaw: ptr(petSpec)}, nil)
	ok(t, err)
	if !slices.Equal(out.Data.Modified, []string{"pet.gone", "pet.new"}) || out.Data.ToModify != nil {
		t.Fatalf("import: %+v", out.Data)
	}
	gone, err := c.EventType.Get(ctx, "pet.gone")
	ok(t, err)
	if gone.Description != "A pet left" || !gone.Deprecated || (gone.Archived != nil && *gone.Archived) || gone.GroupName == nil || *gone.GroupName != "pet" {
		t.Fatalf("pet.gone: %+v", gone)
	}
	pet, err := c.EventType.Get(ctx, "pet.new")
	ok(t, err)
	schema, _ := json.Marshal((*pet.Schemas)["1"])
	if pet.Description != "Information about a new pet in the system" ||
		string(schema) != `{"examples":[{"id":1,"name":"Rex"}],"properties":{"id":{"format":"int64","type":"integer"},"name":{"type":"string"}},"required":["id","name"],"type":"object"}` {
		t.Fatalf("pet.new: %+v %s", pet, schema)
	}
	// Its example is what send-example sends.
	app, err := c.Application.Create(ctx, models.ApplicationIn{Name: "A"}, nil)
	ok(t, err)
	ep, err := c.Endpoint.Create(ctx, app.Id, models.EndpointIn{Url: "https://example.com/hook"}, nil)
	ok(t, err)
	msg, err := c.Endpoint.SendExample(ctx, app.Id, ep.Id, models.EventExampleIn{EventType: "pet.new"}, nil)
	ok(t, err)
	if msg.Payload["name"] != "Rex" {
		t.Fatalf("send-example of an imported event type: %+v", msg.Payload)
	}

	// Again: nothing differs, nothing modified; replaceAll archives the rest.
	out, err = c.EventType.ImportOpenapi(ctx, models.EventTypeImportOpenApiIn{SpecRaw: ptr(petSpec)}, nil)
	ok(t, err)
	if len(out.Data.Modified) != 0 {
		t.Fatalf("the same import again: %+v", out.Data)
	}
	out, err = c.EventType.ImportOpenapi(ctx, models.EventTypeImportOpenApiIn{SpecRaw: ptr(petSpec), ReplaceAll: ptr(true)}, nil)
	ok(t, err)
	paid, err := c.EventType.Get(ctx, "invoice.paid")
	ok(t, err)
	if !slices.Equal(out.Data.Modified, []string{"invoice.paid"}) || paid.Archived == nil || !*paid.Archived || paid.FeatureFlag == nil {
		t.Fatalf("replaceAll: %+v %+v", out.Data, paid)
	}

	// Export, then import the export into an empty server: the same event
	// types.
	var exported struct{ Data map[string]any }
	e.must(200, "POST", "/api/v1/event-type/export/openapi", e.admin, nil, &exported)
	if exported.Data["openapi"] != "3.1.0" || len(exported.Data["webhooks"].(map[string]any)) != 2 {
		t.Fatalf("export: %+v", exported.Data)
	}
	fresh := newEnv(t, nil, nil)
	fc := fresh.sdk(fresh.admin)
	out, err = fc.EventType.ImportOpenapi(ctx, models.EventTypeImportOpenApiIn{Spec: &exported.Data}, nil)
	ok(t, err)
	if !slices.Equal(out.Data.Modified, []string{"pet.gone", "pet.new"}) {
		t.Fatalf("import of the export: %+v", out.Data)
	}
	want, err := c.EventType.List(ctx, &svix.EventTypeListOptions{WithContent: ptr(true)})
	ok(t, err)
	got, err := fc.EventType.List(ctx, &svix.EventTypeListOptions{WithContent: ptr(true)})
	ok(t, err)
	if len(got.Data) != len(want.Data) {
		t.Fatalf("round trip: %d event types, want %d", len(got.Data), len(want.Data))
	}
	for i := range want.Data {
		w, g := want.Data[i], got.Data[i]
		ws, _ := json.Marshal(w.Schemas)
		gs, _ := json.Marshal(g.Schemas)
		if w.Name != g.Name || w.Description != g.Description || w.Deprecated != g.Deprecated || string(ws) != string(gs) {
			t.Errorf("round trip:\n%+v %s\n%+v %s", w, ws, g, gs)
		}
	}
}
