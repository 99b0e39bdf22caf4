package hookline

import (
	"encoding/json"
	"strings"
	"testing"
)

func decodeDoc(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestEventTypesFromOpenAPI(t *testing.T) {
	doc := decodeDoc(t, `{
	  "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
	  "webhooks": {
	    "pet.new": {"post": {"description": "A pet was added", "requestBody": {"content": {"application/json": {
	      "schema": {"$ref": "#/components/schemas/Pet"}, "example": {"id": 1, "name": "Rex"}}}}}},
	    "pet.gone": {"post": {"summary": "A pet left", "deprecated": true, "requestBody": {"$ref": "#/components/requestBodies/Gone"}}},
	    "ping": {"post": {}}
	  },
	  "x-webhooks": {"pet.new": {"post": {"description": "ignored: webhooks wins"}}, "legacy.hook": {"put": {"description": "3.0"}}},
	  "components": {
	    "schemas": {
	      "Pet": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "owner": {"$ref": "#/components/schemas/Owner"}},
	              "required": ["id"], "definitions": {"x": {"type": "string"}}},
	      "Owner": {"type": "object", "properties": {"tag": {"$ref": "#/definitions/x"}}}
	    },
	    "requestBodies": {"Gone": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}}
	  }
	}`)
	ets, err := EventTypesFromOpenAPI([]string{"body", "spec"}, doc)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*EventType{}
	for _, et := range ets {
		got[et.Name] = et
	}
	if len(ets) != 4 || got["pet.new"].Description != "A pet was added" || got["pet.gone"].Description != "A pet left" ||
		!got["pet.gone"].Deprecated || got["ping"].Schemas != nil || got["legacy.hook"].Description != "3.0" {
		t.Fatalf("event types: %+v", ets)
	}
	var s map[string]map[string]any
	if err := json.Unmarshal(got["pet.new"].Schemas, &s); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s["1"])
	if strings.Contains(string(b), "#/components") || !strings.Contains(string(b), `"tag":{"$ref":"#/definitions/x"}`) ||
		!strings.Contains(string(b), `"examples":[{"id":1,"name":"Rex"}]`) {
		t.Fatalf("schema: %s", b)
	}

	for _, tt := range []struct{ doc, at string }{
		{`[1]`, "body.spec"},
		{`{"openapi": "3.1.0"}`, "body.spec"},
		{`{"webhooks": []}`, "body.spec.webhooks"},
		{`{"webhooks": {"bad name": {"post": {}}}}`, "body.spec.webhooks.bad name"},
		{`{"webhooks": {"a": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Nope"}}}}}}}}`, "body.spec.webhooks.a.post.requestBody.content.application/json.schema"},
		{`{"webhooks": {"a": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}}},
		  "components": {"schemas": {"A": {"properties": {"a": {"$ref": "#/components/schemas/A"}}}}}}`, "body.spec.webhooks.a.post.requestBody.content.application/json.schema"},
		{`{"webhooks": {"a": {"post": {"requestBody": {"content": {"application/json": {"schema": {"type": "nope"}}}}}}}}`, "body.spec.webhooks.a.post.schemas"},
		{`{"webhooks": {"a": {"post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "https://example.com/s.json"}}}}}}}}`, "body.spec.webhooks.a.post.schemas"},
		{`{"webhooks": {"a": {"description": "no operation"}}}`, "body.spec.webhooks.a"},
	} {
		_, err := EventTypesFromOpenAPI([]string{"body", "spec"}, decodeDoc(t, tt.doc))
		e, ok := err.(*Error)
		if !ok || e.Code != EINVALID || strings.Join(e.Field, ".") != tt.at {
			t.Errorf("%s: %v (%+v), want EINVALID at %s", tt.doc, err, e, tt.at)
		}
	}

	// Components that refer to each other many times over: bounded.
	comps := map[string]any{}
	for i := range 30 {
		next := map[string]any{"$ref": "#/components/schemas/S" + string(rune('a'+i+1))}
		comps["S"+string(rune('a'+i))] = map[string]any{"properties": map[string]any{"x": next, "y": next}}
	}
	comps["S"+string(rune('a'+30))] = map[string]any{"type": "string"}
	bomb := map[string]any{"webhooks": map[string]any{"a": map[string]any{"post": map[string]any{"requestBody": map[string]any{
		"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Sa"}}}}}}},
		"components": map[string]any{"schemas": comps}}
	if _, err := EventTypesFromOpenAPI([]string{"body", "spec"}, bomb); ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), "grows past") {
		t.Fatalf("a document that grows without bound: %v", err)
	}
}

func TestOpenAPIOfEventTypesRoundTrip(t *testing.T) {
	in := []*EventType{
		{Name: "a.b", Description: "AB", Schemas: json.RawMessage(`{"1":{"type":"object","examples":[{"a":1}]},"2":{"type":"object","required":["b"]}}`)},
		{Name: "c", Description: "C", Deprecated: true},
	}
	doc := OpenAPIOfEventTypes(in)
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	out, err := EventTypesFromOpenAPI(nil, decodeDoc(t, string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Name != "a.b" || out[0].Description != "AB" || out[1].Name != "c" || !out[1].Deprecated || out[1].Schemas != nil ||
		!SameSchemas(out[0].Schemas, json.RawMessage(`{"1":{"required":["b"],"type":"object"}}`)) {
		t.Fatalf("round trip: %s %s %+v", out[0].Schemas, b, out)
	}
	if string(NewestSchema(json.RawMessage(`{"2":{"a":2},"10":{"a":10},"x":{}}`))) != `{"a":10}` {
		t.Fatal("NewestSchema")
	}
}
