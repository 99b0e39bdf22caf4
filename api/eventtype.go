package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/hookline/hookline"
)

// eventTypeIn creates an event type.
type eventTypeIn struct {
	Name string `json:"name" api:"required" doc:"The event type's name, such as invoice.paid."`
	eventTypeUpdate
}

// eventTypeUpdate replaces an event type.
type eventTypeUpdate struct {
	Description  string          `json:"description" api:"required"`
	Archived     bool            `json:"archived,omitempty"`
	Deprecated   bool            `json:"deprecated,omitempty"`
	Schemas      json.RawMessage `json:"schemas,omitempty" doc:"JSON schemas of the payload by version, such as {\"1\": {...}}; each must compile as a JSON Schema, of draft 7 unless its $schema names another, with no $ref to another document (422 at body.schemas). A schema's examples (or example) feed send-example."`
	FeatureFlag  *string         `json:"featureFlag,omitempty"`
	FeatureFlags []string        `json:"featureFlags,omitempty" doc:"An application's token sees the event type (in lists, by name, in an endpoint's filterTypes) when it holds any one of these flags."`
	GroupName    *string         `json:"groupName,omitempty" doc:"The event type group's name, 1 to 256 characters of a-z, A-Z, 0-9, '-', '_' and '.'; absent for none."`
}

// eventTypePatch changes the fields it holds; null clears a nullable one.
type eventTypePatch struct {
	Description  *string         `json:"description,omitempty"`
	Archived     *bool           `json:"archived,omitempty"`
	Deprecated   *bool           `json:"deprecated,omitempty"`
	Schemas      json.RawMessage `json:"schemas,omitempty"`
	FeatureFlag  *string         `json:"featureFlag,omitempty"`
	FeatureFlags []string        `json:"featureFlags,omitempty"`
	GroupName    *string         `json:"groupName,omitempty" doc:"The event type group's name; null clears it."`
}

// eventTypeOut is an event type.
type eventTypeOut struct {
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	Archived     bool            `json:"archived"`
	Deprecated   bool            `json:"deprecated"`
	Schemas      json.RawMessage `json:"schemas,omitempty"`
	FeatureFlag  *string         `json:"featureFlag,omitempty" doc:"The first of featureFlags, for the clients that read one."`
	FeatureFlags []string        `json:"featureFlags,omitempty"`
	GroupName    *string         `json:"groupName,omitempty" doc:"The event type group's name; absent for none."`
	CreatedAt    jsonTime        `json:"createdAt"`
	UpdatedAt    jsonTime        `json:"updatedAt"`
}

func eventTypeOutOf(et *hookline.EventType, withSchemas bool) eventTypeOut {
	out := eventTypeOut{
		Name: et.Name, Description: et.Description, Archived: et.Archived, Deprecated: et.Deprecated,
		FeatureFlags: et.FeatureFlags, GroupName: et.GroupName, CreatedAt: jsonTime(et.CreatedAt), UpdatedAt: jsonTime(et.UpdatedAt),
	}
	if withSchemas {
		out.Schemas = et.Schemas
	}
	if len(et.FeatureFlags) > 0 {
		out.FeatureFlag = &et.FeatureFlags[0]
	}
	return out
}

// schemas returns the schemas of an input: nil for null or absent, an error
// when they are not a JSON object.
func schemas(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if !hookline.IsJSONObject(raw) {
		return nil, hookline.Invalid([]string{"body", "schemas"}, "must be a JSON object")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, hookline.Invalid([]string{"body", "schemas"}, "must be a JSON object")
	}
	return buf.Bytes(), nil
}

// featureFlags merges featureFlags and the older featureFlag, which names
// one flag; featureFlags wins when both are given.
func featureFlags(many []string, one *string) []string {
	if many == nil && one != nil {
		return []string{*one}
	}
	return many
}

func (u *eventTypeUpdate) apply(et *hookline.EventType) error {
	var err error
	et.Description, et.Archived, et.Deprecated = u.Description, u.Archived, u.Deprecated
	if et.Schemas, err = schemas(u.Schemas); err != nil {
		return err
	}
	et.FeatureFlags = featureFlags(u.FeatureFlags, u.FeatureFlag)
	et.GroupName = u.GroupName
	return et.Validate()
}

