package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hookline/hookline"
)

// Event types from and to an OpenAPI document, in the shapes of the hosted
// Svix API: what is read and written is hookline.EventTypesFromOpenAPI's
// and hookline.OpenAPIOfEventTypes'.

// eventTypeImportOpenApiIn imports event types from an OpenAPI document.
type eventTypeImportOpenApiIn struct {
	Spec       json.RawMessage `json:"spec,omitempty" doc:"The OpenAPI document, as a JSON object. Exactly one of spec and specRaw (400 otherwise)."`
	SpecRaw    *string         `json:"specRaw,omitempty" doc:"The OpenAPI document as a string of YAML or JSON."`
	ReplaceAll bool            `json:"replaceAll,omitempty" doc:"Archive the event types the document does not hold."`
	DryRun     bool            `json:"dryRun,omitempty" doc:"Change nothing: modified and to_modify tell what the import would change."`
}

// eventTypeImportOpenApiOut says what an import changed.
type eventTypeImportOpenApiOut struct {
	Data eventTypeImportOpenApiOutData `json:"data"`
}

type eventTypeImportOpenApiOutData struct {
	Modified []string               `json:"modified" doc:"The event types created, changed or archived (with dryRun, those that would be), by name."`
	ToModify []eventTypeFromOpenApi `json:"to_modify,omitempty" doc:"With dryRun: the event types of the document that would be created or changed."`
}

// eventTypeFromOpenApi is an event type as a document describes it.
type eventTypeFromOpenApi struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Deprecated  bool            `json:"deprecated"`
	Schemas     json.RawMessage `json:"schemas,omitempty"`
	GroupName   *string         `json:"groupName,omitempty" doc:"The group of the event type of that name, which import keeps: a document names none."`
}

// eventTypeExportOpenApiOut is the OpenAPI document of the event types.
type eventTypeExportOpenApiOut struct {
	Data json.RawMessage `json:"data" doc:"An OpenAPI 3.1 document with a webhook per event type that is not archived (a POST with its description and the newest version of its schemas), which import/openapi reads back."`
}

// importEventTypes creates the event types an OpenAPI document describes
// and updates those that differ (unarchiving them), and with replaceAll
// archives the others. The whole document is read and checked before
// anything is written: a bad one changes nothing.
func (s *Server) importEventTypes(c *call) (int, any, error) {
	var in eventTypeImportOpenApiIn
	f, err := c.decode(&in)
	if err != nil {
		return 0, nil, err
	}
	hasSpec := f.has("spec") && !bytes.Equal(bytes.TrimSpace(in.Spec), []byte("null"))
	if hasSpec == (in.SpecRaw != nil) {
		return 0, nil, hookline.Errorf(hookline.EBADREQUEST, "Give exactly one of spec and specRaw.")
	}
	field, doc := []string{"body", "spec"}, any(nil)
	if hasSpec {
		doc, err = decodeSpecJSON(in.Spec)
	} else {
		field = []string{"body", "specRaw"}
		doc, err = decodeSpecRaw(*in.SpecRaw)
	}
	if err != nil {
		return 0, nil, hookline.Invalid(field, "%s", err.Error())
	}
	ets, err := hookline.EventTypesFromOpenAPI(field, doc)
	if err != nil {
		return 0, nil, err
	}

	// What changes: each event type of the document that is new or
	// differs, and with replaceAll each other one not archived.
	var create, update []*hookline.EventType
	out := eventTypeImportOpenApiOutData{Modified: []string{}}
	now := time.Now().UTC()
	inDoc := map[string]bool{}
	for _, et := range ets {
		inDoc[et.Name] = true
		old, err := s.store.EventType(c.ctx(), et.Name)
		var group *string
		switch {
		case hookline.ErrorCode(err) == hookline.ENOTFOUND:
			et.CreatedAt, et.UpdatedAt = now, now
			create = append(create, et)
		case err != nil:
			return 0, nil, err
		case old.Archived || old.Description != et.Description || old.Deprecated != et.Deprecated || !hookline.SameSchemas(old.Schemas, et.Schemas):
			next := *old
			next.Archived, next.Description, next.Deprecated, next.Schemas, next.UpdatedAt = false, et.Description, et.Deprecated, et.Schemas, now
			update = append(update, &next)
			group = old.GroupName
		default:
			continue
		}
		out.Modified = append(out.Modified, et.Name)
		if in.DryRun {
			out.ToModify = append(out.ToModify, eventTypeFromOpenApi{Name: et.Name, Description: et.Description, Deprecated: et.Deprecated, Schemas: et.Schemas, GroupName: group})
		}
	}
	if in.ReplaceAll {
		others, err := s.allEventTypes(c, func(et *hookline.EventType) bool { return !inDoc[et.Name] })
		if err != nil {
			return 0, nil, err
		}
		for _, et := range others {
			et.Archived, et.UpdatedAt = true, now
			update = append(update, et)
			out.Modified = append(out.Modified, et.Name)
		}
	}
	if in.DryRun {
		return http.StatusOK, eventTypeImportOpenApiOut{Data: out}, nil
	}
	for _, et := range create {
		if err := s.store.CreateEventType(c.ctx(), et); err != nil {
			return 0, nil, err
		}
	}
	for _, et := range update {
		if err := s.store.UpdateEventType(c.ctx(), et); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusOK, eventTypeImportOpenApiOut{Data: out}, nil
}

// exportEventTypes answers the OpenAPI document of the event types that
// are not archived.
func (s *Server) exportEventTypes(c *call) (int, any, error) {
	ets, err := s.allEventTypes(c, func(*hookline.EventType) bool { return true })
	if err != nil {
		return 0, nil, err
	}
	b, err := json.Marshal(hookline.OpenAPIOfEventTypes(ets))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, eventTypeExportOpenApiOut{Data: b}, nil
}

// allEventTypes lists the event types that are not archived and keep
// accepts, by name.
func (s *Server) allEventTypes(c *call, keep func(*hookline.EventType) bool) ([]*hookline.EventType, error) {
	var all []*hookline.EventType
	opts := hookline.ListOptions{Limit: hookline.MaxListLimit}
	for {
		page, err := s.store.ListEventTypes(c.ctx(), opts, false)
		if err != nil {
			return nil, err
		}
		for _, et := range page.Items {
			if keep(et) {
				all = append(all, et)
			}
		}
		if page.Done || len(page.Items) == 0 {
			return all, nil
		}
		opts.Iterator = page.Items[len(page.Items)-1].Name
	}
}

// decodeSpecJSON decodes a document given as JSON, keeping its numbers as
// they are written.
func decodeSpecJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("is not JSON: %v", err)
	}
	return doc, nil
}

// decodeSpecRaw decodes a document given as a string of JSON or YAML.
// YAML's maps whose keys are not strings (200:) get their keys as strings.
func decodeSpecRaw(s string) (any, error) {
	if doc, err := decodeSpecJSON([]byte(s)); err == nil {
		return doc, nil
	}
	var doc any
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil {
		return nil, fmt.Errorf("is neither JSON nor YAML: %v", err)
	}
	return jsonValue(doc), nil
}

// jsonValue turns what YAML decodes into what JSON would: maps with string
// keys.
func jsonValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = jsonValue(e)
		}
		return v
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[fmt.Sprint(k)] = jsonValue(e)
		}
		return m
	case []any:
		for i, e := range v {
			v[i] = jsonValue(e)
		}
		return slices.Clip(v)
	}
	return v
}