func (s *Server) listEventTypes(c *call) (int, any, error) {
	q := c.query()
	p, err := q.page(false, true, "")
	if err != nil {
		return 0, nil, err
	}
	archived, err := q.boolean("include_archived", false)
	if err != nil {
		return 0, nil, err
	}
	withContent, err := q.boolean("with_content", false)
	if err != nil {
		return 0, nil, err
	}
	got, err := listVisible(p.opts, func(o hookline.ListOptions) (hookline.Page[*hookline.EventType], error) {
		return s.store.ListEventTypes(c.ctx(), o, archived)
	}, c.sees, func(et *hookline.EventType) string { return et.Name })
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, makeList(p, got, func(et *hookline.EventType) string { return et.Name },
		func(et *hookline.EventType) eventTypeOut { return eventTypeOutOf(et, withContent) }), nil
}

func (s *Server) createEventType(c *call) (int, any, error) {
	var in eventTypeIn
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	et := &hookline.EventType{Name: in.Name}
	if err := in.apply(et); err != nil {
		return 0, nil, err
	}
	now := time.Now().UTC()
	et.CreatedAt, et.UpdatedAt = now, now
	if err := s.store.CreateEventType(c.ctx(), et); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, eventTypeOutOf(et, true), nil
}

func (s *Server) loadEventType(c *call) (*hookline.EventType, error) {
	et, err := c.eventType(c.r.PathValue("event_type_name"))
	return et, orNotFound(err, "Event type")
}

// eventType returns the event type of this name, as the call's token sees
// it: one it may not see (sees) is not found.
func (c *call) eventType(name string) (*hookline.EventType, error) {
	et, err := c.s.store.EventType(c.ctx(), name)
	if err == nil && !c.sees(et) {
		return nil, hookline.ErrEventTypeNotFound
	}
	return et, err
}

// sees reports whether the call's token may see et (hookline.Token.Sees).
func (c *call) sees(et *hookline.EventType) bool { return c.tok == nil || c.tok.Sees(et) }

func (s *Server) getEventType(c *call) (int, any, error) {
	et, err := s.loadEventType(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, eventTypeOutOf(et, true), nil
}

// updateEventType replaces an event type (200), or creates it with the name
// of the path (201).
func (s *Server) updateEventType(c *call) (int, any, error) {
	var in eventTypeUpdate
	if _, err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	et, err := s.loadEventType(c)
	created := false
	if hookline.ErrorCode(err) == hookline.ENOTFOUND {
		now := time.Now().UTC()
		et, created = &hookline.EventType{Name: c.r.PathValue("event_type_name"), CreatedAt: now}, true
	} else if err != nil {
		return 0, nil, err
	}
	next := *et
	if err := in.apply(&next); err != nil {
		return 0, nil, err
	}
	next.UpdatedAt = time.Now().UTC()
	if created {
		if err := s.store.CreateEventType(c.ctx(), &next); err != nil {
			return 0, nil, err
		}
		return http.StatusCreated, eventTypeOutOf(&next, true), nil
	}
	if err := s.store.UpdateEventType(c.ctx(), &next); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, eventTypeOutOf(&next, true), nil
}

func (s *Server) patchEventType(c *call) (int, any, error) {
	var in eventTypePatch
	f, err := c.decode(&in)
	if err != nil {
		return 0, nil, err
	}
	et, err := s.loadEventType(c)
	if err != nil {
		return 0, nil, err
	}
	next := *et
	if in.Description != nil {
		next.Description = *in.Description
	}
	if in.Archived != nil {
		next.Archived = *in.Archived
	}
	if in.Deprecated != nil {
		next.Deprecated = *in.Deprecated
	}
	if f.has("schemas") {
		if next.Schemas, err = schemas(in.Schemas); err != nil {
			return 0, nil, err
		}
	}
	if flags, ok := either(f, "featureFlags", in.FeatureFlags, "featureFlag", featureFlags(nil, in.FeatureFlag)); ok {
		next.FeatureFlags = flags
	}
	if f.has("groupName") {
		next.GroupName = in.GroupName
	}
	if err := next.Validate(); err != nil {
		return 0, nil, err
	}
	next.UpdatedAt = time.Now().UTC()
	if err := s.store.UpdateEventType(c.ctx(), &next); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, eventTypeOutOf(&next, true), nil
}

// deleteEventType archives an event type, or removes it with expunge=true.
func (s *Server) deleteEventType(c *call) (int, any, error) {
	expunge, err := c.query().boolean("expunge", false)
	if err != nil {
		return 0, nil, err
	}
	et, err := s.loadEventType(c)
	if err != nil {
		return 0, nil, err
	}
	return noContent(s.store.DeleteEventType(c.ctx(), et.Name, expunge))
}
